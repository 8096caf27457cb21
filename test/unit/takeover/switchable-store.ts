/**
 * A store seen through a link the test can cut: while cut, every operation fails with
 * StateUnavailableError, as the Redis adapter does when the store is unreachable. Also logs
 * every operation (and how many orphans each orphan listing returned) for ordering checks.
 */
import type { CallRecord } from '../../../src/core/call/call-record.ts';
import type { InstanceRecord } from '../../../src/core/call/instance-record.ts';
import { StateUnavailableError } from '../../../src/ports/state-store.ts';
import type {
  CallQuery,
  ClaimOutcome,
  ClaimRequest,
  Expect,
  InstanceRegistry,
  RemoveGuard,
  StateStore,
  StoredKind,
  StoredRecords,
  Versioned,
  WriteOutcome,
} from '../../../src/ports/state-store.ts';

export class SwitchableStore implements StateStore, InstanceRegistry {
  readonly inner: StateStore & InstanceRegistry;
  cut = false;
  /** Operations attempted, by name (including failed ones), plus `orphans=<n>` results. */
  readonly calls: string[] = [];

  constructor(inner: StateStore & InstanceRegistry) {
    this.inner = inner;
  }

  #gate(op: string): void {
    this.calls.push(op);
    if (this.cut) throw new StateUnavailableError(op);
  }

  async get<K extends StoredKind>(kind: K, id: string): Promise<Versioned<StoredRecords[K]> | null> {
    this.#gate('get');
    return this.inner.get(kind, id);
  }
  async put<K extends StoredKind>(kind: K, value: StoredRecords[K], expect: Expect): Promise<WriteOutcome> {
    this.#gate('put');
    return this.inner.put(kind, value, expect);
  }
  async remove(kind: StoredKind, id: string, guard: RemoveGuard): Promise<WriteOutcome> {
    this.#gate('remove');
    return this.inner.remove(kind, id, guard);
  }
  async listCalls(query: CallQuery): Promise<Versioned<CallRecord>[]> {
    this.#gate('owner' in query ? 'listCalls:owner' : 'listCalls:orphaned');
    const rows = await this.inner.listCalls(query);
    if (!('owner' in query)) this.calls.push(`orphans=${rows.length}`);
    return rows;
  }
  async claim(callId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    this.#gate('claim');
    return this.inner.claim(callId, request);
  }
  async heartbeat(instance: InstanceRecord): Promise<void> {
    this.#gate('heartbeat');
    return this.inner.heartbeat(instance);
  }
  async listInstances(): Promise<InstanceRecord[]> {
    this.#gate('listInstances');
    return this.inner.listInstances();
  }
  async leave(instanceId: string): Promise<void> {
    this.#gate('leave');
    return this.inner.leave(instanceId);
  }
}
