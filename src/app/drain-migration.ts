/**
 * Drain (issue 7 "Drain"; DESIGN.md: SIGTERM migrates live calls instead of waiting for them to
 * end). The draining instance hands each call it owns to another live instance; the receiver
 * finds it in its inbox (src/app/instance-lifecycle.ts), adopts it exactly like an orphan (fresh
 * media, target-refresh re-INVITE) and the call moves without being dropped.
 *
 * Mechanism: no new store operation. The hand-over is the existing atomic `claim` WITHOUT
 * `onlyIfOwnerDead`, made by the owner itself with `to` = the chosen instance: owner and epoch
 * are compared and replaced in one step (one Lua script in Redis), the epoch goes up, so the old
 * owner is fenced from that moment (StateStore.claim documents this use: "orphan takeover, not
 * drain/handoff"). Before it, the record is rewritten once (fenced by owner + epoch, CAS on the
 * revision) with state 'migrating' and a fresh snapshot from the call layer (current dialog
 * export, so the new owner continues with the right CSeq). If the target dies before adopting,
 * the call is an orphan of the target and the survivors adopt it; nothing is lost.
 *
 * Targets: alive (in the registry), not draining, not us, below capacity; least loaded first
 * (load / capacity, counting what this drain already sent), ties by instance id; all calls of a
 * room to the same instance when one can take them all.
 */
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import type { InstanceRecord } from '../core/call/instance-record.ts';
import { takeoverHandovers } from '../metrics/takeover.ts';
import type { Logger } from '../ports/logger.ts';
import { StateUnavailableError } from '../ports/state-store.ts';
import type { InstanceRegistry, StateStore, Versioned } from '../ports/state-store.ts';
import type { TimerDriver } from './instance-lifecycle.ts';

export interface DrainMove {
  readonly callId: string;
  readonly to: string;
}

export interface DrainPlan {
  readonly moves: readonly DrainMove[];
  /** No instance can take these now (none alive, all draining or full). */
  readonly stranded: readonly string[];
}

/** A call to hand over; calls of one room go to one instance (a room runs in one process). */
export type DrainItem = string | { readonly callId: string; readonly roomId: string | null };

/**
 * Pure: assigns each room's calls together to the least loaded eligible instance that can take
 * them all (else call by call, so a full cluster still drains), calls without a room one by one.
 */
export function planDrain(me: string, instances: readonly InstanceRecord[], calls: readonly DrainItem[]): DrainPlan {
  const targets = instances
    .filter((i) => i.instanceId !== me && !i.draining && i.capacity.calls > 0)
    .map((i) => ({ id: i.instanceId, calls: i.load.calls, capacity: i.capacity.calls }));
  const pick = (need: number): (typeof targets)[number] | undefined => {
    let best: (typeof targets)[number] | undefined;
    for (const t of targets) {
      if (t.calls + need > t.capacity) continue;
      if (best === undefined) best = t;
      else {
        const d = t.calls / t.capacity - best.calls / best.capacity;
        if (d < 0 || (d === 0 && t.id < best.id)) best = t;
      }
    }
    return best;
  };
  const groups: string[][] = [];
  const byRoom = new Map<string, string[]>();
  for (const item of calls) {
    const callId = typeof item === 'string' ? item : item.callId;
    const roomId = typeof item === 'string' ? null : item.roomId;
    if (roomId === null) {
      groups.push([callId]);
      continue;
    }
    let g = byRoom.get(roomId);
    if (g === undefined) {
      byRoom.set(roomId, (g = []));
      groups.push(g);
    }
    g.push(callId);
  }
  const moves: DrainMove[] = [];
  const stranded: string[] = [];
  for (const group of groups) {
    const whole = pick(group.length);
    for (const callId of group) {
      const t = whole ?? pick(1);
      if (t === undefined) stranded.push(callId);
      else {
        t.calls += 1;
        moves.push({ callId, to: t.id });
      }
    }
  }
  return { moves, stranded };
}

export interface DrainDeps {
  readonly instanceId: string;
  readonly store: StateStore;
  readonly registry: InstanceRegistry;
  readonly wallclock: () => number;
  /**
   * The call's current body for the new owner (fresh dialog export, current SDP), or null when
   * the call does not run here (the stored record is handed over as is). Once it returns, the
   * call must start nothing new on its dialog: it is being handed over.
   */
  readonly snapshot?: (record: CallRecord) => Promise<CallRecord | null> | CallRecord | null;
  /** Hand-over failed after `snapshot`: the call stays here and may signal again. */
  readonly resume?: (callId: string) => Promise<void> | void;
  /** The call now belongs to `to`: release its media here and send NOTHING on its dialog. */
  readonly handedOver: (callId: string, to: string, ownership: CallOwnership) => Promise<void> | void;
  readonly logger?: Logger;
}

