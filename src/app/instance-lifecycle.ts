/**
 * Instance lifecycle for takeover (DESIGN.md "State and takeover"; issue 7): the heartbeat
 * lease, the orphan watcher, the inbox of calls handed to this instance, and the fencing check
 * the call layer runs before it sends anything on a dialog. The timers of takeover live here.
 *
 * Lease rule. The store keeps our instance record for `ttlMs` after it received a heartbeat,
 * so survivors can only see us dead (and claim our calls with `onlyIfOwnerDead`) after
 * `sentAt + ttlMs` of our last successful heartbeat (the store received it after we sent it).
 * We therefore hold a lease until `sentAt + ttlMs - leaseMarginMs` (the margin covers clock
 * rate differences). When it lapses without renewal, the store was unreachable for a whole TTL:
 * we emit `lease-lost` with every call we ran and forget them; the call layer releases their
 * media and sends NOTHING on their dialogs (a BYE would kill the call the new owner continues).
 * Once a heartbeat succeeds again the lease is back; calls still owned by us in the store
 * (nobody claimed them meanwhile) come back through the inbox, with a new epoch.
 *
 * Orphan watcher. Every `scanIntervalMs` (with jitter, so survivors do not scan in lockstep)
 * it lists orphaned calls (owner's heartbeat lapsed), shuffles them (two survivors then split
 * the work instead of racing call by call) and claims each with owner + epoch compare-and-set
 * and `onlyIfOwnerDead`, at most `adoptConcurrency` at a time. A won claim is handed to
 * `adopt(record, ownership)`: fresh media sockets and a target-refresh re-INVITE
 * (src/app/takeover-reinvite.ts). Scans and jobs: src/app/takeover-adoption.ts.
 *
 * Inbox. The same scan lists calls owned by this instance that it does not run: calls a
 * draining instance handed over (src/app/drain-migration.ts) and our own calls left over from
 * a lapsed lease. Each is claimed from us to us (epoch + 1, fencing anything stale) and adopted.
 * So the call layer MUST `track()` a call before it first writes the call record, and
 * `release()` it when the call ends or is lost here; an untracked record owned by us is
 * otherwise taken for a hand-over.
 */
import { EventEmitter } from 'node:events';
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { fenceVerdict, leaseLapsed } from '../core/call/fencing.ts';
import type { InstanceRecord } from '../core/call/instance-record.ts';
import { GatehouseError } from '../core/errors.ts';
import { takeoverFenceChecks, takeoverHeartbeats, takeoverLeaseLost, takeoverLeaseValid, takeoverScans } from '../metrics/takeover.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { StateUnavailableError } from '../ports/state-store.ts';
import type { InstanceRegistry, StateStore, Versioned } from '../ports/state-store.ts';
import { AdoptionQueue, type AdoptReason } from './takeover-adoption.ts';

export type { AdoptReason } from './takeover-adoption.ts';

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

/** What other instances see of us, apart from id, draining and timing (filled in here). */
export interface InstanceDescription {
  readonly addresses: InstanceRecord['addresses'];
  readonly capacity: InstanceRecord['capacity'];
  /** Default: the calls this lifecycle tracks. */
  readonly load?: InstanceRecord['load'];
}

export interface LeaseLost {
  /** Calls this instance ran: release their media, send nothing on their dialogs. */
  readonly calls: readonly { readonly callId: string; readonly epoch: number }[];
  /** Monotonic time the lapsed lease was last renewed (null: never renewed). */
  readonly lastRenewedAt: number | null;
  readonly ttlMs: number;
}

export interface InstanceLifecycleEvents {
  'lease-lost': [LeaseLost];
  /** A heartbeat succeeded after a lapse: the instance may run and adopt calls again. */
  'lease-renewed': [];
  adopted: [{ readonly callId: string; readonly ownership: CallOwnership; readonly reason: AdoptReason }];
  /** adopt() threw: the call is ours in the store but not running; adopt should have ended it. */
  'adopt-failed': [{ readonly callId: string; readonly ownership: CallOwnership; readonly reason: AdoptReason; readonly error: unknown }];
}

/** `stillOwn` verdict: act on the dialog only for 'owner'. */
export type OwnershipCheck =
  | { readonly kind: 'owner'; readonly source: 'store' | 'lease' }
  | { readonly kind: 'lost'; readonly current: CallOwnership | null; readonly reason: 'claimed' | 'lease-lapsed' }
  | { readonly kind: 'gone' };

