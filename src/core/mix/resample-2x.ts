/**
 * 8 kHz <-> 16 kHz resampling so G.711 (8 kHz) and G.722 (16 kHz) legs can share a mix.
 *
 * One linear-phase half-band FIR low-pass at 16 kHz: 63 taps, windowed sinc (Blackman),
 * cutoff 4 kHz. Half-band means every other tap is zero and the centre tap is 1/2, so
 * up-sampling needs 16 multiplies per output pair and down-sampling 17 per output sample.
 * Quality (measured in test/unit/mix/resample-2x.test.ts): passband flat within 0.1 dB up to
 * 3.4 kHz (the whole telephone band), -0.4 dB at 3.6 kHz; transition 4-4.8 kHz; images and
 * aliases from 5 kHz upward below -70 dB. Delay 31 samples at 16 kHz (~1.9 ms) per direction,
 * down(up(x)) = x delayed by 31 samples at 8 kHz. Each instance keeps the history of
 * one stream, so frames must be fed in order; no allocation per frame.
 */

export const HALF_BAND_TAPS = 63;
const CENTER = (HALF_BAND_TAPS - 1) / 2; // 31

/** Non-zero off-centre taps: distance d (odd, 1..31) and coefficient h[CENTER +/- d]. */
const ODD_TAPS: readonly number[] = (() => {
  const h: number[] = [];
  for (let d = 1; d <= CENTER; d += 2) {
    const x = Math.PI * d * 0.5;
    const sinc = Math.sin(x) / x;
    const n = CENTER + d;
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / (HALF_BAND_TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * n) / (HALF_BAND_TAPS - 1));
    h.push(0.5 * sinc * w);
  }
  // Normalise the odd taps to sum to 1/4 per side (1/2 both sides) so DC gain is exactly 1 in
  // both polyphase branches: no DC image when up-sampling.
  const sum = h.reduce((a, b) => a + b, 0);
  return h.map((v) => (v * 0.25) / sum);
})();

const TAPS_PER_SIDE = ODD_TAPS.length; // 16

function clamp16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** 8 kHz -> 16 kHz. */
export class Upsampler2x {
  /** History (input rate): the last 2*TAPS_PER_SIDE - 1 inputs, then the current frame. */
  private readonly buf: Float64Array;
  private readonly hist = 2 * TAPS_PER_SIDE - 1;

  constructor(maxFrameSamples = 160) {
    this.buf = new Float64Array(this.hist + maxFrameSamples);
  }

  /** Writes 2 * input.length samples into `out` at `offset`; returns that count. */
  process(input: Int16Array, out: Int16Array, offset = 0): number {
    const { buf, hist } = this;
    if (hist + input.length > buf.length) throw new RangeError(`upsampler frame larger than ${buf.length - hist}`);
    if (offset + 2 * input.length > out.length) throw new RangeError('upsampler output too small');
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i] ?? 0;
    // Zero-stuffed input u[2n] = x[n], u[2n+1] = 0, filtered with gain 2. Output 2n+1 goes
    // through the centre tap only (1/2 x 2 = 1): a copy of x[n - 15]. Output 2n falls half a
    // sample earlier and is interpolated by the odd taps from x[n - 31] .. x[n].
    let o = offset;
    for (let n = 0; n < input.length; n++) {
      const i = hist + n;
      let acc = 0;
      for (let k = 0; k < TAPS_PER_SIDE; k++) acc += (ODD_TAPS[k] ?? 0) * ((buf[i - 16 - k] ?? 0) + (buf[i - 15 + k] ?? 0));
      out[o++] = clamp16(2 * acc);
      out[o++] = clamp16(buf[i - 15] ?? 0);
    }
    buf.copyWithin(0, input.length, input.length + hist);
    return 2 * input.length;
  }
}

/** 16 kHz -> 8 kHz. */
export class Downsampler2x {
  private readonly buf: Float64Array;
  private readonly hist = HALF_BAND_TAPS - 1;

  constructor(maxFrameSamples = 320) {
    this.buf = new Float64Array(this.hist + maxFrameSamples);
  }

  /** Input length must be even; writes input.length / 2 samples; returns that count. */
  process(input: Int16Array, out: Int16Array, offset = 0): number {
    const { buf, hist } = this;
    if (input.length % 2 !== 0) throw new RangeError('downsampler input length must be even');
    if (hist + input.length > buf.length) throw new RangeError(`downsampler frame larger than ${buf.length - hist}`);
    const n = input.length / 2;
    if (offset + n > out.length) throw new RangeError('downsampler output too small');
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i] ?? 0;
    for (let m = 0; m < n; m++) {
      // Output m is centred CENTER samples before the older input of its pair, so that
      // down(up(x)) is x delayed by a whole number (31) of 8 kHz samples.
      const centre = hist + 2 * m - CENTER;
      let acc = 0.5 * (buf[centre] ?? 0);
      for (let k = 0; k < TAPS_PER_SIDE; k++) {
        const d = 2 * k + 1;
        acc += (ODD_TAPS[k] ?? 0) * ((buf[centre - d] ?? 0) + (buf[centre + d] ?? 0));
      }
      out[offset + m] = clamp16(acc);
    }
    buf.copyWithin(0, input.length, input.length + hist);
    return n;
  }
}
