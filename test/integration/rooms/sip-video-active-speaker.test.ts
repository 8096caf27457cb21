/**
 * Issue 6 video, three participants: each receives the ACTIVE SPEAKER's video as one stream
 * (the speaker keeps seeing the previous one), and a switch asks the new speaker for a key
 * frame. Three baresip (VP8, SDES) with cameras of different sizes, so the size of the frames
 * a baresip DECODED says whose video it got; who speaks is switched with baresip's own `mute`
 * (the room's active speaker detection runs on the mixed audio levels).
 *
 * Independent of the gateway's counters and logs:
 *   - decoded picture sizes come from baresip's VP8 decoder (snapshot.so PNG);
 *   - the key frame request after the switch is read off the wire: tshark captures what the
 *     gateway sent, libsrtp2 decrypts the SRTCP toward the new speaker with the key that
 *     baresip received in our answer (its callstat), and a PLI naming baresip's own video SSRC
 *     must be there in the capture started just before the switch. (A VP8 decoder also changes
 *     picture size only at a key frame, so the receivers' new size shows one arrived.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.ts';
import { Libsrtp } from '../../helpers/media-libsrtp.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { baresipVideoStream, VideoWire } from './video-wire.ts';

const ROOM = 'video3';
const SIZES = [
  { width: 352, height: 288 },
  { width: 176, height: 144 },
  { width: 320, height: 240 },
] as const;
type Size = { readonly width: number; readonly height: number };

let gw: RoomGateway;
let srtp: Libsrtp;
const peers: Baresip[] = [];

beforeAll(async () => {
  srtp = Libsrtp.compile();
  gw = await startRoomGateway({ rooms: [{ id: ROOM }] });
  for (const size of SIZES) peers.push(await Baresip.start({ mediaenc: 'srtp-mand', video: size }));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(peers.map((p) => p.stop()));
  await gw?.stop();
  srtp?.dispose();
});

/** Waits until `peer` decodes frames of `want`'s size; returns the last size it decoded. */
async function sees(peer: Baresip, want: Size, tries = 40): Promise<Size | null> {
  let last: Size | null = null;
  for (let i = 0; i < tries; i++) {
    last = await peer.snapshotReceived();
    if (last !== null && last.width === want.width && last.height === want.height) return last;
  }
  return last;
}

describe('issue 6 video: three participants see the active speaker', () => {
  it('switches every receiver to the new speaker at a key frame it requested (PLI on the wire)', async () => {
    const [a, b, c] = peers as [Baresip, Baresip, Baresip];
    const [sizeA, sizeB, sizeC] = SIZES;
    // only b talks: a and c mute their microphones as soon as they are in
    for (const p of [a, b, c]) {
      await p.command('dial', gw.roomUri(ROOM));
      await p.waitEvent('CALL_ESTABLISHED');
      if (p !== b) expect((await p.command('mute')).ok).toBe(true);
    }
    expect(await sees(a, sizeB), 'a sees the speaker b').toEqual(sizeB);
    expect(await sees(c, sizeB), 'c sees the speaker b').toEqual(sizeB);
    // b, speaking, keeps whom it saw before it became the speaker: a, or c when c's first
    // moment in the room (before its mute) made c the speaker for a while; never itself
    const bSees = await b.snapshotReceived();
    expect([sizeA, sizeC], `b (speaking) sees another participant, not itself: ${JSON.stringify(bSees)}`).toContainEqual(bSees);

    const wire = await VideoWire.start({ mediaMin: gw.media.min, mediaMax: gw.media.max, sipPort: gw.sipPort });
    try {
      // c starts talking, b stops
      expect((await c.command('mute')).ok).toBe(true);
      expect((await b.command('mute')).ok).toBe(true);
      expect(await sees(a, sizeC), 'a switched to the new speaker c').toEqual(sizeC);
      expect(await sees(b, sizeC), 'b switched to the new speaker c').toEqual(sizeC);
      expect(await sees(c, sizeB), 'c (now speaking) keeps seeing b').toEqual(sizeB);
    } finally {
      await wire.stop();
    }
    const streamC = baresipVideoStream((await c.command('callstat')).data);
    const requests = wire.keyFrameRequests(streamC, srtp);
    expect(requests.length, 'the gateway asked c for a key frame (PLI, decrypted by libsrtp2)').toBeGreaterThan(0);
    expect(requests[0]?.type).toBe('pli'); // c negotiated a=rtcp-fb nack pli
  }, 90_000);
});
