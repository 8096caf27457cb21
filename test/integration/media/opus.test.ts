/**
 * Opus in rooms over real sockets on 127.0.0.1 (SRTP both sides, each peer decrypting with its
 * own leg's key): an Opus leg (what a browser guest sends: opus/48000/2, 20 ms, 48 kHz clock,
 * RFC 7587) transcoded to and from a G.711 leg in a two-party room, with loss concealment and
 * RFC 4733 events rescaled between the 48 kHz and 8 kHz clocks; an Opus leg in a three-party
 * N-1 mix with PCMU and G.722; and libopus state freed whenever legs join and leave.
 * The test peers encode and decode Opus with their own libopus instances (opusscript at 48 kHz,
 * as a browser does), not with the gateway's wrapper.
 */
import OpusScript from 'opusscript';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import { liveOpusCodecs } from '../../../src/adapters/media/opus-codec.ts';
import type { PayloadFormat } from '../../../src/adapters/media/media-types.ts';
import { G722Decoder } from '../../../src/core/codec/g722-decoder.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer } from '../../helpers/media-fixture.ts';
import { amplitudeAt, decode, sleep, waitUntil } from '../../helpers/rtp-peer.ts';
import type { PeerCodec } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
let open: LegAndPeer[] = [];
let rooms: MediaRoom[] = [];
let libopus: OpusScript[] = [];

afterEach(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
  for (const o of libopus) o.delete();
  open = [];
  rooms = [];
  libopus = [];
});

const OPUS_PT = 111;
const OPUS_FORMATS: readonly PayloadFormat[] = [
  { pt: OPUS_PT, name: 'opus', clockRate: 48000, channels: 2 },
  { pt: 110, name: 'telephone-event', clockRate: 48000 },
];

function opusLeg(id: string): Promise<LegAndPeer> {
  return legWithPeer(allocator, { id, suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: OPUS_PT, formats: OPUS_FORMATS });
}

function libopusAt48k(): OpusScript {
  const o = new OpusScript(48000, 1, OpusScript.Application.VOIP);
  libopus.push(o);
  return o;
}

/** Sends `frames` 20 ms Opus packets of a tone, paced in real time; `skip` lists frames not sent (lost). */
async function sendOpusTone(p: LegAndPeer, hz: number, frames: number, skip: readonly number[] = []): Promise<void> {
  const enc = libopusAt48k();
  for (let f = 0; f < frames; f++) {
    const pcm = new Int16Array(960);
    for (let i = 0; i < 960; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (f * 960 + i)) / 48000));
    const packet = p.peer.nextPacket(enc.encode(Buffer.from(pcm.buffer), 960), OPUS_PT, f === 0, 960);
    if (!skip.includes(f)) await p.peer.sendRaw(p.peer.protect(packet));
    await sleep(20);
  }
}