export interface InstanceLifecycleOptions {
  readonly instanceId: string;
  readonly store: StateStore;
  readonly registry: InstanceRegistry;
  /** Monotonic time for the lease. */
  readonly clock: Clock;
  /** Wall time for `heartbeatAt`. */
  readonly wallclock: () => number;
  readonly describe: () => InstanceDescription;
  /** Continue a call this instance just won: bind fresh media, re-INVITE. Must end the call
   * (BYE if possible, remove the record) itself when it cannot continue it, then throw. */
  readonly adopt: (record: CallRecord, ownership: CallOwnership) => Promise<void>;
  readonly timers?: TimerDriver;
  /** [0, 1) for jitter and shuffling; default Math.random. */
  readonly random?: () => number;
  /** Default 1000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Default 3 x heartbeatIntervalMs; must exceed heartbeatIntervalMs + leaseMarginMs. */
  readonly ttlMs?: number;
  /** Default heartbeatIntervalMs. */
  readonly scanIntervalMs?: number;
  /** Scan delay varies by +/- scanJitter/2 of the interval; 0..1, default 0.5. */
  readonly scanJitter?: number;
  /** Default 10% of ttlMs. */
  readonly leaseMarginMs?: number;
  /** Claims + adoptions running at once; default 8. */
  readonly adoptConcurrency?: number;
  /** Orphans are claimed only while this is true (capacity); default always. */
  readonly canAdopt?: () => boolean;
  readonly logger?: Logger;
}

export class InstanceLifecycle extends EventEmitter<InstanceLifecycleEvents> {
  readonly instanceId: string;
  readonly heartbeatIntervalMs: number;
  readonly ttlMs: number;
  readonly #o: InstanceLifecycleOptions;
  readonly #timers: TimerDriver;
  readonly #random: () => number;
  readonly #scanIntervalMs: number;
  readonly #jitter: number;
  readonly #marginMs: number;
  readonly #tracked = new Map<string, number>();
  /** Calls released here at an epoch: never taken from the inbox at that epoch again. */
  readonly #tombstones = new Map<string, number>();
  readonly #jobs: AdoptionQueue;
  #running = false;
  #draining = false;
  #leaseValid = false;
  #lastRenewedAt: number | null = null;
  #beating = false;
  #scanning = false;
  #cancelBeat: (() => void) | null = null;
  #cancelScan: (() => void) | null = null;
  #cancelLease: (() => void) | null = null;

