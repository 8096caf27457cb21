/**
 * Frame level in dBov (RFC 6464 3: decibels relative to the overload point; 0 dBov is a
 * full-scale square wave, a full-scale sine is about -3 dBov). Silence is reported as -127,
 * the floor of the RFC 6464 header extension, so that levels from that extension and levels
 * measured here are interchangeable.
 */
export const SILENCE_DBOV = -127;

export function frameLevelDbov(frame: Int16Array): number {
  if (frame.length === 0) return SILENCE_DBOV;
  let energy = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i] ?? 0;
    energy += v * v;
  }
  if (energy === 0) return SILENCE_DBOV;
  const rms = Math.sqrt(energy / frame.length);
  return Math.max(SILENCE_DBOV, Math.min(0, 20 * Math.log10(rms / 32768)));
}
