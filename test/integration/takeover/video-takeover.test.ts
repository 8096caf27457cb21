/**
 * Issue 7 with video (issue 6): two gatehouse instances share a real redis-server; two baresips
 * with VP8 video (fakevideo camera, each its own picture size) talk in one room through instance
 * A, SDES-SRTP on both the audio and the video m-line. `kill -9` A: B claims both calls and
 * sends each baresip a target-refresh re-INVITE that moves BOTH streams (RFC 3264 8: same
 * m-lines in the same order; new ports; `takeover_sdes_key: same` because baresip 1.0 never
 * re-keys its receivers). Then, checked at the receivers only, from after the kill on:
 *   - each baresip DECODES the other's picture again: a snapshot.so PNG requested after B logged
 *     both adoptions (A is dead by then, so only B can have delivered the frame) has the OTHER
 *     participant's picture size;
 *   - each hears the other's sine again (baresip's decoded audio dump, from the kill on);
 *   - neither call ended, and baresip's RTP statistics at hangup count received video.
 * And, through the real media plane on 127.0.0.1 without a gateway: a leg started from a
 * takeover reservation with video asks the peer's video stream for a key frame (RFC 4585 6.3.1
 * PLI) as soon as the stream's first packet names its SSRC; a refused video starts audio only.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RoomMediaPlane } from '../../../src/adapters/media/media-plane.ts';
import type { RoomLeg } from '../../../src/adapters/media/media-types.ts';
import { MediaPortAllocator } from '../../../src/adapters/media/port-allocator.ts';
import type { SdesLegPlan } from '../../../src/app/sdes-leg-plan.ts';
import type { VideoLegPlan } from '../../../src/app/video-plan.ts';
import { serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { createSrtpSession } from '../../../src/core/srtp/index.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { MediaLegHandle } from '../../../src/ports/media-plane.ts';
import { waitUntil } from '../../helpers/rtp-peer.ts';
import { Baresip } from '../../helpers/baresip.ts';
import { toneFraction } from '../../helpers/audio-analysis.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';

const ROOM = 'video-takeover';
const RATE = 8000; // G.711 (baresip's decoded dump)
const HZ_1 = 600;
const HZ_2 = 1400;
const A_SIZE = { width: 352, height: 288 };
const B_SIZE = { width: 176, height: 144 };

let redis: RedisServer;
let dir: string;
let gwA: RoomGateway;
let gwB: RoomGateway;
let b1: Baresip;
let b2: Baresip;

beforeAll(async () => {
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-video-takeover-'));
  const state = redisStateYaml(redis.url, writeKek(dir), { sdesKey: 'same' });
  [gwA, gwB] = await Promise.all([startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: state }), startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: state })]);
  [b1, b2] = await Promise.all([
    Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_1 }, video: A_SIZE }),
    Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_2 }, video: B_SIZE }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([b1?.stop(), b2?.stop()]);
  await Promise.allSettled([gwA?.stop(), gwB?.stop()]);
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Waits until `b` has decoded at least 1 s of `hz` (fraction > 0.8) after sample `from`. */
async function waitForTone(b: Baresip, hz: number, from: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = { fraction: 0, samples: 0 };
  for (;;) {
    const pcm = b.decodedAudio();
    const tail = pcm.subarray(Math.max(from, pcm.length - RATE));
    last = { fraction: toneFraction(tail, RATE, hz, 20, 200), samples: tail.length };
    if (last.samples >= RATE && last.fraction > 0.8) return;
    if (performance.now() > deadline) throw new Error(`no ${hz} Hz decoded after sample ${from}: last ${JSON.stringify(last)}\n${b.output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The size of the next frames `peer` decodes, once it equals `want` (or the last one seen). */
async function decodedSize(peer: Baresip, want: { width: number; height: number }): Promise<{ width: number; height: number } | null> {
  let last: { width: number; height: number } | null = null;
  for (let i = 0; i < 20; i++) {
    last = await peer.snapshotReceived();
    if (last !== null && last.width === want.width && last.height === want.height) return last;
  }
  return last;
}

async function waitFor<T>(get: () => T | null | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = get();
    if (v !== null && v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('kill -9 of the owner: the survivor re-offers audio AND video; each baresip decodes the other\'s picture and hears its tone again', { timeout: 150_000 }, async () => {
  for (const b of [b1, b2]) {
    expect((await b.command('dial', gwA.roomUri(ROOM))).ok).toBe(true);
    await b.waitEvent('CALL_ESTABLISHED');
  }
  await gwA.waitForLog('call joined room', () => gwA.logs('call joined room').length >= 2);
  expect(gwA.logs('video declined')).toEqual([]);
  // through A: pictures and tones both ways
  expect(await decodedSize(b1, B_SIZE), 'baresip 1 decodes 2\'s picture through A').toEqual(B_SIZE);
  expect(await decodedSize(b2, A_SIZE), 'baresip 2 decodes 1\'s picture through A').toEqual(A_SIZE);
  await waitForTone(b1, HZ_2, 0, 15_000);
  await waitForTone(b2, HZ_1, 0, 15_000);

  const from1 = b1.decodedAudio().length;
  const from2 = b2.decodedAudio().length;
  gwA.process.child.kill('SIGKILL');
  await gwA.process.exited;

  await gwB.waitForLog('call adopted', () => gwB.logs('call adopted').length >= 2, 30_000);
  const adopted = gwB.logs('call adopted');
  expect(adopted.map((l) => l.epoch)).toEqual([2, 2]);
  // both re-INVITE answers accepted the video m-line again
  expect(adopted.map((l) => l.video)).toEqual([true, true]);

  // only frames decoded from now on count: A is dead, so B delivered them
  expect(await decodedSize(b1, B_SIZE), 'baresip 1 decodes 2\'s picture after the takeover').toEqual(B_SIZE);
  expect(await decodedSize(b2, A_SIZE), 'baresip 2 decodes 1\'s picture after the takeover').toEqual(A_SIZE);
  await waitForTone(b1, HZ_2, from1, 20_000);
  await waitForTone(b2, HZ_1, from2, 20_000);
  expect(b1.events.filter((e) => e.type === 'CALL_CLOSED')).toEqual([]);
  expect(b2.events.filter((e) => e.type === 'CALL_CLOSED')).toEqual([]);

  for (const p of [b1, b2]) {
    await p.command('hangup');
    await p.waitEvent('CALL_CLOSED');
  }
  for (const [name, p] of [['1', b1], ['2', b2]] as const) {
    const stats = await waitFor(() => p.streamStats('video'), `baresip ${name}'s video RTP statistics`);
    expect(stats.received, `baresip ${name} received video packets (its own RTP statistics)`).toBeGreaterThan(0);
  }
});

