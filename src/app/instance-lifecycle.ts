/**
 * Instance lifecycle for takeover (DESIGN.md "State and takeover"; issue 7): the heartbeat,
 * what a lapsed lease means for our calls, the orphan watcher, the inbox of calls handed to
 * this instance, and the fencing check the call layer runs before it sends anything on a
 * dialog. The timers of takeover live here; the lease rule is in src/app/instance-lease.ts.
 *
 * Lease lapse (store unreachable for a whole TTL: an outage, or a partition in which survivors
 * may have claimed our calls; we cannot tell), by `onLeaseLoss` (state.on_lease_loss):
 * - 'continue' (default): the calls keep their media but are UNCONFIRMED (`stillOwn`): the
 *   call layer sends nothing on their dialogs. Once a heartbeat succeeds, the store decides
 *   each by owner + epoch (src/app/instance-reconfirm.ts): ours -> 'calls-confirmed' (record
 *   re-stored or written back); claimed / gone -> 'calls-lost': release media, send nothing.
 * - 'release': 'lease-lost' with every call: release media, send NOTHING (a BYE would kill the
 *   call the new owner continues); what nobody claimed returns through the inbox, epoch + 1.
 * `resync` (the Redis adapter's reconnect hook) writes back records the store lost.
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
 * a lapsed lease ('release'). Each is claimed from us to us (epoch + 1, fencing anything
 * stale) and adopted. So the call layer MUST `track()` a call before it first writes the call
 * record, and `release()` it when the call ends or is lost here; an untracked record owned by
 * us is otherwise taken for a hand-over.
 */
import { EventEmitter } from 'node:events';
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { fenceVerdict } from '../core/call/fencing.ts';
import type { InstanceRecord } from '../core/call/instance-record.ts';
import { GatehouseError } from '../core/errors.ts';
import { takeoverFenceChecks, takeoverHeartbeats, takeoverLeaseLost, takeoverScans } from '../metrics/takeover.ts';
import { StateUnavailableError } from '../ports/state-store.ts';
import type { Versioned } from '../ports/state-store.ts';
import { InstanceLease, realTimers, type TimerDriver } from './instance-lease.ts';
import { restoreAll, UnconfirmedCalls, type ResyncContext } from './instance-reconfirm.ts';
import type { InstanceLifecycleEvents, InstanceLifecycleOptions, LeaseLossAction, LeaseLost, OwnershipCheck } from './instance-types.ts';
import { AdoptionQueue } from './takeover-adoption.ts';

export type { AdoptReason } from './takeover-adoption.ts';
export { realTimers, type TimerDriver } from './instance-lease.ts';
export type { CallsLost, InstanceDescription, InstanceLifecycleEvents, InstanceLifecycleOptions, LeaseLossAction, LeaseLost, OwnershipCheck } from './instance-types.ts';

export class InstanceLifecycle extends EventEmitter<InstanceLifecycleEvents> {
  readonly instanceId: string;
  readonly heartbeatIntervalMs: number;
  readonly ttlMs: number;
  readonly onLeaseLoss: LeaseLossAction;
  readonly #o: InstanceLifecycleOptions;
  readonly #timers: TimerDriver;
  readonly #random: () => number;
  readonly #scanIntervalMs: number;
  readonly #jitter: number;
  readonly #lease: InstanceLease;
  readonly #tracked = new Map<string, number>();
  /** Tracked calls kept running after a lapse ('continue') that the store has not confirmed. */
  readonly #unconfirmed = new UnconfirmedCalls();
  /** Calls released here at an epoch: never taken from the inbox at that epoch again. */
  readonly #tombstones = new Map<string, number>();
  readonly #jobs: AdoptionQueue;
  #running = false;
  #draining = false;
  #beating = false;
  #scanning = false;
  #reconfirming: Promise<void> | null = null;
  #cancelBeat: (() => void) | null = null;
  #cancelScan: (() => void) | null = null;

