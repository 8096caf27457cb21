/**
 * MediaLegHandle.rekey with a `video` part (media-plane.ts handle(), sdes-video.ts): a
 * re-INVITE's new key or address for the video m-line (RFC 4568 7.1.4, RFC 3264 8.3.1;
 * src/app/reinvite-video.ts) switches the leg's video stream, with the same grace window as
 * audio (leg-rekey.ts); port 0 (RFC 3264 8.2) stops it. Real sockets on 127.0.0.1 through the
 * real media plane: camera A's video is relayed to camera B, which decrypts it under its own key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RoomMediaPlane } from '../../../src/adapters/media/media-plane.ts';
import { SdesVideo } from '../../../src/adapters/media/sdes-video.ts';
import { SdesMediaLeg } from '../../../src/adapters/media/media-leg.ts';
import type { RoomLeg } from '../../../src/adapters/media/media-types.ts';
import type { SdesLegPlan } from '../../../src/app/sdes-leg-plan.ts';
import { createSrtpSession, type SrtpMasterKeyConfig, type SrtpSuiteName } from '../../../src/core/srtp/index.ts';
import { parseRtp } from '../../../src/core/rtp/rtp-packet.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { MediaLegHandle } from '../../../src/ports/media-plane.ts';
import { testAllocator } from '../../helpers/media-fixture.ts';
import { RtpPeer, randomKey, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };
const SUITE: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80';
const VP8 = { pt: 96, name: 'VP8', clockRate: 90000 };
const plane = new RoomMediaPlane({ allocator: testAllocator(), guestAddress: '127.0.0.1', guestPorts: { min: 45100, max: 45199 }, mediaTimeoutMs: 30_000, logger: SILENT, onEvent: () => {} });

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

const roomLeg = (h: MediaLegHandle): RoomLeg => (h as unknown as { readonly leg: RoomLeg }).leg;
const audioOf = (h: MediaLegHandle): SdesMediaLeg => {
  const l = roomLeg(h);
  if (!(l instanceof SdesMediaLeg)) throw new Error('not an SDES leg');
  return l;
};
const videoOf = (h: MediaLegHandle): SdesVideo => {
  const v = roomLeg(h).video;
  if (!(v instanceof SdesVideo)) throw new Error('no SDES video stream');
  return v;
};

interface Participant {
  readonly handle: MediaLegHandle;
  /** The participant's phone (audio stream), under its original key throughout. */
  readonly phone: RtpPeer;
  readonly camera: RtpPeer;
  readonly cameraKey: SrtpMasterKeyConfig;
}

function plan(port: number, remoteKey: SrtpMasterKeyConfig, localKey: SrtpMasterKeyConfig, formats: SdesLegPlan['formats'], mediaIndex: number): SdesLegPlan {
  return { mediaIndex, remote: { address: '127.0.0.1', rtpPort: port, rtcpPort: port }, formats, rtcpMux: true, peerDirection: 'sendrecv', suite: SUITE, localKey, remoteKey };
}

async function participant(id: string): Promise<Participant> {
  const cameraKey = randomKey(SUITE);
  const gatewayVideoKey = randomKey(SUITE);
  const camera = await RtpPeer.open({ suite: SUITE, sendKey: cameraKey, recvKey: gatewayVideoKey, codec: 'PCMU', pt: 96 });
  cleanup.push(() => camera.close());
  const phoneKey = randomKey(SUITE);
  const gatewayAudioKey = randomKey(SUITE);
  const phone = await RtpPeer.open({ suite: SUITE, sendKey: phoneKey, recvKey: gatewayAudioKey, codec: 'PCMU', pt: 0 });
  cleanup.push(() => phone.close());
  const opened = await plane.openLeg(id, {
    kind: 'sdes',
    plan: plan(phone.port, phoneKey, gatewayAudioKey, [{ pt: 0, name: 'PCMU', clockRate: 8000 }], 0),
    video: { index: 1, formats: [VP8], feedback: { pli: true, fir: false }, sdes: plan(camera.port, cameraKey, gatewayVideoKey, [VP8], 1) },
  });
  if (opened.videoPort === undefined) throw new Error('no video port');
  camera.target = { address: '127.0.0.1', port: opened.videoPort };
  phone.target = { address: '127.0.0.1', port: opened.localPort ?? 0 };
  cleanup.push(() => plane.leave('r', opened.leg));
  return { handle: opened.leg, phone, camera, cameraKey };
}

