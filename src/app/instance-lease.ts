/**
 * The heartbeat lease of an instance (DESIGN.md "State and takeover"; issue 7), split out of
 * src/app/instance-lifecycle.ts, which owns the heartbeat itself and decides what a lapse
 * means for its calls (state.on_lease_loss).
 *
 * Lease rule. The store keeps our instance record for `ttlMs` after it received a heartbeat,
 * so survivors can only see us dead (and claim our calls with `onlyIfOwnerDead`) after
 * `sentAt + ttlMs` of our last successful heartbeat (the store received it after we sent it).
 * We therefore hold a lease until `sentAt + ttlMs - marginMs` (the margin covers clock rate
 * differences). When it lapses without renewal, the store was unreachable for a whole TTL and
 * another instance may own our calls by now: `onLapse` runs once. The first renewal after a
 * lapse runs `onRegained` (the renewed lease is valid when it runs).
 */
import { leaseLapsed } from '../core/call/fencing.ts';
import { takeoverLeaseValid } from '../metrics/takeover.ts';
import type { Clock } from '../ports/clock.ts';

/** Timers as a port, so tests drive them by hand (a fake clock moves both). */
export interface TimerDriver {
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: TimerDriver = {
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref(); // the daemon's sockets keep the process alive, never a takeover timer
    return () => clearTimeout(t);
  },
};

export interface InstanceLeaseOptions {
  readonly ttlMs: number;
  readonly marginMs: number;
  /** Monotonic time. */
  readonly clock: Clock;
  readonly timers: TimerDriver;
  /** The lease lapsed (store unreachable for a whole TTL). `lastRenewedAt` on `clock`. */
  readonly onLapse: (lastRenewedAt: number) => void;
  /** A heartbeat renewed the lease after a lapse. */
  readonly onRegained: () => void;
}

export class InstanceLease {
  readonly #o: InstanceLeaseOptions;
  readonly #window: number;
  #valid = false;
  #lastRenewedAt: number | null = null;
  #cancel: (() => void) | null = null;
  /** Whether expiry timers are armed (the lifecycle is running). */
  #armed = false;

  constructor(options: InstanceLeaseOptions) {
    this.#o = options;
    this.#window = options.ttlMs - options.marginMs;
  }

  /** True while the lease holds (checked against the clock, not only the timer). */
  get valid(): boolean {
    return this.#valid && this.#lastRenewedAt !== null && !leaseLapsed(this.#lastRenewedAt, this.#window, this.#o.clock.now());
  }

  get lastRenewedAt(): number | null {
    return this.#lastRenewedAt;
  }

  /** Arms (running) or disarms (stopped) the expiry timer. */
  setArmed(on: boolean): void {
    this.#armed = on;
    if (!on) {
      this.#cancel?.();
      this.#cancel = null;
    }
  }

  /** A heartbeat sent at `sentAt` was acknowledged by the store. */
  renewed(sentAt: number): void {
    const now = this.#o.clock.now();
    // A heartbeat that took longer than the lease to come back renews nothing we can rely on.
    if (leaseLapsed(sentAt, this.#window, now)) return;
    if (this.#lastRenewedAt !== null && sentAt <= this.#lastRenewedAt) return;
    const regained = !this.#valid && this.#lastRenewedAt !== null;
    this.#lastRenewedAt = sentAt;
    this.#valid = true;
    takeoverLeaseValid.set(1);
    if (this.#armed) this.#arm(sentAt + this.#window - now);
    if (regained) this.#o.onRegained();
  }

  /** Notices a lapse now (a late timer would announce it too late for a fencing check). */
  check(): void {
    this.#cancel?.();
    this.#cancel = null;
    if (!this.#valid || this.#lastRenewedAt === null) return;
    const now = this.#o.clock.now();
    if (!leaseLapsed(this.#lastRenewedAt, this.#window, now)) {
      if (this.#armed) this.#arm(this.#lastRenewedAt + this.#window - now); // fired early
      return;
    }
    this.#valid = false;
    takeoverLeaseValid.set(0);
    this.#o.onLapse(this.#lastRenewedAt);
  }

  #arm(ms: number): void {
    this.#cancel?.();
    this.#cancel = this.#o.timers.after(ms, () => this.check());
  }
}
