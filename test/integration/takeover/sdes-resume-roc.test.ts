/**
 * A takeover of a long call whose peer keeps its SDES key (linphone's default, baresip with
 * takeover_sdes_key: same): the peer's stream is past a sequence-number wrap (ROC 1, RFC 3711
 * 3.3.1) when the owner dies. Through the real media plane on 127.0.0.1: the old owner's leg
 * reports the stream's highest index (what the call record keeps as `inbound`); a leg on NEW
 * sockets primed with it decrypts the peer's next packets, and one that is not primed (ROC 0)
 * cannot — which is what every call older than 65,536 packets would hit without it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { MediaPortAllocator } from '../../../src/adapters/media/port-allocator.ts';
import { RoomMediaPlane } from '../../../src/adapters/media/media-plane.ts';
import type { LegSink, RoomLeg } from '../../../src/adapters/media/media-types.ts';
import type { SdesLegPlan } from '../../../src/app/sdes-leg-plan.ts';
import { serializeRtp, type RtpHeaderView } from '../../../src/core/rtp/rtp-packet.ts';
import { createSrtpSession, type SrtpSession } from '../../../src/core/srtp/index.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { MediaLegHandle } from '../../../src/ports/media-plane.ts';
import { waitUntil } from '../../helpers/rtp-peer.ts';

const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };
const plane = new RoomMediaPlane({
  allocator: new MediaPortAllocator({ range: { min: 44000, max: 44999 }, address: '127.0.0.1' }),
  guestAddress: '127.0.0.1',
  guestPorts: { min: 45000, max: 45099 },
  mediaTimeoutMs: 30_000,
  logger: SILENT,
  onEvent: () => {},
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

class Collect implements LegSink {
  readonly seqs: number[] = [];
  onRtp(_leg: RoomLeg, _packet: Buffer, view: RtpHeaderView): void {
    this.seqs.push(view.sequenceNumber);
  }
  onKeyFrameRequest(): void {}
  onLatched(): void {}
}

const roomLeg = (h: MediaLegHandle): RoomLeg => (h as unknown as { readonly leg: RoomLeg }).leg;
const SSRC = 0x0badf00d;
const FIRST_SEQ = 65_000; // the wrap comes after 536 packets

function rtp(seq: number, ssrc = SSRC, payloadType = 0): Buffer {
  return Buffer.from(serializeRtp({ marker: false, payloadType, sequenceNumber: seq & 0xffff, timestamp: (seq * 160) >>> 0, ssrc, csrcs: [], extension: null, payload: new Uint8Array(160).fill(seq & 0xff), paddingLength: 0 }));
}

async function peerSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  cleanup.push(async () => void s.close());
  return s;
}

/** Sends packets n in [from, to) of the peer's stream (seq FIRST_SEQ + n), paced in small bursts. */
async function send(peer: SrtpSession, s: Socket, port: number, from: number, to: number, ssrc = SSRC, payloadType = 0): Promise<void> {
  for (let n = from; n < to; n++) {
    const r = peer.protectRtp(rtp(FIRST_SEQ + n, ssrc, payloadType));
    if (!r.ok) throw new Error(r.reason);
    s.send(Buffer.from(r.out.subarray(0, r.length)), port, '127.0.0.1');
    if (n % 50 === 49) await new Promise((res) => setTimeout(res, 2));
  }
}

type Keys = { peer: { masterKey: Uint8Array; masterSalt: Uint8Array }; ours: { masterKey: Uint8Array; masterSalt: Uint8Array } };

function sdesPlan(peerPort: number, keys: Keys, formats: SdesLegPlan['formats']): SdesLegPlan {
  return {
    mediaIndex: 0,
    remote: { address: '127.0.0.1', rtpPort: peerPort, rtcpPort: peerPort },
    formats,
    rtcpMux: true,
    peerDirection: 'sendrecv',
    suite: 'AEAD_AES_256_GCM',
    localKey: keys.ours,
    remoteKey: keys.peer,
  };
}

async function legFor(peerPort: number, keys: Keys, video?: { readonly peerPort: number; readonly keys: Keys }): Promise<{ handle: MediaLegHandle; port: number; videoPort: number | null; sink: Collect }> {
  const reserved = await plane.reserveSdes(true, video === undefined ? undefined : { rtcpMux: true });
  const plan = sdesPlan(peerPort, keys, [{ pt: 0, name: 'PCMU', clockRate: 8000 }]);
  const handle =
    video === undefined
      ? reserved.start(`leg-${String(reserved.rtpPort)}`, plan)
      : reserved.start(`leg-${String(reserved.rtpPort)}`, plan, {
          index: 1,
          formats: [{ pt: 96, name: 'VP8', clockRate: 90000 }],
          feedback: { pli: true, fir: false },
          sdes: sdesPlan(video.peerPort, video.keys, [{ pt: 96, name: 'VP8', clockRate: 90000 }]),
        });
  const sink = new Collect();
  roomLeg(handle).attach(sink);
  cleanup.push(() => roomLeg(handle).close());
  return { handle, port: reserved.rtpPort, videoPort: reserved.video?.rtpPort ?? null, sink };
}

