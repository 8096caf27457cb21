/**
 * The orphan watcher's scans and its claim-then-adopt jobs with bounded concurrency (issue 7),
 * driven by the timers of src/app/instance-lifecycle.ts. Each job claims one call with the
 * store's atomic owner + epoch compare-and-set (one Lua script in Redis), so across instances a
 * call is adopted exactly once; within this instance a call is queued at most once at a time.
 */
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { takeoverAdoptions, takeoverAdoptSeconds, takeoverAdoptsInFlight, takeoverClaims, takeoverScans } from '../metrics/takeover.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { StateUnavailableError } from '../ports/state-store.ts';
import type { StateStore, Versioned } from '../ports/state-store.ts';

/** orphan: its owner's heartbeat lapsed; inbox: owned by us but not run here (hand-over, lapsed lease). */
export type AdoptReason = 'orphan' | 'inbox';

export interface AdoptionJob {
  readonly record: CallRecord;
  readonly reason: AdoptReason;
}

/** What adopting a claimed call did: resumed it here, or holds it until its peer comes back. */
export type AdoptOutcome = 'resumed' | 'held';

export interface AdoptionQueueOptions {
  readonly instanceId: string;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly concurrency: number;
  /** Checked right before claiming (lease still valid, not draining, ...). */
  readonly mayClaim: (reason: AdoptReason) => boolean;
  /** Resolves 'held' when the call waits for its peer to come back (a browser guest), else resumed. */
  readonly adopt: (record: CallRecord, ownership: CallOwnership) => Promise<AdoptOutcome | void>;
  /** The claim was won: the call is ours from now on (before adopt runs). */
  readonly won: (callId: string, ownership: CallOwnership) => void;
  readonly adopted: (callId: string, ownership: CallOwnership, reason: AdoptReason, outcome: AdoptOutcome) => void;
  readonly failed: (callId: string, ownership: CallOwnership, reason: AdoptReason, error: unknown) => void;
  readonly logger?: Logger;
}

export class AdoptionQueue {
  readonly #o: AdoptionQueueOptions;
  readonly #inFlight = new Set<string>();
  readonly #queue: AdoptionJob[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #active = 0;

  constructor(options: AdoptionQueueOptions) {
    this.#o = options;
  }

  /** Queued or running. */
  get size(): number {
    return this.#inFlight.size;
  }

  has(callId: string): boolean {
    return this.#inFlight.has(callId);
  }

  enqueue(job: AdoptionJob): void {
    if (this.#inFlight.has(job.record.callId)) return;
    this.#inFlight.add(job.record.callId);
    this.#queue.push(job);
    takeoverAdoptsInFlight.set(this.#inFlight.size);
    this.#pump();
  }

  /**
   * Queues every orphaned call (owner's heartbeat lapsed) in random order, so survivors that
   * scan at the same moment split the work instead of racing for the same call first.
   */
  async scanOrphans(random: () => number, canAdopt?: () => boolean, roomGate?: (roomId: string) => Promise<boolean>): Promise<void> {
    const listed = await this.#list('orphans', { orphaned: true });
    if (listed === null) return;
    // a room is relayed/mixed in one process: only the survivor that holds its home takes its
    // calls, so a room never ends up split across two survivors (RoomHomes)
    const gate = new Map<string, boolean>();
    const orphans: Versioned<CallRecord>[] = [];
    for (const row of listed) {
      const roomId = row.value.roomId;
      if (roomId !== null && roomGate !== undefined) {
        if (!gate.has(roomId)) gate.set(roomId, await roomGate(roomId).catch(() => false));
        if (gate.get(roomId) !== true) continue;
      }
      orphans.push(row);
    }
    for (let i = orphans.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [orphans[i], orphans[j]] = [orphans[j] as Versioned<CallRecord>, orphans[i] as Versioned<CallRecord>];
    }
    for (const row of orphans) {
      if (canAdopt && !canAdopt()) break;
      if (row.value.owner !== this.#o.instanceId) this.enqueue({ record: row.value, reason: 'orphan' });
    }
  }

  /**
   * Queues calls owned by this instance that `runsHere` says it does not run (hand-overs, calls
   * left from a lapsed lease). Returns what the store listed (callId -> epoch), null on failure.
   */
  async scanInbox(runsHere: (callId: string, epoch: number) => boolean): Promise<Map<string, number> | null> {
    const mine = await this.#list('inbox', { owner: this.#o.instanceId });
    if (mine === null) return null;
    for (const row of mine) if (!runsHere(row.value.callId, row.value.epoch)) this.enqueue({ record: row.value, reason: 'inbox' });
    return new Map(mine.map((row) => [row.value.callId, row.value.epoch]));
  }

  async #list(kind: 'orphans' | 'inbox', query: { readonly orphaned: true } | { readonly owner: string }): Promise<Versioned<CallRecord>[] | null> {
    try {
      const rows = await this.#o.store.listCalls(query);
      takeoverScans.inc({ kind, outcome: 'ok' });
      return rows;
    } catch (err) {
      takeoverScans.inc({ kind, outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
      return null;
    }
  }

  /** Forgets queued jobs (running ones finish). */
  dropQueued(): void {
    for (const job of this.#queue.splice(0)) this.#inFlight.delete(job.record.callId);
    takeoverAdoptsInFlight.set(this.#inFlight.size);
    this.#wakeIfIdle();
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #wakeIfIdle(): void {
    if (this.#active === 0 && this.#queue.length === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #pump(): void {
    while (this.#active < this.#o.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as AdoptionJob;
      this.#active += 1;
      void this.#run(job)
        .catch((err: unknown) => this.#o.logger?.error({ err, callId: job.record.callId }, 'takeover job failed'))
        .finally(() => {
          this.#active -= 1;
          this.#inFlight.delete(job.record.callId);
          takeoverAdoptsInFlight.set(this.#inFlight.size);
          this.#pump();
          this.#wakeIfIdle();
        });
    }
  }

  async #run(job: AdoptionJob): Promise<void> {
    const { record, reason } = job;
    if (!this.#o.mayClaim(reason)) return;
    let outcome;
    try {
      outcome = await this.#o.store.claim(record.callId, {
        from: { owner: record.owner, epoch: record.epoch },
        to: this.#o.instanceId,
        // orphans only while their owner is really dead; the inbox holds our own calls
        ...(reason === 'orphan' ? { onlyIfOwnerDead: true } : {}),
      });
    } catch (err) {
      takeoverClaims.inc({ reason, outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
      return;
    }
    takeoverClaims.inc({ reason, outcome: outcome.won ? 'won' : outcome.reason });
    if (!outcome.won) return;
    const ownership = outcome.ownership;
    this.#o.won(record.callId, ownership);
    const started = this.#o.clock.now();
    try {
      const result = await this.#o.adopt({ ...record, owner: ownership.owner, epoch: ownership.epoch }, ownership);
      takeoverAdoptions.inc({ outcome: 'ok' });
      takeoverAdoptSeconds.observe((this.#o.clock.now() - started) / 1000);
      this.#o.adopted(record.callId, ownership, reason, result ?? 'resumed');
    } catch (error) {
      takeoverAdoptions.inc({ outcome: 'failed' });
      this.#o.logger?.warn({ callId: record.callId, err: error instanceof Error ? error.message : String(error) }, 'adopting a call failed');
      this.#o.failed(record.callId, ownership, reason, error);
    }
  }
}
