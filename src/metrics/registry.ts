/**
 * The one place gatehouse metrics are registered (issue 2). Every counter/gauge/histogram is
 * created here through these helpers on a single prom-client Registry, so `/metrics` shows
 * exactly what is declared, names are checked once, and tests can read values back.
 * Adapters import the metric objects from the area files next to this one
 * (e.g. `src/metrics/sip.ts`); pure cores never touch metrics: they return reasons, and the
 * adapter that called them counts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

let defaultsCollected = false;
/** Process metrics (CPU, RSS, event-loop lag, GC). Called once by main.ts. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
}

const NAME = /^gatehouse_[a-z0-9_]+$/;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`metric name ${name} must match ${NAME}`);
}

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  checkName(name);
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  checkName(name);
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets?: number[],
): Histogram<L> {
  checkName(name);
  return new Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });
}
