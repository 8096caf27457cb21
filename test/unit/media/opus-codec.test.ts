/**
 * The Opus wrapper (src/adapters/media/opus-codec.ts) on the real libopus (opusscript wasm):
 * a tone survives encode -> decode at both room rates (frequency and level checked with
 * test/helpers/audio-analysis.ts), loss concealment yields exactly one frame that continues
 * the signal, bad input is refused without touching the decoder, and every codec is counted
 * until freed. Plus the RTP clock scaling used between Opus (48 kHz clock) and G.711 (8 kHz).
 */
import { describe, expect, it } from 'vitest';
import { OpusCodec, isOpusFrameSize, liveOpusCodecs } from '../../../src/adapters/media/opus-codec.ts';
import type { OpusRate } from '../../../src/adapters/media/opus-codec.ts';
import { TimestampScaler, scaleEventDuration } from '../../../src/adapters/media/rtp-clock-scaler.ts';
import { rms, toneFraction } from '../../helpers/audio-analysis.ts';

function tone(rate: number, hz: number, samples: number, from: number, amplitude = 8000): Int16Array {
  const x = new Int16Array(samples);
  for (let i = 0; i < samples; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (from + i)) / rate));
  return x;
}

/** Encodes `frames` 20 ms frames of a tone and returns the packets. */
function encodeTone(codec: OpusCodec, hz: number, frames: number): Buffer[] {
  const n = codec.sampleRate / 50;
  const out: Buffer[] = [];
  const buf = Buffer.alloc(4000);
  for (let f = 0; f < frames; f++) {
    const len = codec.encode(tone(codec.sampleRate, hz, n, f * n), buf, 0);
    expect(len).toBeGreaterThan(0);
    out.push(Buffer.from(buf.subarray(0, len)));
  }
  return out;
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('OpusCodec (libopus 1.4 via opusscript)', () => {
  for (const [rate, hz] of [[8000, 1000], [16000, 1000], [16000, 5000]] as const) {
    it(`encodes and decodes a ${hz} Hz tone at ${rate} Hz (RFC 7587 s4.2: one packet per 20 ms frame)`, () => {
      const enc = new OpusCodec(rate as OpusRate);
      const dec = new OpusCodec(rate as OpusRate);
      try {
        const packets = encodeTone(enc, hz, 50);
        // VBR speech coding: far smaller than the 2 octets per sample of the PCM
        for (const p of packets) expect(p.length).toBeLessThan(rate / 50);
        const pcm = concat(packets.map((p) => Int16Array.from(dec.decode(p) ?? [])));
        expect(pcm.length).toBe(50 * (rate / 50));
        expect(dec.lastPacketSamples).toBe(rate / 50);
        const steady = pcm.subarray(rate / 5); // after the codec's start-up
        expect(toneFraction(steady, rate, hz)).toBeGreaterThan(0.9);
        expect(rms(steady)).toBeGreaterThan(0.7 * (8000 / Math.SQRT2));
        expect(rms(steady)).toBeLessThan(1.3 * (8000 / Math.SQRT2));
      } finally {
        enc.free();
        dec.free();
      }
    });
  }

  it('decodes a 48 kHz stereo sender (a browser: opus/48000/2) in mono at 16 kHz', async () => {
    const { default: OpusScript } = await import('opusscript');
    const browser = new OpusScript(48000, 2, OpusScript.Application.AUDIO);
    const dec = new OpusCodec(16000);
    try {
      const parts: Int16Array[] = [];
      for (let f = 0; f < 25; f++) {
        const mono = tone(48000, 700, 960, f * 960);
        const stereo = new Int16Array(1920);
        for (let i = 0; i < 960; i++) stereo[2 * i] = stereo[2 * i + 1] = mono[i] ?? 0;
        const pcm = dec.decode(browser.encode(Buffer.from(stereo.buffer), 960));
        expect(pcm?.length).toBe(320);
        parts.push(Int16Array.from(pcm ?? []));
      }
      const steady = concat(parts).subarray(3200);
      expect(toneFraction(steady, 16000, 700)).toBeGreaterThan(0.9);
    } finally {
      browser.delete();
      dec.free();
    }
  });

  it('conceals a lost packet with exactly one frame that continues the signal (RFC 6716 s3.2.1 zero-length frame)', () => {
    const enc = new OpusCodec(16000);
    const dec = new OpusCodec(16000);
    try {
      expect(dec.conceal()).toBeNull(); // nothing to conceal before the first packet
      const packets = encodeTone(enc, 440, 30);
      const lost = [10, 20, 21];
      const heard: number[] = [];
      for (const [i, p] of packets.entries()) {
        const pcm = lost.includes(i) ? dec.conceal() : dec.decode(p);
        expect(pcm?.length, `frame ${i}`).toBe(320);
        if (lost.includes(i)) expect(toneFraction(pcm ?? [], 16000, 440), `concealed frame ${i} continues the tone`).toBeGreaterThan(0.8);
        heard.push(rms(pcm ?? []));
      }
      const level = 8000 / Math.SQRT2;
      // a concealed frame carries the tone on (not silence); the real frames after it ramp back
      // up (measured: 0.6 of the level after the single loss, 0.25 right after the double one,
      // against 0.1 after the 180 ms PLC opusscript runs for an empty packet) and reach full
      // level again within a few frames
      expect(heard[10]).toBeGreaterThan(0.5 * level);
      expect(heard[20]).toBeGreaterThan(0.5 * level);
      for (let i = 11; i < 30; i++) expect(heard[i], `frame ${i} after a loss`).toBeGreaterThan(0.15 * level);
      for (const i of [19, 25, 26, 27]) expect(heard[i], `frame ${i}, well after a loss`).toBeGreaterThan(0.8 * level);
    } finally {
      enc.free();
      dec.free();
    }
  });

  it('refuses what libopus cannot code: a corrupt packet (decoder unchanged), an empty payload, a 30 ms frame', () => {
    const c = new OpusCodec(8000);
    try {
      const good = encodeTone(c, 500, 3);
      expect(c.decode(good[0] ?? Buffer.alloc(0))).not.toBeNull();
      // TOC code 3 (RFC 6716 s3.2.5) announcing 63 frames: more than 120 ms, invalid
      expect(c.decode(Buffer.from([0x03, 0x3f, 1, 2, 3]))).toBeNull();
      expect(c.decode(Buffer.alloc(0))).toBeNull();
      expect(c.lastPacketSamples).toBe(160);
      expect(c.decode(good[1] ?? Buffer.alloc(0))?.length).toBe(160);
      expect(c.encode(new Int16Array(240), Buffer.alloc(4000), 0)).toBe(-1);
      expect(c.encode(new Int16Array(160), Buffer.alloc(2), 0)).toBe(-1); // output too small
    } finally {
      c.free();
    }
  });

  it('counts live codecs until freed; free() is idempotent and a freed codec does nothing', () => {
    const before = liveOpusCodecs();
    const codecs = Array.from({ length: 20 }, () => new OpusCodec(16000));
    expect(liveOpusCodecs()).toBe(before + 20);
    for (const c of codecs) c.free();
    codecs[0]?.free();
    expect(liveOpusCodecs()).toBe(before);
    expect(codecs[0]?.decode(Buffer.from([0xf8, 0xff, 0xfe]))).toBeNull();
    expect(codecs[0]?.encode(new Int16Array(320), Buffer.alloc(4000), 0)).toBe(-1);
  });

  it('knows the frame durations opus_encode accepts (2.5-60 ms, 80-120 ms; not 30 ms)', () => {
    for (const ms of [2.5, 5, 10, 20, 40, 60, 80, 100, 120]) {
      expect(isOpusFrameSize((8000 * ms) / 1000, 8000), `${ms} ms`).toBe(true);
      expect(isOpusFrameSize((16000 * ms) / 1000, 16000), `${ms} ms`).toBe(true);
    }
    for (const samples of [0, 1, 159, 161, 240, 480 * 3]) expect(isOpusFrameSize(samples, 8000), `${samples}`).toBe(false);
  });
});

describe('RTP clock scaling between Opus (48 kHz, RFC 7587 s4.1) and G.711 (8 kHz)', () => {
  it('maps 48 kHz timestamps to 8 kHz steps, across the 32-bit wrap, and late packets backwards', () => {
    const s = new TimestampScaler(48000, 8000);
    let ts = 0xffffffff - 960 * 2 + 1;
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      out.push(s.map(ts));
      ts = (ts + 960) >>> 0;
    }
    const steps = out.slice(1).map((v, i) => ((v - (out[i] ?? 0)) >>> 0));
    expect(steps).toEqual([160, 160, 160, 160]);
    // a reordered packet one frame older maps one 8 kHz frame back; the position does not move
    expect(s.map((ts - 2 * 960) >>> 0)).toBe(((out[3] ?? 0) + 0) >>> 0);
    expect(s.map(ts)).toBe(((out[4] ?? 0) + 160) >>> 0);
  });

  it('maps 8 kHz to 48 kHz (x6) without drift', () => {
    const s = new TimestampScaler(8000, 48000);
    const first = s.map(1000);
    expect((s.map(1000 + 160 * 1000) - first) >>> 0).toBe(960 * 1000);
  });

  it('rescales an RFC 4733 (2.3) event duration, clamped to 16 bits', () => {
    const p = Uint8Array.from([5, 0x0a, 0x03, 0xc0]); // duration 960 at 48 kHz
    scaleEventDuration(p, 1 / 6);
    expect((p[2] ?? 0) * 256 + (p[3] ?? 0)).toBe(160);
    const q = Uint8Array.from([5, 0x0a, 0x40, 0x00]); // 16384 at 8 kHz -> 98304 > 65535
    scaleEventDuration(q, 6);
    expect([q[2], q[3]]).toEqual([0xff, 0xff]);
  });
});
