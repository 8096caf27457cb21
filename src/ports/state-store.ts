/**
 * State store ports (DESIGN.md "State and takeover", convention 3: narrow ports).
 *
 * - StateStore: call and room records with compare-and-set, and the atomic claim that moves a
 *   call to a new owner with epoch + 1 (the fencing token).
 * - InstanceRegistry: heartbeats with a TTL; an instance whose heartbeat lapsed is dead and
 *   its calls are orphans.
 * - KeyRewrapper: admin-only, used by `gatehouse keys rotate`.
 *
 * Adapters: src/adapters/state/memory-state-store.ts (default, one instance) and
 * src/adapters/state/redis-state-store.ts (several instances). Both pass the same contract
 * suite (test/unit/state, test/integration/state). Epoch checks for media/dialog actions:
 * src/core/call/fencing.ts.
 */
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import type { InstanceRecord } from '../core/call/instance-record.ts';
import type { RoomRecord } from '../core/call/room-record.ts';
import { GatehouseError } from '../core/errors.ts';

export interface StoredRecords {
  readonly call: CallRecord;
  readonly room: RoomRecord;
}
export type StoredKind = keyof StoredRecords;

export interface Versioned<T> {
  readonly value: T;
  /** Store-assigned, +1 on every write or claim; what revision compare-and-set compares. */
  readonly revision: number;
}

/**
 * Revision expectation of a write: 'absent' = create only; a number = must exist at exactly
 * that revision; 'any' = create or overwrite. Writes to a call are ALWAYS also fenced by the
 * owner and epoch inside the written value: they fail 'fenced' if the store holds another
 * owner or epoch, so an instance that lost a call can never overwrite it.
 */
export type Expect = 'absent' | 'any' | number;

/** Ownership/revision as the store holds them (null owner/epoch for rooms). */
export interface RecordMeta {
  readonly revision: number;
  readonly owner: string | null;
  readonly epoch: number | null;
}

export type WriteOutcome =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly reason: 'exists' | 'missing' | 'conflict' | 'fenced'; readonly current: RecordMeta | null };

export interface RemoveGuard {
  readonly expect: number | 'any';
  /** Required for calls: only the current owner at its epoch may end a call. */
  readonly fence?: CallOwnership;
}

export interface ClaimRequest {
  /** Ownership the claimer observed (from listCalls or get): compared atomically. */
  readonly from: CallOwnership;
  /** New owner instance id. */
  readonly to: string;
  /** Refuse while `from.owner`'s heartbeat is still alive (orphan takeover, not drain/handoff). */
  readonly onlyIfOwnerDead?: boolean;
}

export type ClaimOutcome =
  | { readonly won: true; readonly ownership: CallOwnership; readonly revision: number }
  | { readonly won: false; readonly reason: 'lost' | 'missing' | 'owner-alive'; readonly current: CallOwnership | null };

export type CallQuery = { readonly owner: string } | { readonly orphaned: true };

export interface StateStore {
  get<K extends StoredKind>(kind: K, id: string): Promise<Versioned<StoredRecords[K]> | null>;
  put<K extends StoredKind>(kind: K, value: StoredRecords[K], expect: Expect): Promise<WriteOutcome>;
  remove(kind: StoredKind, id: string, guard: RemoveGuard): Promise<WriteOutcome>;
  /** Calls of one owner, or all calls whose owner's heartbeat has lapsed. */
  listCalls(query: CallQuery): Promise<Versioned<CallRecord>[]>;
  /** One atomic compare-and-set: owner and epoch as expected -> new owner, epoch + 1. */
  claim(callId: string, request: ClaimRequest): Promise<ClaimOutcome>;
}

/**
 * Which instance a room's media lives on across instances (issue 7): a room is mixed or relayed
 * in one process, so after a takeover every call of a room must land on the same survivor, and
 * a guest that reconnects must find it. A home is valid while its instance heartbeats.
 */
export interface RoomHomes {
  /** The room's home: the current one while its instance is alive, else `instanceId` becomes
   * it (atomically: of two instances asking at once, one wins and both get its id). */
  claimHome(roomId: string, instanceId: string): Promise<string>;
  /** The room's home while its instance is alive, else null; changes nothing. */
  homeOf(roomId: string): Promise<string | null>;
  /** The room ended on `instanceId`: its home is cleared if it is still that instance. */
  leaveHome(roomId: string, instanceId: string): Promise<void>;
}

export interface InstanceRegistry {
  /** Publishes the record and (re)starts its TTL of `ttlMs`. */
  heartbeat(instance: InstanceRecord): Promise<void>;
  /** Live instances only (TTL not lapsed). */
  listInstances(): Promise<InstanceRecord[]>;
  leave(instanceId: string): Promise<void>;
}

export interface RewrapReport {
  readonly scanned: number;
  readonly rewrapped: number;
  readonly alreadyCurrent: number;
  readonly withoutSecrets: number;
  /** Records changed by someone else between read and write, re-read and retried. */
  readonly retried: number;
  readonly failed: readonly { readonly key: string; readonly code: string }[];
}

export interface KeyRewrapper {
  /** Re-wraps every record's data key under the keyring's active key id. */
  rewrapAll(): Promise<RewrapReport>;
}

/**
 * The store cannot be reached right now (Redis down, partitioned, loading, read-only replica).
 * Fails fast instead of hanging; maps to 503 so new calls are refused and upstream fails over.
 * `buffered` is true when the write was kept in the adapter's write-behind buffer and will be
 * retried when the store comes back.
 */
export class StateUnavailableError extends GatehouseError {
  readonly buffered: boolean;
  constructor(operation: string, options: { cause?: unknown; buffered?: boolean } = {}) {
    super('state', 'STATE_UNAVAILABLE', `state store unavailable during ${operation}`, {
      cause: options.cause,
      sipStatus: 503,
      sipReason: 'state store unavailable',
    });
    this.name = 'StateUnavailableError';
    this.buffered = options.buffered ?? false;
  }
}
