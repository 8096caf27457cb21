import type { CallOwnership } from '../../core/call/call-record.ts';
import type { Expect, StoredKind } from '../../ports/state-store.ts';

/**
 * Writes that could not reach the store, kept (sealed, as they would be stored) until it
 * comes back. One entry per record, in first-failure order. A later write to the same record
 * replaces the value but keeps the FIRST expectation: none of the buffered writes landed, so
 * the store is still at the revision the first one expected.
 *
 * Entries are replaced, never mutated, so a flush in progress can tell whether the entry it
 * sent is still the current one (settle() only removes that exact object).
 */
export type PendingWrite =
  | {
      readonly op: 'put';
      readonly kind: StoredKind;
      readonly id: string;
      readonly text: string;
      readonly ownership: CallOwnership | null;
      readonly expect: Expect;
    }
  | {
      readonly op: 'remove';
      readonly kind: StoredKind;
      readonly id: string;
      readonly expect: number | 'any';
      readonly fence: CallOwnership | null;
    };

export function pendingKey(kind: StoredKind, id: string): string {
  return `${kind}/${id}`;
}

export class WriteBehind {
  readonly #entries = new Map<string, PendingWrite>();

  /** Adds or merges; returns the entry now pending for that record. */
  add(write: PendingWrite): PendingWrite {
    const key = pendingKey(write.kind, write.id);
    const prev = this.#entries.get(key);
    let merged: PendingWrite = write;
    if (prev && prev.expect !== 'any') {
      if (write.op === 'put') merged = { ...write, expect: prev.expect };
      // A remove after a buffered create cannot say "absent": remove whatever is there, the
      // fence still guarantees it is ours.
      else merged = { ...write, expect: prev.expect === 'absent' ? 'any' : prev.expect };
    }
    this.#entries.set(key, merged); // Map.set keeps the first insertion position
    return merged;
  }

  get(kind: StoredKind, id: string): PendingWrite | undefined {
    return this.#entries.get(pendingKey(kind, id));
  }

  /** Removes the entry only if it is still exactly `write` (not replaced meanwhile). */
  settle(write: PendingWrite): void {
    const key = pendingKey(write.kind, write.id);
    if (this.#entries.get(key) === write) this.#entries.delete(key);
  }

  entries(): PendingWrite[] {
    return [...this.#entries.values()];
  }

  get size(): number {
    return this.#entries.size;
  }
}
