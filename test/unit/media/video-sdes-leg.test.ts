/**
 * Video of SDES legs in a room (sdes-video.ts, video-router.ts) on real sockets: each leg's
 * video is a second SdesMediaLeg with its own keys and ports; a key frame request of a
 * receiver is terminated and re-issued to the source in the source's SSRC space (RFC 4585
 * 6.3.1 PLI, or RFC 5104 4.3.1 FIR when that is what the source negotiated). The test peers
 * decrypt with their own keys what reached them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VideoFeedback, VideoFormat } from '../../../src/app/video-plan.ts';
import { SdesMediaLeg } from '../../../src/adapters/media/media-leg.ts';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import { SdesVideo } from '../../../src/adapters/media/sdes-video.ts';
import { writePli } from '../../../src/core/rtp/rtcp-serialize.ts';
import { closeAll, legWithPeer, testAllocator, type LegAndPeer } from '../../helpers/media-fixture.ts';
import { RtpPeer, randomKey, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
const VP8: VideoFormat = { pt: 96, name: 'VP8', clockRate: 90000 };
let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

interface VideoParticipant {
  readonly audio: LegAndPeer;
  readonly video: SdesMediaLeg;
  readonly camera: RtpPeer;
}

async function participant(id: string, feedback: VideoFeedback, pt = 96): Promise<VideoParticipant> {
  const audio = await legWithPeer(allocator, { id, suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
  const peerKey = randomKey('AEAD_AES_128_GCM');
  const gatewayKey = randomKey('AEAD_AES_128_GCM');
  const camera = await RtpPeer.open({ suite: 'AEAD_AES_128_GCM', sendKey: peerKey, recvKey: gatewayKey, codec: 'PCMU', pt });
  const ports = await allocator.allocate({ rtcpMux: true });
  const video = new SdesMediaLeg({
    id: `${id}:video`, ports, suite: 'AEAD_AES_128_GCM', remoteKey: peerKey, localKey: gatewayKey, stream: 'video',
    remote: { address: '127.0.0.1', rtpPort: camera.port, rtcpPort: camera.port }, formats: [{ ...VP8, pt }],
  });
  camera.target = { address: '127.0.0.1', port: ports.rtpPort };
  audio.leg.video = new SdesVideo(audio.leg, video, [{ ...VP8, pt }], feedback);
  cleanup.push(() => closeAll([audio]), () => camera.close());
  return { audio, video, camera };
}

/** A VP8 packet (RFC 7741 4.2/4.3): partition 0 start, key frame when `key`. */
function vp8(key: boolean): Buffer {
  return Buffer.from([0x10, key ? 0x10 : 0x31, 0x02, 0x00, 0x9d, 0x01, 0x2a]);
}

async function sendVideo(p: VideoParticipant, n: number, key: boolean): Promise<void> {
  for (let i = 0; i < n; i++) {
    await p.camera.sendRaw(p.camera.protect(p.camera.nextPacket(vp8(key && i === 0), p.camera.opts.pt, true, 3000)));
    await sleep(2);
  }
}

/** RR + PLI (RFC 4585 3.1: feedback in a compound packet) from a camera about `mediaSsrc`. */
function pliFrom(camera: RtpPeer, mediaSsrc: number): Buffer {
  const out = Buffer.alloc(8 + 12);
  out.writeUInt8(0x80, 0);
  out.writeUInt8(201, 1);
  out.writeUInt16BE(1, 2);
  out.writeUInt32BE(camera.ssrc, 4);
  writePli(out, 8, camera.ssrc, mediaSsrc);
  return camera.protectRtcp(out);
}

function room(): MediaRoom {
  const r = new MediaRoom({ id: 'v' });
  cleanup.push(() => Promise.resolve(r.close()));
  return r;
}

describe('SDES legs with video in a room', () => {
  it('forwards one camera to the other under the receiver\'s own key, SSRC and payload type', async () => {
    const a = await participant('a', { pli: true, fir: false });
    const b = await participant('b', { pli: true, fir: false }, 100);
    const r = room();
    r.addLeg(a.audio.leg);
    r.addLeg(b.audio.leg);
    await sendVideo(a, 5, true);
    await waitUntil(() => b.camera.received.length === 5, 'five video packets at b');
    const got = b.camera.received.map((x) => x.packet);
    expect(new Set(got.map((p) => p.ssrc))).toEqual(new Set([b.video.ssrc]));
    expect(new Set(got.map((p) => p.payloadType))).toEqual(new Set([100]));
    expect(got.every((p) => p.marker)).toBe(true); // the source's end-of-frame marker is kept
    expect(a.camera.received).toHaveLength(0);
  });

  it('RFC 4585 6.3.1: a receiver\'s PLI about our SSRC becomes our PLI about the source camera\'s SSRC', async () => {
    const a = await participant('a', { pli: true, fir: false });
    const b = await participant('b', { pli: true, fir: false });
    const r = room();
    r.addLeg(a.audio.leg);
    r.addLeg(b.audio.leg);
    await sendVideo(a, 3, true);
    await waitUntil(() => b.camera.received.length === 3, 'video at b');
    await sleep(300); // past the join's own request (one request per source per 250 ms)
    const before = a.camera.rtcp.flat().filter((p) => p.type === 'pli').length;
    await b.camera.sendRaw(pliFrom(b.camera, b.video.ssrc));
    await waitUntil(() => a.camera.rtcp.flat().filter((p) => p.type === 'pli').length > before, 'a PLI at camera a');
    const pli = a.camera.rtcp.flat().filter((p) => p.type === 'pli').at(-1);
    expect(pli).toMatchObject({ type: 'pli', mediaSsrc: a.camera.ssrc, senderSsrc: a.video.ssrc });
    // a PLI about an SSRC that is not ours is not translated
    await sleep(300);
    const count = a.camera.rtcp.flat().filter((p) => p.type === 'pli').length;
    await b.camera.sendRaw(pliFrom(b.camera, 12345));
    await sleep(100);
    expect(a.camera.rtcp.flat().filter((p) => p.type === 'pli')).toHaveLength(count);
  });

  it('RFC 5104 4.3.1: a source that negotiated only ccm fir is asked by FIR, with a growing sequence number', async () => {
    const a = await participant('a', { pli: false, fir: true });
    const b = await participant('b', { pli: true, fir: false });
    const r = room();
    r.addLeg(a.audio.leg);
    r.addLeg(b.audio.leg);
    await sendVideo(a, 3, false);
    await waitUntil(() => b.camera.received.length === 3, 'video at b');
    // no key frame yet: the room repeats its request (video-switch.ts) and b asks too (INFO path)
    await sleep(300);
    expect(r.videoKeyFrameRequest(b.audio.leg)).toBe(true);
    await waitUntil(() => a.camera.rtcp.flat().filter((p) => p.type === 'fir').length >= 1, 'a FIR at camera a');
    const firs = a.camera.rtcp.flat().flatMap((p) => (p.type === 'fir' ? p.entries : []));
    expect(firs.every((e) => e.ssrc === a.camera.ssrc)).toBe(true);
    const seqs = firs.map((e) => e.sequenceNumber);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(a.camera.rtcp.flat().some((p) => p.type === 'pli')).toBe(false);
  });
});