async function pair(): Promise<[Participant, Participant]> {
  const a = await participant('a');
  const b = await participant('b');
  plane.join('r', a.handle);
  plane.join('r', b.handle);
  return [a, b];
}

/** A VP8 packet (RFC 7741 4.2): key frame when `key`. */
const vp8 = (key: boolean): Buffer => Buffer.from([0x10, key ? 0x10 : 0x31, 0x02, 0x00, 0x9d, 0x01, 0x2a]);

/** `n` video packets from `from` (its current key), then waits until `to` has `total`. */
async function sendVideo(from: RtpPeer, n: number, to: RtpPeer, total: number, key = false): Promise<void> {
  for (let i = 0; i < n; i++) {
    await from.sendRaw(from.protect(from.nextPacket(vp8(key && i === 0), 96, true, 3000)));
    await sleep(2);
  }
  await waitUntil(() => to.received.length >= total, `${total} video packets at the far camera`);
}

/** The phone's audio still decrypts under its ORIGINAL key: the audio stream was not re-keyed. */
async function audioUnchanged(p: Participant): Promise<void> {
  const leg = audioOf(p.handle);
  const before = leg.counters().rtpIn;
  for (let i = 0; i < 3; i++) await p.phone.sendRaw(p.phone.protect(p.phone.nextPacket(p.phone.toneFrame(500))));
  await waitUntil(() => leg.counters().rtpIn >= before + 3, 'audio under the old key accepted');
  expect(leg.counters().drops).toEqual({});
  expect(leg.srtpSuite).toBe(SUITE);
}

async function settledAt(p: RtpPeer, count: number): Promise<void> {
  await sleep(60);
  expect(p.received).toHaveLength(count);
}

