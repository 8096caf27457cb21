import { describe, expect, it } from 'vitest';
import { Downsampler2x, Upsampler2x } from '../../../src/core/mix/resample-2x.ts';

function tone(freq: number, amp: number, rate: number, n: number): Int16Array {
  const f = new Int16Array(n);
  for (let i = 0; i < n; i++) f[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return f;
}

function amplitudeAt(x: Int16Array, freq: number, rate: number, from: number): number {
  let re = 0;
  let im = 0;
  for (let i = from; i < x.length; i++) {
    const v = x[i] ?? 0;
    re += v * Math.cos((2 * Math.PI * freq * i) / rate);
    im += v * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (x.length - from);
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

/** Runs a whole signal through in 20 ms frames, as the mixer would. */
function up(x: Int16Array): Int16Array {
  const u = new Upsampler2x(160);
  const out = new Int16Array(x.length * 2);
  for (let o = 0; o < x.length; o += 160) u.process(x.subarray(o, o + 160), out, 2 * o);
  return out;
}
function down(x: Int16Array): Int16Array {
  const d = new Downsampler2x(320);
  const out = new Int16Array(x.length / 2);
  for (let o = 0; o < x.length; o += 320) d.process(x.subarray(o, o + 320), out, o / 2);
  return out;
}

const AMP = 10000;

describe('8 kHz -> 16 kHz', () => {
  for (const f of [300, 1000, 3000]) {
    it(`passband: ${f} Hz keeps its level within 0.1 dB`, () => {
      const y = up(tone(f, AMP, 8000, 8000));
      expect(Math.abs(db(amplitudeAt(y, f, 16000, 200) / AMP))).toBeLessThan(0.1);
    });
  }
  it('3400 Hz (top of the telephone band) within 0.1 dB', () => {
    const y = up(tone(3400, AMP, 8000, 8000));
    expect(Math.abs(db(amplitudeAt(y, 3400, 16000, 200) / AMP))).toBeLessThan(0.1);
  });
  for (const f of [1000, 3000]) {
    it(`image of ${f} Hz at ${8000 - f} Hz is below -70 dB`, () => {
      const y = up(tone(f, AMP, 8000, 8000));
      expect(db(amplitudeAt(y, 8000 - f, 16000, 200) / AMP)).toBeLessThan(-70);
    });
  }
  it('DC passes with unit gain in both output phases', () => {
    const y = up(new Int16Array(480).fill(1000));
    expect(Array.from(y.subarray(200))).toEqual(new Array(760).fill(1000));
  });
});

describe('16 kHz -> 8 kHz', () => {
  for (const f of [300, 1000, 3000]) {
    it(`passband: ${f} Hz keeps its level within 0.1 dB`, () => {
      const y = down(tone(f, AMP, 16000, 16000));
      expect(Math.abs(db(amplitudeAt(y, f, 8000, 100) / AMP))).toBeLessThan(0.1);
    });
  }
  for (const f of [5000, 6000, 7000]) {
    it(`anti-alias: ${f} Hz (would alias to ${8000 - f} Hz) is below -70 dB`, () => {
      const y = down(tone(f, AMP, 16000, 16000));
      expect(db(amplitudeAt(y, 8000 - f, 8000, 100) / AMP)).toBeLessThan(-70);
    });
  }
  it('down(up(x)) reproduces x delayed by 31 samples at 8 kHz (~3.9 ms total)', () => {
    const x = tone(700, AMP, 8000, 1600);
    const y = down(up(x));
    let err = 0;
    let sig = 0;
    for (let i = 200; i < y.length; i++) {
      const r = x[i - 31] ?? 0;
      err += (r - (y[i] ?? 0)) ** 2;
      sig += r * r;
    }
    expect(10 * Math.log10(sig / err)).toBeGreaterThan(50);
  });
  it('rejects odd input and oversize frames', () => {
    expect(() => new Downsampler2x(320).process(new Int16Array(3), new Int16Array(2))).toThrow(RangeError);
    expect(() => new Downsampler2x(320).process(new Int16Array(322), new Int16Array(161))).toThrow(RangeError);
    expect(() => new Upsampler2x(160).process(new Int16Array(161), new Int16Array(322))).toThrow(RangeError);
  });
});