export type HandoverOutcome = 'handed' | 'lost' | 'missing' | 'conflict' | 'no-target' | 'unavailable' | 'error';

export interface DrainReport {
  readonly handed: readonly DrainMove[];
  readonly stranded: readonly string[];
  /** Not handed over this round (retry): why, by call. */
  readonly failed: readonly { readonly callId: string; readonly outcome: Exclude<HandoverOutcome, 'handed' | 'no-target'> }[];
  /** Calls still owned by this instance after the round (includes stranded and failed). */
  readonly remaining: number;
}

/** One round: plan over the live registry and hand over every call this instance owns. */
export async function migrateOnce(deps: DrainDeps): Promise<DrainReport> {
  const mine = await deps.store.listCalls({ owner: deps.instanceId });
  const instances = await deps.registry.listInstances();
  const plan = planDrain(deps.instanceId, instances, mine.map((r) => ({ callId: r.value.callId, roomId: r.value.roomId })));
  const byId = new Map(mine.map((r) => [r.value.callId, r]));
  const handed: DrainMove[] = [];
  const failed: { callId: string; outcome: Exclude<HandoverOutcome, 'handed' | 'no-target'> }[] = [];
  if (plan.stranded.length > 0) takeoverHandovers.inc({ outcome: 'no-target' }, plan.stranded.length);
  for (const move of plan.moves) {
    const row = byId.get(move.callId);
    if (row === undefined) continue;
    const outcome = await handOver(deps, row, move.to);
    takeoverHandovers.inc({ outcome });
    if (outcome === 'handed') handed.push(move);
    else if (outcome !== 'no-target') failed.push({ callId: move.callId, outcome });
  }
  // 'lost'/'missing' calls are no longer ours: not remaining.
  const gone = failed.filter((f) => f.outcome === 'lost' || f.outcome === 'missing').length;
  return { handed, stranded: plan.stranded, failed, remaining: mine.length - handed.length - gone };
}

async function handOver(deps: DrainDeps, row: Versioned<CallRecord>, to: string): Promise<HandoverOutcome> {
  const mine: CallOwnership = { owner: deps.instanceId, epoch: row.value.epoch };
  let frozen = false;
  try {
    const fresh = deps.snapshot ? await deps.snapshot(row.value) : null;
    frozen = fresh !== null;
    const body: CallRecord = { ...(fresh ?? row.value), owner: mine.owner, epoch: mine.epoch, state: 'migrating', updatedAt: deps.wallclock() };
    const put = await deps.store.put('call', body, row.revision);
    if (!put.ok) {
      await unfreeze(deps, row.value.callId, frozen);
      return put.reason === 'fenced' ? 'lost' : put.reason === 'missing' ? 'missing' : 'conflict';
    }
    const claim = await deps.store.claim(row.value.callId, { from: mine, to });
    if (!claim.won) {
      // 'lost': someone else moved it (we are fenced; the call's next stillOwn says so);
      // 'missing': it ended meanwhile.
      await unfreeze(deps, row.value.callId, frozen);
      return claim.reason === 'missing' ? 'missing' : 'lost';
    }
    await deps.handedOver(row.value.callId, to, claim.ownership);
    return 'handed';
  } catch (err) {
    deps.logger?.warn({ callId: row.value.callId, err: err instanceof Error ? err.message : String(err) }, 'drain hand-over failed');
    await unfreeze(deps, row.value.callId, frozen).catch(() => undefined);
    return err instanceof StateUnavailableError ? 'unavailable' : 'error';
  }
}

async function unfreeze(deps: DrainDeps, callId: string, frozen: boolean): Promise<void> {
  if (frozen) await deps.resume?.(callId);
}

export interface DrainUntilEmptyOptions {
  readonly timers: TimerDriver;
  /** Pause between rounds while calls remain (targets full, store down). Default 1000 ms. */
  readonly retryMs?: number;
  /** Keep going while this is true (e.g. until a drain deadline). Default: always. */
  readonly keepGoing?: () => boolean;
}

/**
 * Rounds of `migrateOnce` until this instance owns no call (then the caller leaves the registry
 * and exits) or `keepGoing` says stop. Returns the last round's report; throws the
 * StateUnavailableError of the last round when the store was unreachable and it has to stop.
 */
export async function drainUntilEmpty(deps: DrainDeps, options: DrainUntilEmptyOptions): Promise<DrainReport> {
  const retryMs = options.retryMs ?? 1000;
  for (;;) {
    try {
      const report = await migrateOnce(deps);
      if (report.remaining === 0 || (options.keepGoing && !options.keepGoing())) return report;
    } catch (err) {
      if (!(err instanceof StateUnavailableError) || (options.keepGoing && !options.keepGoing())) throw err;
    }
    await new Promise<void>((resolve) => options.timers.after(retryMs, resolve));
  }
}
