/**
 * The last call record this instance wrote for each call it runs, kept in memory so that state
 * can be re-synced when the store returns (issue 7 "Redis outage: ... state re-synced when
 * Redis returns; nothing lost"): a Redis that restarted empty (or failed over to a replica
 * that missed writes) has lost records of calls that are still running here, and without them
 * no survivor could take those calls over after a later crash.
 *
 * A StateStore decorator: the call layer writes through it unchanged (every call write goes
 * through `put`, so nothing has to remember to feed the cache). The records are the very
 * objects the call layer keeps anyway; the instance lifecycle forgets a call when it releases
 * it. Reads, claims and listings pass straight through.
 */
import type { CallRecord } from '../core/call/call-record.ts';
import type {
  CallQuery,
  ClaimOutcome,
  ClaimRequest,
  Expect,
  RemoveGuard,
  StateStore,
  StoredKind,
  StoredRecords,
  Versioned,
  WriteOutcome,
} from '../ports/state-store.ts';

/** What the lifecycle needs of the cache. */
export interface CallRecordSource {
  /** The last record written for this call by this instance, if it still runs it. */
  recordOf(callId: string): CallRecord | undefined;
  forget(callId: string): void;
}

export class CallRecordCache implements StateStore, CallRecordSource {
  readonly #inner: StateStore;
  readonly #instanceId: string;
  readonly #records = new Map<string, CallRecord>();

  constructor(inner: StateStore, instanceId: string) {
    this.#inner = inner;
    this.#instanceId = instanceId;
  }

  recordOf(callId: string): CallRecord | undefined {
    return this.#records.get(callId);
  }

  forget(callId: string): void {
    this.#records.delete(callId);
  }

  get size(): number {
    return this.#records.size;
  }

  get<K extends StoredKind>(kind: K, id: string): Promise<Versioned<StoredRecords[K]> | null> {
    return this.#inner.get(kind, id);
  }

  async put<K extends StoredKind>(kind: K, value: StoredRecords[K], expect: Expect): Promise<WriteOutcome> {
    // Remembered before the write: the newest state we mean the store to hold, whether or not
    // this write lands now (a write that cannot land is buffered by the Redis adapter).
    const call = kind === 'call' ? (value as CallRecord) : null;
    if (call !== null && call.owner === this.#instanceId) this.#records.set(call.callId, call);
    const outcome = await this.#inner.put(kind, value, expect);
    // fenced: someone else owns it; the call layer releases it (and the lifecycle forgets it)
    if (call !== null && !outcome.ok && outcome.reason === 'fenced' && this.#records.get(call.callId) === call) this.#records.delete(call.callId);
    return outcome;
  }

  async remove(kind: StoredKind, id: string, guard: RemoveGuard): Promise<WriteOutcome> {
    if (kind === 'call') this.#records.delete(id); // the call ended here: nothing to restore
    return this.#inner.remove(kind, id, guard);
  }

  listCalls(query: CallQuery): Promise<Versioned<CallRecord>[]> {
    return this.#inner.listCalls(query);
  }

  claim(callId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    return this.#inner.claim(callId, request);
  }
}