const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };
const roomLeg = (h: MediaLegHandle): RoomLeg => (h as unknown as { readonly leg: RoomLeg }).leg;
const keys = (): { masterKey: Uint8Array; masterSalt: Uint8Array } => ({ masterKey: randomBytes(16), masterSalt: randomBytes(14) });

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** RFC 4585 6.3.1: the media SSRCs of the PLIs (PT 206, FMT 1) in a compound RTCP packet. */
function pliTargets(rtcp: Uint8Array): number[] {
  const out: number[] = [];
  const v = new DataView(rtcp.buffer, rtcp.byteOffset, rtcp.byteLength);
  for (let o = 0; o + 4 <= rtcp.length; o += 4 * (v.getUint16(o + 2) + 1)) {
    if (v.getUint8(o + 1) === 206 && (v.getUint8(o) & 0x1f) === 1 && o + 12 <= rtcp.length) out.push(v.getUint32(o + 8));
  }
  return out;
}

it('media plane: a takeover leg started with its reserved video ports asks the peer\'s video for a key frame once its SSRC is known; refused video: audio only', { timeout: 30_000 }, async () => {
  const plane = new RoomMediaPlane({
    allocator: new MediaPortAllocator({ range: { min: 47000, max: 47199 }, address: '127.0.0.1' }),
    guestAddress: '127.0.0.1',
    guestPorts: { min: 47200, max: 47299 },
    mediaTimeoutMs: 30_000,
    logger: SILENT,
    onEvent: () => {},
  });
  const [audioPeer, videoPeer] = [await udp(), await udp()];
  const handles: MediaLegHandle[] = [];
  try {
    const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
    const audio: SdesLegPlan = {
      mediaIndex: 0, remote: { address: '127.0.0.1', rtpPort: audioPeer.address().port, rtcpPort: audioPeer.address().port },
      formats: [{ pt: 0, name: 'PCMU', clockRate: 8000 }], rtcpMux: true, peerDirection: 'sendrecv', suite, localKey: keys(), remoteKey: keys(),
    };
    const ours = keys();
    const theirs = keys();
    const vp8 = { pt: 96, name: 'VP8', clockRate: 90000 };
    const video: VideoLegPlan = {
      index: 1, formats: [vp8], feedback: { pli: true, fir: false },
      sdes: { mediaIndex: 1, remote: { address: '127.0.0.1', rtpPort: videoPeer.address().port, rtcpPort: videoPeer.address().port }, formats: [vp8], rtcpMux: true, peerDirection: 'sendrecv', suite, localKey: ours, remoteKey: theirs },
    };

    const reserved = await plane.reserveSdes(true, { rtcpMux: true });
    const vports = reserved.video;
    expect(vports).toBeDefined();
    expect(vports?.rtcpPort).toBeNull();
    expect(vports?.rtpPort).not.toBe(reserved.rtpPort);
    const h = reserved.start('tk-video', audio, video);
    handles.push(h);
    expect(roomLeg(h).video?.formats).toEqual([vp8]);

    const plis: number[] = [];
    const rx = createSrtpSession({ suite, ...ours });
    videoPeer.on('message', (m) => {
      if (m.length < 2 || m[1] === undefined || m[1] < 192 || m[1] > 223) return; // RTCP only (RFC 5761 4)
      const r = rx.unprotectRtcp(new Uint8Array(m));
      if (r.ok) plis.push(...pliTargets(r.out.subarray(0, r.length)));
    });
    const PEER_SSRC = 0x5eed1234;
    const tx = createSrtpSession({ suite, ...theirs });
    const frame = serializeRtp({ marker: true, payloadType: 96, sequenceNumber: 7, timestamp: 9000, ssrc: PEER_SSRC, csrcs: [], extension: null, payload: new Uint8Array([0x10, 0, 0x9d, 0x01, 0x2a]), paddingLength: 0 });
    const sealed = tx.protectRtp(frame);
    if (!sealed.ok) throw new Error(sealed.reason);
    videoPeer.send(Buffer.from(sealed.out.subarray(0, sealed.length)), vports?.rtpPort ?? 0, '127.0.0.1');
    await waitUntil(() => plis.includes(PEER_SSRC), 'a PLI for the peer\'s video SSRC');

    // the peer refused the video in its answer: the leg starts without it, its ports are freed
    const refused = await plane.reserveSdes(true, { rtcpMux: true });
    const h2 = refused.start('tk-audio-only', audio);
    handles.push(h2);
    expect(roomLeg(h2).video ?? null).toBeNull();
  } finally {
    for (const h of handles) await roomLeg(h).close().catch(() => undefined);
    audioPeer.close();
    videoPeer.close();
  }
});
