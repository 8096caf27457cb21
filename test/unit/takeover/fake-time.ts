/**
 * A hand-driven clock + TimerDriver for lifecycle tests: `advance(ms)` moves time forward,
 * firing due timers in order and letting the promise chains they start settle in between.
 */
import type { TimerDriver } from '../../../src/app/instance-lifecycle.ts';
import type { Clock } from '../../../src/ports/clock.ts';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FakeTime implements Clock, TimerDriver {
  #now: number;
  #seq = 0;
  #timers: Pending[] = [];
  /** Every delay asked for, in order (to check jitter bounds). */
  readonly requested: number[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    this.requested.push(ms);
    const t: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(t);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== t);
    };
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (in time order). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const next = [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined || next.at > end) break;
      this.#timers = this.#timers.filter((x) => x !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets queued promise callbacks (store calls, adopt callbacks) run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
