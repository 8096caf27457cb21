/**
 * Re-sync of call records with the store once it can be seen again (issue 7 "Redis outage":
 * calls continue, state re-synced when Redis returns, nothing lost; "the epoch fences": an
 * instance that was cut off and comes back discovers it lost a call). Used by
 * src/app/instance-lifecycle.ts; counting and events are its job.
 *
 * Two cases:
 * - `reconfirmCall`: a call that ran UNCONFIRMED (our lease lapsed with state.on_lease_loss
 *   continue: another instance may have claimed it). The store decides, by owner + epoch
 *   (src/core/call/fencing.ts): ours -> confirmed, its record re-stored; claimed by another
 *   instance -> 'claimed' (release it without signalling); missing -> restored (see below).
 * - `restoreCall`/`restoreAll`: a call whose lease never lapsed, after the store connection came back: a
 *   record a restarted Redis lost is written back; an existing one is left alone.
 *
 * A missing record is written back with expect 'absent' at the epoch we hold, never a higher
 * one. Why: the record is missing because Redis lost it (restart without persistence, failover
 * to a replica that missed the write), or because another instance claimed the call while we
 * were cut off and the call then ended there. The store cannot tell the two apart, and a call
 * Redis lost is the one that must not be lost. Restoring at OUR epoch keeps our own fencing
 * checks (which compare the epoch we hold) true, does not outrank a claimer: 'absent' loses
 * to a record another instance wrote back first (we then see it and release), and a claim
 * still moves the call to epoch + 1. In the second case the restored record describes a dialog
 * the peer has already ended: its media stops arriving, the media timeout ends it here, and the
 * peer answers that BYE with 481 (RFC 3261 15.1.2). Without a record we remember ('gone'),
 * nothing can be restored and the call is released.
 */
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { fenceVerdict } from '../core/call/fencing.ts';
import { takeoverResyncs, takeoverUnconfirmedCalls } from '../metrics/takeover.ts';
import type { Logger } from '../ports/logger.ts';
import { StateUnavailableError } from '../ports/state-store.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { CallRecordSource } from './instance-record-cache.ts';

export type ReconfirmOutcome =
  | { readonly kind: 'confirmed' }
  | { readonly kind: 'restored' }
  | { readonly kind: 'claimed'; readonly current: CallOwnership }
  | { readonly kind: 'gone' };

export interface ReconfirmDeps {
  readonly instanceId: string;
  readonly store: StateStore;
  readonly records?: CallRecordSource;
}

/** Throws StateUnavailableError (the call stays unconfirmed) when the store cannot be reached. */
export async function reconfirmCall(deps: ReconfirmDeps, callId: string, epoch: number): Promise<ReconfirmOutcome> {
  const mine: CallOwnership = { owner: deps.instanceId, epoch };
  const cached = ownRecord(deps, callId, epoch);
  for (let attempt = 0; attempt < 2; attempt++) {
    const current = await deps.store.get('call', callId);
    const v = fenceVerdict(current ? { owner: current.value.owner, epoch: current.value.epoch } : null, mine);
    if (v.kind === 'lost') return { kind: 'claimed', current: v.current };
    if (v.kind === 'owner') {
      if (cached === undefined) return { kind: 'confirmed' };
      // re-stored: the store's copy may predate what we wrote while it could not be reached
      const w = await deps.store.put('call', cached, 'any');
      if (!w.ok && w.reason === 'fenced' && w.current?.owner && w.current.epoch !== null) return { kind: 'claimed', current: { owner: w.current.owner, epoch: w.current.epoch } };
      return { kind: 'confirmed' };
    }
    if (cached === undefined) return { kind: 'gone' };
    const w = await deps.store.put('call', cached, 'absent');
    if (w.ok) return { kind: 'restored' };
    // 'exists': written meanwhile (by another instance's write-back or claim): decide again
  }
  return { kind: 'gone' }; // appeared and vanished again between reads: nothing to hold on to
}

/** Writes back the record of a call we hold if the store lost it; 'present' when it is there. */
export async function restoreCall(deps: ReconfirmDeps, callId: string, epoch: number): Promise<'restored' | 'present' | 'unknown'> {
  const cached = ownRecord(deps, callId, epoch);
  if (cached === undefined) return 'unknown';
  const w = await deps.store.put('call', cached, 'absent');
  return w.ok ? 'restored' : 'present';
}