  constructor(options: InstanceLifecycleOptions) {
    super();
    this.#o = options;
    this.instanceId = options.instanceId;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
    this.ttlMs = options.ttlMs ?? 3 * this.heartbeatIntervalMs;
    this.onLeaseLoss = options.onLeaseLoss ?? 'continue';
    this.#scanIntervalMs = options.scanIntervalMs ?? this.heartbeatIntervalMs;
    this.#jitter = options.scanJitter ?? 0.5;
    const marginMs = options.leaseMarginMs ?? Math.floor(this.ttlMs / 10);
    const concurrency = options.adoptConcurrency ?? 8;
    this.#timers = options.timers ?? realTimers;
    this.#random = options.random ?? Math.random;
    const bad = (what: string): never => {
      throw new GatehouseError('config', 'TAKEOVER_TIMING', `takeover timing: ${what}`);
    };
    if (!(this.heartbeatIntervalMs > 0)) bad('heartbeat interval must be > 0');
    if (!(this.#scanIntervalMs > 0)) bad('scan interval must be > 0');
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) bad('scan jitter must be within 0..1');
    if (!(marginMs >= 0)) bad('lease margin must be >= 0');
    if (!(this.ttlMs - marginMs > this.heartbeatIntervalMs)) bad('TTL minus lease margin must exceed the heartbeat interval, or the lease lapses between two heartbeats');
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) bad('adopt concurrency must be an integer >= 1');
    this.#lease = new InstanceLease({
      ttlMs: this.ttlMs,
      marginMs,
      clock: options.clock,
      timers: this.#timers,
      onLapse: (at) => this.#lapsed(at),
      onRegained: () => this.#regained(),
    });
    this.#jobs = new AdoptionQueue({
      instanceId: this.instanceId,
      store: options.store,
      clock: options.clock,
      concurrency,
      adopt: options.adopt,
      ...(options.logger ? { logger: options.logger } : {}),
      mayClaim: (reason) => this.leaseValid && !(this.#draining && reason === 'orphan'),
      won: (callId, ownership) => this.track(callId, ownership),
      adopted: (callId, ownership, reason, outcome) => this.emit('adopted', { callId, ownership, reason, outcome }),
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
    this.#lease.setArmed(true);
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
    for (const cancel of [this.#cancelBeat, this.#cancelScan]) cancel?.();
    this.#cancelBeat = this.#cancelScan = null;
    this.#lease.setArmed(false);
    this.#jobs.dropQueued();
    if (options.leave) await this.#o.registry.leave(this.instanceId);
  }

  get running(): boolean {
    return this.#running;
  }

  /** True while the lease holds (checked against the clock, not only the timer). */
  get leaseValid(): boolean {
    return this.#lease.valid;
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
    this.#unconfirmed.delete(callId); // a won claim confirms
  }

  /** The call ended or was lost here: not run by us any more and never re-adopted at this epoch. */
  release(callId: string): void {
    this.#o.records?.forget(callId);
    const epoch = this.#tracked.get(callId);
    if (epoch === undefined) return;
    this.#tracked.delete(callId);
    this.#unconfirmed.delete(callId);
    this.#tombstones.set(callId, epoch);
  }

  /** Calls this instance runs, with the epoch it holds. */
  trackedCalls(): ReadonlyMap<string, number> {
    return new Map(this.#tracked);
  }

  /** Tracked calls running unconfirmed (lease lapsed, 'continue'), not yet decided by the store. */
  unconfirmedCalls(): ReadonlySet<string> {
    return new Set([...this.#tracked.keys()].filter((id) => this.#unconfirmed.has(id)));
  }

  /**
   * Fencing check before sending anything on a call's dialog or media (DESIGN.md: two
   * instances never both act on a call). 'lost' and 'gone': release media, send nothing.
   * 'unconfirmed' (lease lapsed with 'continue', or lapsed and not re-checked yet): keep the
   * media, send nothing. With the store unreachable, a valid lease is proof enough (no survivor
   * can claim before it lapses); hand-overs are started only by the owner itself.
   */
  async stillOwn(callId: string, epoch: number): Promise<OwnershipCheck> {
    this.#lease.check(); // a lapse seen here is announced now, not when a late timer fires
    const held = this.#tracked.get(callId) === epoch;
    const unconfirmed: OwnershipCheck = { kind: 'unconfirmed', since: this.#unconfirmed.since };
    const lapsed: OwnershipCheck = held && this.onLeaseLoss === 'continue' ? unconfirmed : { kind: 'lost', current: null, reason: 'lease-lapsed' };
    if (!this.leaseValid) return this.#fenceCount(lapsed, 'lease');
    if (held && this.#unconfirmed.has(callId)) return this.#fenceCount(unconfirmed, 'lease'); // the store decides shortly
    let current: Versioned<CallRecord> | null;
    try {
      current = await this.#o.store.get('call', callId);
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
      return this.leaseValid ? this.#fenceCount({ kind: 'owner', source: 'lease' }, 'lease') : this.#fenceCount(lapsed, 'lease');
    }
    const v = fenceVerdict(current ? { owner: current.value.owner, epoch: current.value.epoch } : null, { owner: this.instanceId, epoch });
    if (v.kind === 'owner') return this.#fenceCount({ kind: 'owner', source: 'store' }, 'store');
    if (v.kind === 'gone') return this.#fenceCount({ kind: 'gone' }, 'store');
    return this.#fenceCount({ kind: 'lost', current: v.current, reason: 'claimed' }, 'store');
  }

  /**
   * Decides every unconfirmed call with the store (src/app/instance-reconfirm.ts); runs after
   * the lease is renewed and on every scan while some remain (e.g. the store went away again
   * half-way). Emits 'calls-confirmed' and 'calls-lost'. Never throws.
   */
  reconfirm(): Promise<void> {
    this.#reconfirming ??= this.#reconfirmAll().finally(() => {
      this.#reconfirming = null;
    });
    return this.#reconfirming;
  }

  /**
   * The store connection came back (Redis adapter's resync hook, after its buffered writes):
   * heartbeat first, so no survivor takes a restored record for an orphan, then write back the
   * records of calls we hold that the store lost (a Redis restarted without persistence).
   * Never throws.
   */
  async resync(): Promise<void> {
    const sentAt = this.#o.clock.now();
    try {
      await this.#o.registry.heartbeat(this.#record());
      takeoverHeartbeats.inc({ outcome: 'ok' });
      this.#lease.renewed(sentAt);
    } catch (err) {
      takeoverHeartbeats.inc({ outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
      return;
    }
    if (!this.leaseValid) return;
    if (this.#unconfirmed.size > 0) await this.reconfirm();
    const restored = await restoreAll(this.#resyncContext(), (callId) => this.#unconfirmed.has(callId));
    if (restored > 0) this.#o.logger?.warn({ restored }, 'state store had lost call records (restarted empty?): written back');
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
      if (this.#unconfirmed.size > 0) await this.reconfirm();
      await this.#jobs.scanOrphans(this.#random, this.#o.canAdopt, this.#o.roomGate);
      await this.#scanInbox();
    } finally {
      this.#scanning = false;
    }
  }

  /** Resolves when no claim, adoption or re-check is queued or running. */
  async idle(): Promise<void> {
    await this.#reconfirming;
    await this.#jobs.idle();
  }

  #fenceCount(check: OwnershipCheck, source: 'store' | 'lease'): OwnershipCheck {
    takeoverFenceChecks.inc({ verdict: check.kind, source });
    return check;
  }

  #resyncContext(): ResyncContext {
    return {
      instanceId: this.instanceId,
      store: this.#o.store,
      ...(this.#o.records ? { records: this.#o.records } : {}),
      ...(this.#o.logger ? { logger: this.#o.logger } : {}),
      tracked: () => this.#tracked,
      leaseValid: () => this.leaseValid,
      release: (callId) => this.release(callId),
    };
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
      this.#lease.renewed(sentAt);
    } catch (err) {
      takeoverHeartbeats.inc({ outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
      this.#o.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'heartbeat failed');
      if (rethrow) throw err;
    } finally {
      this.#beating = false;
    }
  }

  #lapsed(lastRenewedAt: number): void {
    takeoverLeaseLost.inc({ action: this.onLeaseLoss });
    this.#jobs.dropQueued();
    const calls = [...this.#tracked].map(([callId, epoch]) => ({ callId, epoch }));
    const lost: LeaseLost = { calls, lastRenewedAt, ttlMs: this.ttlMs };
    if (this.onLeaseLoss === 'release') {
      this.#tracked.clear(); // not tombstoned: what nobody claimed comes back through the inbox
      this.#unconfirmed.clear();
      this.#o.logger?.error({ calls: calls.length, ttlMs: this.ttlMs }, 'state store unreachable for a whole TTL: lease lost, dropping every call without signalling');
      this.emit('lease-lost', lost);
      return;
    }
    this.#unconfirmed.mark(this.#tracked.keys(), this.#o.clock.now());
    this.#o.logger?.error(
      { calls: calls.length, ttlMs: this.ttlMs },
      'state store unreachable for a whole TTL: lease lost; calls continue unconfirmed, nothing is sent on their dialogs until the store says who owns them',
    );
    this.emit('calls-unconfirmed', lost);
  }

  #regained(): void {
    this.#o.logger?.info({ unconfirmed: this.#unconfirmed.size }, 'state store reachable again: lease renewed');
    this.emit('lease-renewed');
    if (this.#unconfirmed.size > 0) void this.reconfirm();
  }

  async #reconfirmAll(): Promise<void> {
    const { confirmed, lost } = await this.#unconfirmed.reconfirmAll(this.#resyncContext());
    if (confirmed.length > 0) {
      this.#o.logger?.info({ calls: confirmed.length, restored: confirmed.filter((c) => c.restored).length }, 'unconfirmed calls are still ours: confirmed');
      this.emit('calls-confirmed', { calls: confirmed });
    }
    if (lost.length > 0) {
      this.#o.logger?.warn({ claimed: lost.filter((c) => c.cause === 'claimed').length, gone: lost.filter((c) => c.cause === 'gone').length }, 'unconfirmed calls are not ours any more: released without signalling');
      this.emit('calls-lost', { calls: lost });
    }
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
