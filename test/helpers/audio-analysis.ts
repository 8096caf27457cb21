/**
 * Small signal checks for "audio really arrived" assertions in end-to-end tests, on decoded
 * PCM taken from the receiving peer itself (baresip's decoded dump, samples from a browser's
 * Web Audio graph): never from the gateway's own counters.
 *
 *   goertzelPower(x, rate, hz)     power of the component at `hz` over the whole block
 *                                  (generalised Goertzel, Hann window), in the same units as
 *                                  rms(x)^2: a pure sine of amplitude A at hz gives ~A^2/2
 *   toneFraction(x, rate, hz, block)  median over blocks of goertzelPower / total power:
 *                                  ~1 for a clean tone at hz, ~0 without it. Blocks (default
 *                                  20 ms) keep it robust against jitter-buffer time stretching,
 *                                  which breaks phase continuity over long windows
 *   rms(x)                         root mean square
 *   frameRms(x, rate, frameMs)     RMS per frame (default 10 ms)
 *   bursts(x, rate, o)             runs of frames louder than a threshold (a beeping source):
 *                                  [{ startMs, endMs, rms }]; short gaps inside a burst are
 *                                  bridged so a tone with a zero crossing at a frame edge is one
 *   burstPeriodMs(bursts)          median start-to-start distance, or null with < 2 bursts
 *   dominantFrequency(x, rate, lo, hi, step)  the frequency in [lo, hi] with the most Goertzel
 *                                  power (a coarse scan, for characterising an unknown tone)
 *
 * Samples are numbers in any consistent scale (Int16 PCM or floats in -1..1).
 */

export type Samples = ArrayLike<number>;

export function rms(x: Samples, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = x[i] ?? 0;
    sum += v * v;
  }
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}

/** Power of the `hz` component of x[from, to) (Hann window, generalised Goertzel). */
export function goertzelPower(x: Samples, rate: number, hz: number, from = 0, to = x.length): number {
  const n = to - from;
  if (n <= 1) return 0;
  const w = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    wsum += win;
    const s0 = win * (x[from + i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // |X(w)|^2 of the windowed block; a sine of amplitude A gives |X| ~ A * wsum / 2
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  const mag2 = re * re + im * im;
  return (2 * mag2) / (wsum * wsum);
}

/** Median over blocks of (power at hz) / (total power); blocks quieter than `minRms` are skipped. */
export function toneFraction(x: Samples, rate: number, hz: number, blockMs = 20, minRms = 0): number {
  const block = Math.max(16, Math.round((rate * blockMs) / 1000));
  const fractions: number[] = [];
  for (let from = 0; from + block <= x.length; from += block) {
    const r = rms(x, from, from + block);
    if (r === 0 || r < minRms) continue;
    fractions.push(goertzelPower(x, rate, hz, from, from + block) / (r * r));
  }
  return median(fractions) ?? 0;
}

export function frameRms(x: Samples, rate: number, frameMs = 10): number[] {
  const frame = Math.max(1, Math.round((rate * frameMs) / 1000));
  const out: number[] = [];
  for (let from = 0; from + frame <= x.length; from += frame) out.push(rms(x, from, from + frame));
  return out;
}

export interface Burst {
  readonly startMs: number;
  readonly endMs: number;
  readonly rms: number;
}

export interface BurstOptions {
  /** Frame RMS above this is "sound". */
  readonly threshold: number;
  readonly frameMs?: number;
  /** Quiet gaps up to this long inside a burst are bridged. Default 2 frames. */
  readonly bridgeMs?: number;
}

export function bursts(x: Samples, rate: number, o: BurstOptions): Burst[] {
  const frameMs = o.frameMs ?? 10;
  const bridge = Math.max(0, Math.round((o.bridgeMs ?? 2 * frameMs) / frameMs));
  const frames = frameRms(x, rate, frameMs);
  const out: Burst[] = [];
  let start = -1;
  let last = -1;
  let sum = 0;
  let count = 0;
  const close = (): void => {
    if (start >= 0) out.push({ startMs: start * frameMs, endMs: (last + 1) * frameMs, rms: Math.sqrt(sum / count) });
    start = -1;
    sum = 0;
    count = 0;
  };
  frames.forEach((r, i) => {
    if (r <= o.threshold) return;
    if (start >= 0 && i - last - 1 > bridge) close();
    if (start < 0) start = i;
    last = i;
    sum += r * r;
    count++;
  });
  close();
  return out;
}

export function burstPeriodMs(b: readonly Burst[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < b.length; i++) gaps.push((b[i]?.startMs ?? 0) - (b[i - 1]?.startMs ?? 0));
  return median(gaps);
}

export function dominantFrequency(x: Samples, rate: number, lo = 100, hi = rate / 2 - 100, step = 10): { readonly hz: number; readonly power: number } {
  let best = { hz: lo, power: -1 };
  for (let hz = lo; hz <= hi; hz += step) {
    const p = goertzelPower(x, rate, hz);
    if (p > best.power) best = { hz, power: p };
  }
  return best;
}

function median(v: readonly number[]): number | null {
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