function ownRecord(deps: ReconfirmDeps, callId: string, epoch: number): CallRecord | undefined {
  const r = deps.records?.recordOf(callId);
  return r !== undefined && r.owner === deps.instanceId && r.epoch === epoch ? r : undefined;
}

export interface ResyncContext extends ReconfirmDeps {
  /** The calls the lifecycle runs now, with the epoch it holds. */
  readonly tracked: () => ReadonlyMap<string, number>;
  readonly leaseValid: () => boolean;
  /** Forget a call here (the lifecycle's release: tombstone, record cache). */
  readonly release: (callId: string) => void;
  readonly logger?: Logger;
}

export interface ReconfirmReport {
  readonly confirmed: readonly { readonly callId: string; readonly epoch: number; readonly restored: boolean }[];
  readonly lost: readonly { readonly callId: string; readonly epoch: number; readonly cause: 'claimed' | 'gone' }[];
}

/** The calls kept running after a lapse (state.on_lease_loss continue) until the store decides. */
export class UnconfirmedCalls {
  readonly #ids = new Set<string>();
  #since: number | null = null;

  /** Monotonic time the oldest still unconfirmed lapse began (null: none). */
  get since(): number | null {
    return this.#since;
  }

  get size(): number {
    return this.#ids.size;
  }

  has(callId: string): boolean {
    return this.#ids.has(callId);
  }

  mark(callIds: Iterable<string>, now: number): void {
    for (const id of callIds) this.#ids.add(id);
    if (this.#ids.size > 0) this.#since ??= now;
    this.#changed();
  }

  delete(callId: string): void {
    if (this.#ids.delete(callId)) this.#changed();
  }

  clear(): void {
    this.#ids.clear();
    this.#changed();
  }

  /**
   * Checks each unconfirmed call with the store; the store being unreachable again stops the
   * round (what is left stays unconfirmed for the next one). Claimed and gone calls are
   * released through `ctx.release`; the caller releases their media.
   */
  async reconfirmAll(ctx: ResyncContext): Promise<ReconfirmReport> {
    const confirmed: ReconfirmReport['confirmed'][number][] = [];
    const lost: ReconfirmReport['lost'][number][] = [];
    for (const callId of [...this.#ids]) {
      if (!ctx.leaseValid()) break;
      const epoch = ctx.tracked().get(callId);
      if (epoch === undefined) {
        this.delete(callId);
        continue;
      }
      let outcome: ReconfirmOutcome;
      try {
        outcome = await reconfirmCall(ctx, callId, epoch);
      } catch (err) {
        takeoverResyncs.inc({ case: 'unconfirmed', outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
        if (err instanceof StateUnavailableError) break;
        ctx.logger?.warn({ callId, err: err instanceof Error ? err.message : String(err) }, 'unconfirmed call could not be checked; retried on the next scan');
        continue;
      }
      if (ctx.tracked().get(callId) !== epoch || !this.#ids.has(callId)) continue; // ended or re-claimed meanwhile
      takeoverResyncs.inc({ case: 'unconfirmed', outcome: outcome.kind });
      if (outcome.kind === 'confirmed' || outcome.kind === 'restored') {
        this.delete(callId);
        confirmed.push({ callId, epoch, restored: outcome.kind === 'restored' });
      } else {
        this.delete(callId);
        ctx.release(callId);
        lost.push({ callId, epoch, cause: outcome.kind });
      }
    }
    return { confirmed, lost };
  }

  #changed(): void {
    if (this.#ids.size === 0) this.#since = null;
    takeoverUnconfirmedCalls.set(this.#ids.size);
  }
}

/** `restoreCall` for every tracked call not in `skip`; returns how many were written back. */
export async function restoreAll(ctx: ResyncContext, skip: (callId: string) => boolean): Promise<number> {
  let restored = 0;
  for (const [callId, epoch] of [...ctx.tracked()]) {
    if (skip(callId)) continue;
    try {
      const r = await restoreCall(ctx, callId, epoch);
      takeoverResyncs.inc({ case: 'reconnect', outcome: r });
      if (r === 'restored') restored += 1;
    } catch (err) {
      takeoverResyncs.inc({ case: 'reconnect', outcome: err instanceof StateUnavailableError ? 'unavailable' : 'error' });
      if (err instanceof StateUnavailableError) break;
      ctx.logger?.warn({ callId, err: err instanceof Error ? err.message : String(err) }, 'could not restore call record');
    }
  }
  return restored;
}
