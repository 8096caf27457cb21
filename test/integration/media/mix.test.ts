/**
 * Three participants: each leg receives an N-1 mix (decode, mix per 20 ms tick, encode to the
 * leg's codec). Each peer sends its own tone; each must hear the other two and not itself.
 * The legs use three codecs (PCMU, PCMA, G.722: the mix runs at 16 kHz) and two suites.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import type { MediaEvent } from '../../../src/adapters/media/media-types.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer } from '../../helpers/media-fixture.ts';
import { G722Decoder } from '../../../src/core/codec/g722-decoder.ts';
import { amplitudeAt, codecRate, decode, waitUntil } from '../../helpers/rtp-peer.ts';
import type { PeerCodec } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
let open: LegAndPeer[] = [];
let rooms: MediaRoom[] = [];

afterEach(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
  open = [];
  rooms = [];
});

/** Whole cycles in 20 ms at 8 and 16 kHz, all inside the telephone band. */
const TONES = [500, 1100, 1700];

/**
 * Decodes the peer's received frames one by one (a G.722 decoder keeps state across them),
 * keeps the loud ones (the mix also carries silence before and after the talk), and returns
 * the middle half of those: the stretch where all three were talking.
 */
function talkingAudio(p: LegAndPeer, codec: PeerCodec, pt: number): Int16Array {
  const dec = new G722Decoder();
  const frames = p.peer.audio(pt).map((x) => decode(codec, x.payload, dec));
  const loud = frames.filter((f) => Math.sqrt(f.reduce((s, v) => s + v * v, 0) / f.length) > 1500);
  const mid = loud.slice(Math.floor(loud.length / 4), Math.ceil((3 * loud.length) / 4));
  const out = new Int16Array(mid.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of mid) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

describe('three-party N-1 mix', () => {
  it('each participant hears the other two tones and not its own (PCMU/GCM-256, PCMA/SHA1_80, G.722/GCM-128)', async () => {
    const specs = [
      { id: 'a', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 },
      { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMA', pt: 8 },
      { id: 'c', suite: 'AEAD_AES_128_GCM', codec: 'G722', pt: 9 },
    ] as const;
    const legs: LegAndPeer[] = [];
    for (const s of specs) legs.push(await legWithPeer(allocator, s));
    open.push(...legs);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    for (const l of legs) room.addLeg(l.leg);
    expect(room.mode).toBe('mix');

    await Promise.all(legs.map((l, i) => l.peer.sendTone(TONES[i] ?? 0, 50, 6000)));
    await waitUntil(() => legs.every((l) => l.peer.received.length >= 50), 'mixed audio at every peer');

    specs.forEach((s, i) => {
      const pcm = talkingAudio(legs[i] as LegAndPeer, s.codec, s.pt);
      expect(pcm.length, `${s.id} heard talk`).toBeGreaterThan(10 * codecRate(s.codec) / 50);
      const amp = TONES.map((f) => amplitudeAt(pcm, f, codecRate(s.codec)));
      TONES.forEach((f, j) => {
        if (j === i) expect(amp[j], `${s.id} must not hear itself (${f} Hz)`).toBeLessThan(400);
        else expect(amp[j], `${s.id} hears ${specs[j]?.id} (${f} Hz)`).toBeGreaterThan(4000);
      });
      expect(legs[i]?.peer.undecryptable).toBe(0);
      // one continuous stream of the leg's SSRC
      expect(new Set(legs[i]?.peer.audio(s.pt).map((p) => p.ssrc))).toEqual(new Set([legs[i]?.leg.ssrc]));
    });
  });

  it('forwards RFC 4733 DTMF to the other legs on their own timelines, and reports it once', async () => {
    const events: MediaEvent[] = [];
    const legs: LegAndPeer[] = [];
    const te = [101, 96, 110];
    for (const [i, id] of ['a', 'b', 'c'].entries()) {
      legs.push(
        await legWithPeer(allocator, {
          id,
          suite: 'AEAD_AES_256_GCM',
          codec: 'PCMU',
          pt: 0,
          formats: [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: te[i] ?? 101, name: 'telephone-event', clockRate: 8000 }],
        }),
      );
    }
    open.push(...legs);
    const room = new MediaRoom({ id: 'r', onEvent: (e) => events.push(e) });
    rooms.push(room);
    for (const l of legs) room.addLeg(l.leg);
    const a = legs[0] as LegAndPeer;
    // '#' (event 11): start, two updates, end x3 (RFC 4733 2.5.1.4), all with the event's start timestamp
    const start = a.peer.ts;
    for (const [end, dur] of [[0, 160], [0, 320], [0, 480], [1, 640], [1, 640], [1, 640]] as const) {
      a.peer.ts = start;
      await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(Buffer.from([11, end ? 0x8a : 0x0a, dur >> 8, dur & 0xff]), 101, dur === 160)));
    }
    await waitUntil(() => legs.slice(1).every((l, i) => l.peer.audio(te[i + 1] ?? 0).length >= 6), 'DTMF at b and c');
    for (const [i, l] of legs.slice(1).entries()) {
      const got = l.peer.audio(te[i + 1] ?? 0);
      expect(got.map((p) => p.payload[0])).toEqual([11, 11, 11, 11, 11, 11]);
      expect(new Set(got.map((p) => p.timestamp)).size).toBe(1);
      expect(got[0]?.marker).toBe(true);
      expect(new Set(got.map((p) => p.ssrc))).toEqual(new Set([l.leg.ssrc]));
    }
    expect(a.peer.received.filter((r) => r.packet.payloadType === 101)).toHaveLength(0);
    expect(events.filter((e) => e.type === 'dtmf')).toEqual([{ type: 'dtmf', legId: 'a', event: 11, end: true }]);
  });

  it('goes back to relay when the third leg leaves', async () => {
    const legs: LegAndPeer[] = [];
    for (const id of ['a', 'b', 'c']) legs.push(await legWithPeer(allocator, { id, suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 }));
    open.push(...legs);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    for (const l of legs) room.addLeg(l.leg);
    expect(room.mode).toBe('mix');
    room.removeLeg((legs[2] as LegAndPeer).leg);
    expect(room.mode).toBe('relay');
    const [a, b] = legs as [LegAndPeer, LegAndPeer];
    const before = b.peer.received.length;
    await a.peer.sendTone(400, 10);
    await waitUntil(() => b.peer.received.length >= before + 10, 'relayed audio after the mix');
    // relayed packets carry A's payloads bit-exact; the stream (SSRC, sequence) continues
    const tail = b.peer.audio(0).slice(-10);
    expect(new Set(tail.map((p) => p.ssrc))).toEqual(new Set([b.leg.ssrc]));
  });
});