it('the old owner reports the peer stream past its wrap; a primed leg on new sockets continues it, an unprimed one cannot', { timeout: 30_000 }, async () => {
  const keys = {
    peer: { masterKey: randomBytes(32), masterSalt: randomBytes(12) },
    ours: { masterKey: randomBytes(32), masterSalt: randomBytes(12) },
  };
  const peer = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...keys.peer });
  const socket = await peerSocket();
  const peerPort = socket.address().port;

  // the old owner receives packets 0..999 (seq 65000 .. 65535, then 0 .. 463: ROC 1)
  const old = await legFor(peerPort, keys);
  await send(peer, socket, old.port, 0, 1000);
  await waitUntil(() => old.sink.seqs.length >= 990, 'the old owner decrypts the stream across the wrap');
  const inbound = old.handle.inboundIndexes?.() ?? [];
  expect(inbound).toHaveLength(1);
  expect(inbound[0]?.ssrc).toBe(SSRC);
  expect(Math.floor((inbound[0]?.index ?? 0) / 0x10000)).toBe(1); // ROC 1 is what a survivor must know

  // the survivor without the stored index: ROC 0, every packet fails authentication
  const blind = await legFor(peerPort, keys);
  await send(peer, socket, blind.port, 1000, 1100);
  // the survivor with it (CallLeg.inbound): decrypts the continued stream
  const primed = await legFor(peerPort, keys);
  primed.handle.primeInbound?.(inbound);
  await send(peer, socket, primed.port, 1100, 1200);
  await waitUntil(() => primed.sink.seqs.length >= 95, 'the primed survivor decrypts the peer after the wrap');
  expect(primed.sink.seqs.every((s) => s >= (FIRST_SEQ + 1100) % 0x10000 && s < (FIRST_SEQ + 1200) % 0x10000)).toBe(true);
  expect(blind.sink.seqs).toEqual([]);
});

it('the video stream of an SDES leg: its index is reported with the audio one and primes the video context (a kept video key)', { timeout: 30_000 }, async () => {
  const keys = (): Keys => ({ peer: { masterKey: randomBytes(32), masterSalt: randomBytes(12) }, ours: { masterKey: randomBytes(32), masterSalt: randomBytes(12) } });
  const audioKeys = keys();
  const videoKeys = keys();
  const VIDEO_SSRC = 0x0badf00e;
  const videoPeer = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...videoKeys.peer });
  const audioSocket = await peerSocket();
  const videoSocket = await peerSocket();
  const video = { peerPort: videoSocket.address().port, keys: videoKeys };

  const old = await legFor(audioSocket.address().port, audioKeys, video);
  expect(old.videoPort).not.toBeNull();
  await send(videoPeer, videoSocket, old.videoPort ?? 0, 0, 700, VIDEO_SSRC, 96); // past the wrap at packet 536
  await waitUntil(() => (old.handle.inboundIndexes?.() ?? []).some((s) => s.ssrc === VIDEO_SSRC && s.index >= 0x10000 + 100), 'the old owner reports the video stream past its wrap');
  const inbound = old.handle.inboundIndexes?.() ?? [];

  // primed for audio only (the peer changed its video key, say): video stays at ROC 0 and fails
  const audioOnly = await legFor(audioSocket.address().port, audioKeys, video);
  audioOnly.handle.primeInbound?.(inbound, { audio: true, video: false });
  await send(videoPeer, videoSocket, audioOnly.videoPort ?? 0, 700, 760, VIDEO_SSRC, 96);
  // primed for video too: the video context goes on from the stored index
  const both = await legFor(audioSocket.address().port, audioKeys, video);
  both.handle.primeInbound?.(inbound, { audio: true, video: true });
  await send(videoPeer, videoSocket, both.videoPort ?? 0, 760, 820, VIDEO_SSRC, 96);
  await waitUntil(() => (both.handle.inboundIndexes?.() ?? []).some((s) => s.ssrc === VIDEO_SSRC && s.index >= 0x10000 + (FIRST_SEQ + 819 - 0x10000)), 'the primed survivor decrypts the video stream after the wrap');
  expect((audioOnly.handle.inboundIndexes?.() ?? []).filter((s) => s.ssrc === VIDEO_SSRC)).toEqual([]);
});