  constructor(options: InstanceLifecycleOptions) {
    super();
    this.#o = options;
    this.instanceId = options.instanceId;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
    this.ttlMs = options.ttlMs ?? 3 * this.heartbeatIntervalMs;
    this.#scanIntervalMs = options.scanIntervalMs ?? this.heartbeatIntervalMs;
    this.#jitter = options.scanJitter ?? 0.5;
    this.#marginMs = options.leaseMarginMs ?? Math.floor(this.ttlMs / 10);
    const concurrency = options.adoptConcurrency ?? 8;
    this.#timers = options.timers ?? realTimers;
    this.#random = options.random ?? Math.random;
    const bad = (what: string): never => {
      throw new GatehouseError('config', 'TAKEOVER_TIMING', `takeover timing: ${what}`);
    };
    if (!(this.heartbeatIntervalMs > 0)) bad('heartbeat interval must be > 0');
    if (!(this.#scanIntervalMs > 0)) bad('scan interval must be > 0');
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) bad('scan jitter must be within 0..1');
    if (!(this.#marginMs >= 0)) bad('lease margin must be >= 0');
    if (!(this.ttlMs - this.#marginMs > this.heartbeatIntervalMs)) bad('TTL minus lease margin must exceed the heartbeat interval, or the lease lapses between two heartbeats');
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) bad('adopt concurrency must be an integer >= 1');
    this.#jobs = new AdoptionQueue({
      instanceId: this.instanceId,
      store: options.store,
      clock: options.clock,
      concurrency,
      adopt: options.adopt,
      ...(options.logger ? { logger: options.logger } : {}),
      mayClaim: (reason) => this.leaseValid && !(this.#draining && reason === 'orphan'),
      won: (callId, ownership) => this.track(callId, ownership),
      adopted: (callId, ownership, reason) => this.emit('adopted', { callId, ownership, reason }),
      failed: (callId, ownership, reason, error) => {
        if (this.#tracked.get(callId) === ownership.epoch) this.release(callId);
        this.emit('adopt-failed', { callId, ownership, reason, error });
      },
    });
  }

  /**
   * First heartbeat (throws StateUnavailableError when the store cannot be reached), then the
   * heartbeat, lease and scan timers.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#beat(true);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#scheduleBeat();
    this.#scheduleScan();
  }

  /**
   * Stops every timer. `leave: true` also removes the instance record so survivors claim any
   * remaining call at once (graceful end of a drain); without it the record simply expires,
   * exactly as after kill -9. In-flight adoptions run to completion.
   */
  async stop(options: { readonly leave?: boolean } = {}): Promise<void> {
    this.#running = false;
    for (const cancel of [this.#cancelBeat, this.#cancelScan, this.#cancelLease]) cancel?.();
    this.#cancelBeat = this.#cancelScan = this.#cancelLease = null;
    this.#jobs.dropQueued();
    if (options.leave) await this.#o.registry.leave(this.instanceId);
  }

  get running(): boolean {
    return this.#running;
  }

  /** True while the lease holds (checked against the clock, not only the timer). */
  get leaseValid(): boolean {
    return this.#leaseValid && this.#lastRenewedAt !== null && !leaseLapsed(this.#lastRenewedAt, this.ttlMs - this.#marginMs, this.#o.clock.now());
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Draining instances adopt nothing and say so in their heartbeat (sent right away). */
  async setDraining(on: boolean): Promise<void> {
    this.#draining = on;
    await this.#beat(false);
  }

  /** Sends a heartbeat now (also used by tests and by drain). Never throws. */
  async heartbeatNow(): Promise<void> {
    await this.#beat(false);
  }

  /** The call layer runs this call at this ownership (call it BEFORE the first store write). */
  track(callId: string, ownership: CallOwnership): void {
    if (ownership.owner !== this.instanceId) throw new GatehouseError('internal', 'TAKEOVER_TRACK_FOREIGN', 'can only track calls owned by this instance');
    this.#tracked.set(callId, ownership.epoch);
    this.#tombstones.delete(callId);
  }

  /** The call ended or was lost here: not run by us any more and never re-adopted at this epoch. */
  release(callId: string): void {
    const epoch = this.#tracked.get(callId);
    if (epoch === undefined) return;
    this.#tracked.delete(callId);
    this.#tombstones.set(callId, epoch);
  }

  /** Calls this instance runs, with the epoch it holds. */
  trackedCalls(): ReadonlyMap<string, number> {
    return new Map(this.#tracked);
  }

  /**
   * Fencing check before sending anything on a call's dialog or media (DESIGN.md: two
   * instances never both act on a call). 'lost' and 'gone': release media, send nothing.
   * With the store unreachable, a valid lease is proof enough (no survivor can claim before it
   * lapses); hand-overs are started only by the owner itself.
   */
  async stillOwn(callId: string, epoch: number): Promise<OwnershipCheck> {
    this.#checkLease(); // a lapse seen here is announced now, not when a late timer fires
    if (!this.leaseValid) return this.#fenceCount({ kind: 'lost', current: null, reason: 'lease-lapsed' }, 'lease');
    let current: Versioned<CallRecord> | null;
    try {
      current = await this.#o.store.get('call', callId);
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
      return this.leaseValid ? this.#fenceCount({ kind: 'owner', source: 'lease' }, 'lease') : this.#fenceCount({ kind: 'lost', current: null, reason: 'lease-lapsed' }, 'lease');
    }
    const v = fenceVerdict(current ? { owner: current.value.owner, epoch: current.value.epoch } : null, { owner: this.instanceId, epoch });
    if (v.kind === 'owner') return this.#fenceCount({ kind: 'owner', source: 'store' }, 'store');
    if (v.kind === 'gone') return this.#fenceCount({ kind: 'gone' }, 'store');
    return this.#fenceCount({ kind: 'lost', current: v.current, reason: 'claimed' }, 'store');
  }

  /** Runs one orphan + inbox scan now (the timer calls this; tests and drain may too). */
  async scanNow(): Promise<void> {
    if (this.#scanning) return;
    if (!this.leaseValid || this.#draining) {
      takeoverScans.inc({ kind: 'orphans', outcome: 'skipped' });
      return;
    }
    this.#scanning = true;
    try {
      await this.#jobs.scanOrphans(this.#random, this.#o.canAdopt);
      await this.#scanInbox();
    } finally {
      this.#scanning = false;
    }
  }

  /** Resolves when no claim or adoption is queued or running. */
  async idle(): Promise<void> {
    await this.#jobs.idle();
  }

  #fenceCount(check: OwnershipCheck, source: 'store' | 'lease'): OwnershipCheck {
    takeoverFenceChecks.inc({ verdict: check.kind, source });
    return check;
  }

  #record(): InstanceRecord {
    const d = this.#o.describe();
    return {
      instanceId: this.instanceId,
      addresses: d.addresses,
      load: d.load ?? { calls: this.#tracked.size, legs: this.#tracked.size },
      capacity: d.capacity,
      draining: this.#draining,
      heartbeatAt: this.#o.wallclock(),
      ttlMs: this.ttlMs,
    };
  }

  async #beat(rethrow: boolean): Promise<void> {
    if (this.#beating && !rethrow) return; // the previous one is still out; never pile up
    this.#beating = true;
    const sentAt = this.#o.clock.now();
    try {
      await this.#o.registry.heartbeat(this.#record());
      takeoverHeartbeats.inc({ outcome: 'ok' });
      this.#renewed(sentAt);
    } catch (err) {
      takeoverHeartbeats.inc({ outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
      this.#o.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'heartbeat failed');
      if (rethrow) throw err;
    } finally {
      this.#beating = false;
    }
  }

  #renewed(sentAt: number): void {
    const now = this.#o.clock.now();
    const window = this.ttlMs - this.#marginMs;
    // A heartbeat that took longer than the lease to come back renews nothing we can rely on.
    if (leaseLapsed(sentAt, window, now)) return;
    if (this.#lastRenewedAt !== null && sentAt <= this.#lastRenewedAt) return;
    const regained = !this.#leaseValid && this.#lastRenewedAt !== null;
    this.#lastRenewedAt = sentAt;
    this.#leaseValid = true;
    takeoverLeaseValid.set(1);
    if (this.#running) this.#armLease(sentAt + window - now);
    if (regained) this.emit('lease-renewed');
  }

  #armLease(ms: number): void {
    this.#cancelLease?.();
    this.#cancelLease = this.#timers.after(ms, () => this.#checkLease());
  }

  #checkLease(): void {
    this.#cancelLease?.();
    this.#cancelLease = null;
    if (!this.#leaseValid || this.#lastRenewedAt === null) return;
    const window = this.ttlMs - this.#marginMs;
    const now = this.#o.clock.now();
    if (!leaseLapsed(this.#lastRenewedAt, window, now)) {
      if (this.#running) this.#armLease(this.#lastRenewedAt + window - now); // fired early
      return;
    }
    this.#leaseValid = false;
    takeoverLeaseValid.set(0);
    takeoverLeaseLost.inc();
    this.#jobs.dropQueued();
    const calls = [...this.#tracked].map(([callId, epoch]) => ({ callId, epoch }));
    this.#tracked.clear(); // not tombstoned: what nobody claimed comes back through the inbox
    this.#o.logger?.error({ calls: calls.length, ttlMs: this.ttlMs }, 'state store unreachable for a whole TTL: lease lost, dropping every call without signalling');
    this.emit('lease-lost', { calls, lastRenewedAt: this.#lastRenewedAt, ttlMs: this.ttlMs });
  }

  #scheduleBeat(): void {
    if (!this.#running) return;
    this.#cancelBeat = this.#timers.after(this.heartbeatIntervalMs, () => {
      this.#cancelBeat = null;
      void this.#beat(false);
      this.#scheduleBeat();
    });
  }

  #scheduleScan(): void {
    if (!this.#running) return;
    const spread = 1 - this.#jitter / 2 + this.#jitter * this.#random();
    this.#cancelScan = this.#timers.after(Math.round(this.#scanIntervalMs * spread), () => {
      this.#cancelScan = null;
      void this.scanNow().catch((err: unknown) => this.#o.logger?.error({ err }, 'takeover scan failed'));
      this.#scheduleScan();
    });
  }

  async #scanInbox(): Promise<void> {
    const listed = await this.#jobs.scanInbox((callId, epoch) => this.#tracked.has(callId) || this.#tombstones.get(callId) === epoch);
    if (listed === null) return;
    for (const [callId, epoch] of this.#tombstones) if (listed.get(callId) !== epoch) this.#tombstones.delete(callId);
  }
}
