/**
 * Issue 6 video, two participants: two baresip (vp8.so, fakevideo as the camera) in one room
 * of the real `gatehouse` binary, SDES-SRTP on both the audio and the video m-line (each its own
 * a=crypto and ports). Each must receive and DECODE the other's video, checked with baresip's
 * own view, never the gateway's counters:
 *   - baresip's CALL_MENC event names the SRTP suite of its video stream;
 *   - the frame baresip's VP8 decoder produced (snapshot.so PNG) has the OTHER participant's
 *     picture size (each camera has its own size), so it is the other's video, decrypted and
 *     decoded;
 *   - baresip's RTP statistics at hangup count received video packets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';

const ROOM = 'video2';
const A = { width: 352, height: 288 };
const B = { width: 176, height: 144 };

let gw: RoomGateway;
let a: Baresip;
let b: Baresip;

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: ROOM }] });
  a = await Baresip.start({ mediaenc: 'srtp-mand', video: A });
  b = await Baresip.start({ mediaenc: 'srtp-mand', video: B });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await gw?.stop();
});

/** The size of the frames `peer` decodes, once it equals `want` (or the last one seen). */
async function decodedSize(peer: Baresip, want: { width: number; height: number }): Promise<{ width: number; height: number } | null> {
  let last: { width: number; height: number } | null = null;
  for (let i = 0; i < 20; i++) {
    last = await peer.snapshotReceived();
    if (last !== null && last.width === want.width && last.height === want.height) return last;
  }
  return last;
}

describe('issue 6 video: two baresips with VP8 in one room', () => {
  it('each decodes the other one\'s video (SDES on the video m-line, per-receiver rewriting)', async () => {
    for (const p of [a, b]) {
      await p.command('dial', gw.roomUri(ROOM));
      await p.waitEvent('CALL_ESTABLISHED');
    }
    for (const p of [a, b]) {
      const menc = await waitFor(() => p.events.find((e) => e.type === 'CALL_MENC' && String(e.param).includes(',video,')), 'CALL_MENC for video');
      expect(String(menc.param)).toMatch(/,video,AES_CM_128_HMAC_SHA1_80$/);
    }
    expect(await decodedSize(a, B), 'A decodes B\'s picture').toEqual(B);
    expect(await decodedSize(b, A), 'B decodes A\'s picture').toEqual(A);
    expect(gw.logs('video declined')).toEqual([]);

    for (const p of [a, b]) {
      await p.command('hangup');
      await p.waitEvent('CALL_CLOSED');
    }
    for (const [name, p] of [['A', a], ['B', b]] as const) {
      const stats = await waitFor(() => p.streamStats('video'), `${name}'s video RTP statistics`);
      expect(stats.received, `${name} received video packets (its own RTP statistics)`).toBeGreaterThan(0);
    }
  }, 60_000);
});

async function waitFor<T>(get: () => T | null | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = get();
    if (v !== null && v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
