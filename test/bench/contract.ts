/**
 * Bench contract (issue 2): every bench reports rows of this shape. A bench measures its own
 * baseline in the same run and reports `ratio = value / baselineValue` (or the inverse for
 * "lower is better" metrics, stated in the metric name), so results on a noisy shared machine
 * are compared against something measured under the same noise.
 */
export interface BenchRow {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: string;
  readonly ratio?: number;
}

export interface Bench {
  readonly name: string;
  readonly description: string;
  run(): Promise<readonly BenchRow[]>;
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 1000, batch = 100): number {
  // warm-up so JIT tiers settle before measuring
  const warmEnd = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmEnd) for (let i = 0; i < batch; i++) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}