describe('MediaLegHandle.rekey video part: new peer key (RFC 4568 7.1.4)', () => {
  it('RFC 4568 7.1.4: old-key video in flight passes during the grace window, the new key decrypts, a late old-key packet after the switch is dropped; audio untouched', async () => {
    const [a, b] = await pair();
    await sendVideo(a.camera, 5, b.camera, 5, true);
    const lateOld = a.camera.protect(a.camera.nextPacket(vp8(false), 96, true, 3000));
    const newKey = randomKey(SUITE);
    a.handle.rekey({ video: { remoteKey: newKey } });
    await sendVideo(a.camera, 3, b.camera, 8); // still under the old key: grace
    a.camera.useSendKey(newKey); // the camera switches (a new context, ROC 0, on its side too)
    await sendVideo(a.camera, 5, b.camera, 13);
    await a.camera.sendRaw(lateOld);
    await settledAt(b.camera, 13);
    expect(videoOf(a.handle).stream.counters().drops['auth-failed']).toBe(1);
    expect(videoOf(a.handle).stream.srtpSuite).toBe(SUITE);
    await audioUnchanged(a);
  });

  it('RFC 4568 7.1.4 + policy: a new video suite with both keys: GCM video from the camera decrypts, ours goes out under our new key', async () => {
    const [a, b] = await pair();
    await sendVideo(a.camera, 2, b.camera, 2, true);
    const cameraKey = randomKey('AEAD_AES_256_GCM');
    const ourKey = randomKey('AEAD_AES_256_GCM');
    a.handle.rekey({ video: { suite: 'AEAD_AES_256_GCM', remoteKey: cameraKey, localKey: ourKey } });
    expect(videoOf(a.handle).stream.srtpSuite).toBe('AEAD_AES_256_GCM');
    const tx = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...cameraKey });
    for (let i = 0; i < 3; i++) {
      const r = tx.protectRtp(a.camera.nextPacket(vp8(false), 96, true, 3000));
      if (!r.ok) throw new Error(r.reason);
      await a.camera.sendRaw(Buffer.from(r.out.subarray(0, r.length)));
      await sleep(2);
    }
    await waitUntil(() => b.camera.received.length >= 5, 'GCM video relayed to b');
    // B -> A: what camera A gets now decrypts under our new GCM key
    const before = a.camera.raw.length;
    await sendVideo(b.camera, 3, b.camera, 5, true);
    await waitUntil(() => a.camera.raw.length >= before + 3, 'video toward A');
    const rx = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...ourKey });
    const opened = a.camera.raw.slice(before).map((d) => rx.unprotectRtp(d));
    expect(opened.length).toBeGreaterThanOrEqual(3);
    expect(opened.every((r) => r.ok)).toBe(true);
    const first = opened[0];
    if (first?.ok) expect(parseRtp(Buffer.from(first.out.subarray(0, first.length))).ok).toBe(true);
  });

  it('is atomic: a bad video part throws and changes neither stream', async () => {
    const [a, b] = await pair();
    const audioKey = randomKey(SUITE);
    expect(() => a.handle.rekey({ remoteKey: audioKey, video: { suite: 'AEAD_AES_256_GCM', remoteKey: randomKey('AEAD_AES_256_GCM') } })).toThrow(/both directions/);
    expect(() => a.handle.rekey({ remoteKey: audioKey, video: { remoteKey: { masterKey: new Uint8Array(5), masterSalt: new Uint8Array(14) } } })).toThrow();
    expect(videoOf(a.handle).stream.srtpSuite).toBe(SUITE);
    await sendVideo(a.camera, 3, b.camera, 3, true); // the old video key still works, no grace involved
    expect(videoOf(a.handle).stream.counters().drops).toEqual({});
    // the audio part (a new audio key) was not applied either
    await audioUnchanged(a);
  });
});

describe('MediaLegHandle.rekey video part: address and port 0 (RFC 3264 8.3.1, 8.2)', () => {
  it('RFC 3264 8.3.1: the video stream goes to the camera\'s new address at once', async () => {
    const [a, b] = await pair();
    await sendVideo(a.camera, 2, b.camera, 2, true);
    await sendVideo(b.camera, 2, a.camera, 2, true);
    const moved = await RtpPeer.open({ ...b.camera.opts });
    cleanup.push(() => moved.close());
    moved.target = b.camera.target;
    moved.seq = (b.camera.seq + 100) & 0xffff;
    b.handle.rekey({ video: { remote: { address: '127.0.0.1', rtpPort: moved.port, rtcpPort: moved.port } } });
    await sendVideo(a.camera, 3, moved, 3);
    expect(b.camera.received).toHaveLength(2); // nothing more to the old address
  });

  it('RFC 3264 8.2: video turned off: the stream is stopped, its packets go nowhere, audio goes on', async () => {
    const [a, b] = await pair();
    await sendVideo(a.camera, 2, b.camera, 2, true);
    expect(plane.videoSourceOf('r', b.handle)).toBe(roomLeg(a.handle));
    a.handle.rekey({ video: 'stop' });
    expect(roomLeg(a.handle).video ?? null).toBeNull();
    // the room's video router forgets the stopped stream at once: b sees nobody now
    expect(plane.videoSourceOf('r', b.handle)).toBeNull();
    for (let i = 0; i < 3; i++) await a.camera.sendRaw(a.camera.protect(a.camera.nextPacket(vp8(true), 96, true, 3000)));
    await settledAt(b.camera, 2);
    expect(a.handle.inboundIndexes?.().some((x) => x.stream === 'video')).toBe(false);
    await audioUnchanged(a);
    a.handle.updateDirection('sendonly'); // hold without a video stream is fine
  });
});
