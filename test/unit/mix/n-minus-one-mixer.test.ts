import { describe, expect, it } from 'vitest';
import { frameLevelDbov } from '../../../src/core/mix/audio-level.ts';
import { NMinusOneMixer, frameSamples } from '../../../src/core/mix/n-minus-one-mixer.ts';

function tone(freq: number, amp: number, rate: number, n: number): Int16Array {
  const f = new Int16Array(n);
  for (let i = 0; i < n; i++) f[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return f;
}

/** Energy of `frame` at `freq` (single-bin DFT), normalised to amplitude. */
function amplitudeAt(frame: Int16Array, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i] ?? 0;
    re += v * Math.cos((2 * Math.PI * freq * i) / rate);
    im += v * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / frame.length;
}

describe('N-1 mixer', () => {
  it('frame sizes: 160 at 8 kHz, 320 at 16 kHz for 20 ms', () => {
    expect(frameSamples(8000)).toBe(160);
    expect(frameSamples(16000, 20)).toBe(320);
    expect(() => frameSamples(8000, 0.01)).toThrow(RangeError);
  });

  it('each participant hears the others but not itself (energy per tone)', () => {
    // three talkers on distinct tones (whole cycles in 20 ms so bins are exact)
    const freqs = [400, 1000, 2500];
    const inputs = freqs.map((f) => tone(f, 8000, 8000, 160));
    const outputs = inputs.map(() => new Int16Array(160));
    new NMinusOneMixer(160).mix(inputs, outputs);
    for (let p = 0; p < 3; p++) {
      for (let q = 0; q < 3; q++) {
        const a = amplitudeAt(outputs[p] ?? new Int16Array(0), freqs[q] ?? 0, 8000);
        if (p === q) expect(a, `participant ${p} hears itself`).toBeLessThan(1);
        else expect(Math.abs(a - 8000), `participant ${p} hears ${q}`).toBeLessThan(2);
      }
    }
  });

  it('equals the direct sum of the others, sample for sample, with saturation', () => {
    const a = new Int16Array(160).fill(20000);
    const b = new Int16Array(160).fill(20000);
    const c = new Int16Array(160).fill(-30000);
    const outs = [new Int16Array(160), new Int16Array(160), new Int16Array(160)];
    new NMinusOneMixer(160).mix([a, b, c], outs);
    expect(outs[0]?.[0]).toBe(-10000); // 20000 - 30000
    expect(outs[2]?.[0]).toBe(32767); // 40000 clips
    const d = new Int16Array(160).fill(-30000);
    const outs2 = [new Int16Array(160), new Int16Array(160), new Int16Array(160)];
    new NMinusOneMixer(160).mix([c, d, null], outs2);
    expect(outs2[2]?.[5]).toBe(-32768); // -60000 clips
    expect(outs2[0]?.[5]).toBe(-30000);
  });

  it('a participant without a frame (null) contributes silence but still hears the others', () => {
    const t = tone(1000, 5000, 16000, 320);
    const outs = [new Int16Array(320), new Int16Array(320)];
    new NMinusOneMixer(320).mix([t, null], outs);
    expect(Array.from(outs[1] ?? [])).toEqual(Array.from(t));
    expect(frameLevelDbov(outs[0] ?? new Int16Array(0))).toBe(-127);
  });

  it('two participants: each simply gets the other (relay-equivalent)', () => {
    const a = tone(500, 3000, 8000, 160);
    const b = tone(700, 3000, 8000, 160);
    const outs = [new Int16Array(160), new Int16Array(160)];
    new NMinusOneMixer(160).mix([a, b], outs);
    expect(Array.from(outs[0] ?? [])).toEqual(Array.from(b));
    expect(Array.from(outs[1] ?? [])).toEqual(Array.from(a));
  });

  it('rejects frames of the wrong size and mismatched arrays', () => {
    const m = new NMinusOneMixer(160);
    expect(() => m.mix([new Int16Array(159)], [new Int16Array(160)])).toThrow(RangeError);
    expect(() => m.mix([new Int16Array(160)], [new Int16Array(320)])).toThrow(RangeError);
    expect(() => m.mix([new Int16Array(160)], [])).toThrow(RangeError);
  });
});

describe('frame level (RFC 6464 dBov)', () => {
  it('full-scale square is 0 dBov, full-scale sine about -3 dBov, silence -127', () => {
    expect(frameLevelDbov(new Int16Array(160).fill(-32768))).toBeCloseTo(0, 5);
    expect(frameLevelDbov(tone(1000, 32767, 8000, 160))).toBeCloseTo(-3.01, 1);
    expect(frameLevelDbov(new Int16Array(160))).toBe(-127);
    expect(frameLevelDbov(new Int16Array(0))).toBe(-127);
  });
});
