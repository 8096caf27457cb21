/**
 * Time for pure cores (DESIGN.md: cores never call Date.now or setTimeout themselves).
 * Adapters pass a real clock; tests pass a fake one they advance by hand.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
}