/** What an Opus peer heard: its received Opus packets decoded at 48 kHz, in order. */
function opusHeard(p: LegAndPeer): Int16Array {
  const dec = libopusAt48k();
  const parts = p.peer.audio(OPUS_PT).map((x) => {
    const b = dec.decode(Buffer.from(x.payload));
    return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  });
  const out = new Int16Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

function decodedFrames(p: LegAndPeer, pt: number, codec: PeerCodec): Int16Array[] {
  const dec = new G722Decoder();
  return p.peer.audio(pt).map((x) => decode(codec, x.payload, dec));
}

function joined(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

describe('two-party Opus <-> G.711 transcoding', () => {
  it('an Opus leg (AEAD_AES_256_GCM) and a PCMU leg (AES_CM_128_HMAC_SHA1_80) hear each other', async () => {
    const a = await opusLeg('opus');
    const b = await legWithPeer(allocator, { id: 'pcmu', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    open.push(a, b);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    room.addLeg(a.leg);
    room.addLeg(b.leg);
    expect(room.mode).toBe('relay');
    await Promise.all([sendOpusTone(a, 600, 40), b.peer.sendTone(1000, 40)]);
    await waitUntil(() => b.peer.audio(0).length >= 40 && a.peer.audio(OPUS_PT).length >= 40, 'transcoded audio both ways');

    // Opus -> PCMU: 20 ms G.711 packets (160 octets), 8 kHz timestamps, the 600 Hz tone
    const toB = b.peer.audio(0);
    expect(toB.every((p) => p.payload.length === 160)).toBe(true);
    expect(toB.slice(1).every((p, i) => ((p.timestamp - (toB[i]?.timestamp ?? 0)) >>> 0) === 160)).toBe(true);
    const pcmB = joined(decodedFrames(b, 0, 'PCMU')).subarray(1600);
    expect(amplitudeAt(pcmB, 600, 8000)).toBeGreaterThan(5000);
    expect(amplitudeAt(pcmB, 1000, 8000)).toBeLessThan(300);

    // PCMU -> Opus: Opus packets on the 48 kHz clock (960 per 20 ms), decodable, the 1000 Hz tone
    const toA = a.peer.audio(OPUS_PT);
    expect(toA.slice(1).every((p, i) => ((p.timestamp - (toA[i]?.timestamp ?? 0)) >>> 0) === 960)).toBe(true);
    expect(toA.every((p) => p.payload.length < 160)).toBe(true);
    const pcmA = opusHeard(a).subarray(9600);
    expect(amplitudeAt(pcmA, 1000, 48000)).toBeGreaterThan(5000);
    expect(amplitudeAt(pcmA, 600, 48000)).toBeLessThan(300);
    expect(a.peer.undecryptable + b.peer.undecryptable).toBe(0);
  });

  it('conceals a lost Opus packet (libopus PLC) as the missing G.711 packet, and drops it when it arrives late', async () => {
    const a = await opusLeg('opus');
    const b = await legWithPeer(allocator, { id: 'pcmu', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    open.push(a, b);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    room.addLeg(a.leg);
    room.addLeg(b.leg);
    await sendOpusTone(a, 500, 30, [15]);
    await waitUntil(() => b.peer.audio(0).length >= 30, 'all 30 packets at the G.711 leg');
    const got = b.peer.audio(0);
    expect(got).toHaveLength(30);
    // one unbroken stream: 30 consecutive sequence numbers, the concealed one included
    const seqs = got.map((p) => p.sequenceNumber).sort((x, y) => ((x - (got[0]?.sequenceNumber ?? 0)) & 0xffff) - ((y - (got[0]?.sequenceNumber ?? 0)) & 0xffff));
    expect(seqs.every((s, i) => s === (((seqs[0] ?? 0) + i) & 0xffff))).toBe(true);
    // the concealed packet (the 16th) carries the tone on, not silence
    const frames = decodedFrames(b, 0, 'PCMU');
    expect(amplitudeAt(frames[15] ?? new Int16Array(0), 500, 8000)).toBeGreaterThan(3000);

    // the lost packet turns up late: the decoder has moved on, so it is not relayed
    a.peer.seq = (a.peer.seq - 15) & 0xffff;
    a.peer.ts = (a.peer.ts - 15 * 960) >>> 0;
    await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(Buffer.from([0xf8, 0xff, 0xfe]), OPUS_PT, false, 960)));
    await sleep(200);
    expect(b.peer.audio(0)).toHaveLength(30);
  });

  it('relays RFC 4733 events between te/48000 and te/8000, timestamps and durations rescaled', async () => {
    const a = await opusLeg('opus');
    const b = await legWithPeer(allocator, { id: 'pcmu', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    open.push(a, b);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    room.addLeg(a.leg);
    room.addLeg(b.leg);
    await sendOpusTone(a, 500, 5);
    // event 5 from the Opus leg: start, update, end (2.5.1.4), durations at 48 kHz
    const start = a.peer.ts;
    for (const [end, dur] of [[0, 960], [0, 1920], [1, 2880]] as const) {
      a.peer.ts = start;
      await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(Buffer.from([5, end ? 0x8a : 0x0a, dur >> 8, dur & 0xff]), 110, dur === 960)));
    }
    await waitUntil(() => b.peer.audio(101).length >= 3, 'the event at the G.711 leg');
    const events = b.peer.audio(101);
    expect(events.map((p) => p.payload[0])).toEqual([5, 5, 5]);
    expect(events.map((p) => ((p.payload[2] ?? 0) << 8) | (p.payload[3] ?? 0))).toEqual([160, 320, 480]);
    expect(new Set(events.map((p) => p.timestamp)).size).toBe(1);
    // on the audio's timeline: one 20 ms frame (160 at 8 kHz) after the last audio packet
    const audio = b.peer.audio(0);
    expect(((events[0]?.timestamp ?? 0) - (audio[audio.length - 1]?.timestamp ?? 0)) >>> 0).toBe(160);

    // and back: te/8000 from the G.711 leg reaches the Opus leg as te/48000
    const startB = b.peer.ts;
    for (const [end, dur] of [[0, 160], [1, 320]] as const) {
      b.peer.ts = startB;
      await b.peer.sendRaw(b.peer.protect(b.peer.nextPacket(Buffer.from([9, end ? 0x8a : 0x0a, dur >> 8, dur & 0xff]), 101, dur === 160)));
    }
    await waitUntil(() => a.peer.audio(110).length >= 2, 'the event at the Opus leg');
    expect(a.peer.audio(110).map((p) => ((p.payload[2] ?? 0) << 8) | (p.payload[3] ?? 0))).toEqual([960, 1920]);
  });
});

describe('Opus in the N-1 mix', () => {
  it('an Opus leg, a PCMU leg and a G.722 leg each hear the other two and not themselves', async () => {
    const TONES = [500, 1100, 1700];
    const o = await opusLeg('o');
    const u = await legWithPeer(allocator, { id: 'u', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    const g = await legWithPeer(allocator, { id: 'g', suite: 'AEAD_AES_128_GCM', codec: 'G722', pt: 9 });
    open.push(o, u, g);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    for (const l of [o, u, g]) room.addLeg(l.leg);
    expect(room.mode).toBe('mix');
    await Promise.all([sendOpusTone(o, TONES[0] ?? 0, 50), u.peer.sendTone(TONES[1] ?? 0, 50, 6000), g.peer.sendTone(TONES[2] ?? 0, 50, 6000)]);
    await waitUntil(() => [o, u, g].every((l) => l.peer.received.length >= 50), 'mixed audio at every peer');

    /** The middle half of the loud stretch: all three talking. */
    const talking = (frames: readonly Int16Array[]): Int16Array => {
      const loud = frames.filter((f) => Math.sqrt(f.reduce((s, v) => s + v * v, 0) / f.length) > 1500);
      return joined(loud.slice(Math.floor(loud.length / 4), Math.ceil((3 * loud.length) / 4)));
    };
    const heardBy: [Int16Array, number][] = [
      [talking(splitFrames(opusHeard(o), 960)), 48000],
      [talking(decodedFrames(u, 0, 'PCMU')), 8000],
      [talking(decodedFrames(g, 9, 'G722')), 16000],
    ];
    heardBy.forEach(([pcm, rate], i) => {
      expect(pcm.length, `participant ${i} heard talk`).toBeGreaterThan((10 * rate) / 50);
      TONES.forEach((hz, j) => {
        const amp = amplitudeAt(pcm, hz, rate);
        if (j === i) expect(amp, `participant ${i} must not hear itself (${hz} Hz)`).toBeLessThan(400);
        else expect(amp, `participant ${i} hears ${hz} Hz`).toBeGreaterThan(3000);
      });
    });
    // the Opus leg gets 20 ms Opus packets on its 48 kHz timeline, one stream of its SSRC
    const toO = o.peer.audio(OPUS_PT);
    expect(toO.slice(1).every((p, i) => ((p.timestamp - (toO[i]?.timestamp ?? 0)) >>> 0) === 960)).toBe(true);
    expect(new Set(toO.map((p) => p.ssrc))).toEqual(new Set([o.leg.ssrc]));
  });

  it('frees every libopus state when legs join and leave (no leak across 40 join/leave cycles)', async () => {
    const before = liveOpusCodecs();
    const a = await opusLeg('a');
    const b = await legWithPeer(allocator, { id: 'b', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 });
    const c = await opusLeg('c');
    open.push(a, b, c);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    room.addLeg(a.leg);
    room.addLeg(b.leg); // relay Opus <-> PCMU: a's codec
    expect(liveOpusCodecs()).toBe(before + 1);
    for (let i = 0; i < 40; i++) {
      room.addLeg(c.leg); // mix: a's and c's codecs; the relay's freed
      expect(liveOpusCodecs()).toBe(before + 2);
      room.removeLeg(c.leg); // relay again: the mix's freed
      expect(liveOpusCodecs()).toBe(before + 1);
    }
    room.removeLeg(b.leg);
    expect(liveOpusCodecs()).toBe(before); // one leg: nothing to transcode
    room.addLeg(b.leg);
    room.addLeg(c.leg);
    room.close();
    expect(liveOpusCodecs()).toBe(before);
  });
});

function splitFrames(pcm: Int16Array, n: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + n <= pcm.length; i += n) out.push(pcm.subarray(i, i + n));
  return out;
}
