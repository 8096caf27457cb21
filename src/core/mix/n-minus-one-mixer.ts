/**
 * N-1 ("mix-minus") audio mixer for conference legs: each participant receives the sum of
 * everyone else's decoded frame, never its own (it would hear itself delayed: an echo).
 *
 * Computed as total - own in 32-bit integers, then saturated to int16, so the cost is O(N)
 * per sample instead of O(N^2) and the result is identical to summing the others directly
 * (the subtraction is exact before clipping). All frames share one sample rate and length:
 * 160 samples for 8 kHz or 320 for 16 kHz at 20 ms. Resample first (`resample-2x.ts`) when
 * G.711 (8 kHz) and G.722 (16 kHz) legs meet. No allocation per call.
 */

/** Samples in one frame at `sampleRate` for `frameMs` (8000 Hz, 20 ms -> 160). */
export function frameSamples(sampleRate: number, frameMs = 20): number {
  const n = (sampleRate * frameMs) / 1000;
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${frameMs} ms at ${sampleRate} Hz is not a whole number of samples`);
  return n;
}

export class NMinusOneMixer {
  readonly frameLength: number;
  private readonly total: Int32Array;

  constructor(frameLength: number) {
    if (!Number.isInteger(frameLength) || frameLength <= 0) throw new RangeError('mixer frame length must be a positive integer');
    this.frameLength = frameLength;
    this.total = new Int32Array(frameLength);
  }

  /**
   * `inputs[i]` is participant i's decoded frame this tick, or null when it sent nothing
   * (muted, lost, receive-only): it then contributes silence. `outputs[i]` receives what
   * participant i hears. Both arrays have one entry per participant, frames `frameLength` long.
   */
  mix(inputs: ReadonlyArray<Int16Array | null>, outputs: ReadonlyArray<Int16Array>): void {
    const n = this.frameLength;
    if (inputs.length !== outputs.length) throw new RangeError('mixer needs one output per input');
    const total = this.total;
    total.fill(0);
    for (const frame of inputs) {
      if (frame === null) continue;
      if (frame.length !== n) throw new RangeError(`mixer input frame has ${frame.length} samples, expected ${n}`);
      for (let s = 0; s < n; s++) total[s] = (total[s] ?? 0) + (frame[s] ?? 0);
    }
    for (let p = 0; p < outputs.length; p++) {
      const out = outputs[p];
      if (out === undefined || out.length !== n) throw new RangeError(`mixer output frame must have ${n} samples`);
      const own = inputs[p] ?? null;
      for (let s = 0; s < n; s++) {
        const v = (total[s] ?? 0) - (own === null ? 0 : (own[s] ?? 0));
        out[s] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
  }
}
