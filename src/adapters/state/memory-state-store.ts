import type { CallOwnership, CallRecord } from '../../core/call/call-record.ts';
import { instanceCodec } from '../../core/call/instance-record.ts';
import type { InstanceRecord } from '../../core/call/instance-record.ts';
import { decodeRecord, encodeRecord, rewrapStored, storedKeyId } from '../../core/call/stored-document.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { RandomSource } from '../../core/secrets/aead.ts';
import { validateKeyring } from '../../core/secrets/keyring.ts';
import type { Keyring } from '../../core/secrets/keyring.ts';
import { stateOps } from '../../metrics/state.ts';
import type { Clock } from '../../ports/clock.ts';
import type {
  CallQuery,
  ClaimOutcome,
  ClaimRequest,
  Expect,
  InstanceRegistry,
  KeyRewrapper,
  RecordMeta,
  RemoveGuard,
  RewrapReport,
  RoomHomes,
  StateStore,
  StoredKind,
  StoredRecords,
  Versioned,
  WriteOutcome,
} from '../../ports/state-store.ts';
import { ephemeralKeyring } from './ephemeral-keyring.ts';
import { decodeValue, encodeValue, fenceRequired } from './record-io.ts';

/**
 * In-memory StateStore + InstanceRegistry: the embedded default for a single instance.
 * Same semantics as the Redis adapter (CAS, fencing, epochs, TTL via the injected Clock),
 * and it stores the same sealed text, so the contract suite runs unchanged against both.
 */
export interface MemoryStateStoreOptions {
  readonly clock: Clock;
  /** Defaults to a random per-process keyring. */
  readonly keyring?: Keyring;
  readonly random?: RandomSource;
  /** Share another store's data (same records seen through another keyring). */
  readonly data?: MemoryStateData;
}

/** The records themselves; opaque outside this file. */
export interface MemoryStateData {
  readonly records: { readonly call: Map<string, Entry>; readonly room: Map<string, Entry> };
  readonly byOwner: Map<string, Set<string>>;
  readonly instances: Map<string, { text: string; expiresAt: number }>;
}

export interface Entry {
  revision: number;
  ownership: CallOwnership | null;
  text: string;
}

export class MemoryStateStore implements StateStore, InstanceRegistry, KeyRewrapper, RoomHomes {
  readonly #clock: Clock;
  readonly #keyring: Keyring;
  readonly #random: RandomSource | undefined;
  readonly #data: MemoryStateData;
  readonly #records: MemoryStateData['records'];
  readonly #byOwner: MemoryStateData['byOwner'];
  readonly #instances: MemoryStateData['instances'];
  readonly #homes = new Map<string, string>();

  constructor(options: MemoryStateStoreOptions) {
    this.#clock = options.clock;
    this.#keyring = validateKeyring(options.keyring ?? ephemeralKeyring());
    this.#random = options.random;
    this.#data = options.data ?? { records: { call: new Map(), room: new Map() }, byOwner: new Map(), instances: new Map() };
    this.#records = this.#data.records;
    this.#byOwner = this.#data.byOwner;
    this.#instances = this.#data.instances;
  }

  /** The same records seen through another keyring (rotation, tests). */
  withKeyring(keyring: Keyring): MemoryStateStore {
    return new MemoryStateStore({ clock: this.#clock, keyring, data: this.#data, ...(this.#random ? { random: this.#random } : {}) });
  }

  async get<K extends StoredKind>(kind: K, id: string): Promise<Versioned<StoredRecords[K]> | null> {
    const e = this.#records[kind].get(id);
    stateOps.inc({ store: 'memory', op: 'get', outcome: e ? 'hit' : 'miss' });
    if (!e) return null;
    return { value: decodeValue(kind, id, e.text, e.ownership, this.#keyring), revision: e.revision };
  }

  async put<K extends StoredKind>(kind: K, value: StoredRecords[K], expect: Expect): Promise<WriteOutcome> {
    const enc = encodeValue(kind, value, this.#keyring, this.#random);
    const map = this.#records[kind];
    const cur = map.get(enc.id);
    const outcome = ((): WriteOutcome => {
      if (!cur) {
        if (typeof expect === 'number') return { ok: false, reason: 'missing', current: null };
        map.set(enc.id, { revision: 1, ownership: enc.ownership, text: enc.text });
        if (enc.ownership) this.#index(enc.ownership.owner).add(enc.id);
        return { ok: true, revision: 1 };
      }
      if (expect === 'absent') return { ok: false, reason: 'exists', current: meta(cur) };
      if (enc.ownership && !sameOwnership(cur.ownership, enc.ownership)) return { ok: false, reason: 'fenced', current: meta(cur) };
      if (typeof expect === 'number' && cur.revision !== expect) return { ok: false, reason: 'conflict', current: meta(cur) };
      cur.revision += 1;
      cur.text = enc.text;
      return { ok: true, revision: cur.revision };
    })();
    stateOps.inc({ store: 'memory', op: 'put', outcome: outcome.ok ? 'ok' : outcome.reason });
    return outcome;
  }

  async remove(kind: StoredKind, id: string, guard: RemoveGuard): Promise<WriteOutcome> {
    fenceRequired(kind, guard.fence);
    const map = this.#records[kind];
    const cur = map.get(id);
    const outcome = ((): WriteOutcome => {
      if (!cur) return { ok: false, reason: 'missing', current: null };
      if (guard.fence && !sameOwnership(cur.ownership, guard.fence)) return { ok: false, reason: 'fenced', current: meta(cur) };
      if (guard.expect !== 'any' && cur.revision !== guard.expect) return { ok: false, reason: 'conflict', current: meta(cur) };
      map.delete(id);
      if (cur.ownership) this.#unindex(cur.ownership.owner, id);
      return { ok: true, revision: cur.revision };
    })();
    stateOps.inc({ store: 'memory', op: 'remove', outcome: outcome.ok ? 'ok' : outcome.reason });
    return outcome;
  }

  async listCalls(query: CallQuery): Promise<Versioned<CallRecord>[]> {
    const owners = 'owner' in query ? [query.owner] : [...this.#byOwner.keys()].filter((o) => !this.#alive(o));
    const out: Versioned<CallRecord>[] = [];
    for (const owner of owners) {
      for (const id of [...(this.#byOwner.get(owner) ?? [])].sort()) {
        const v = await this.get('call', id);
        if (v) out.push(v);
      }
    }
    return out;
  }

  async claim(callId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    const cur = this.#records.call.get(callId);
    const outcome = ((): ClaimOutcome => {
      if (!cur || !cur.ownership) return { won: false, reason: 'missing', current: null };
      if (!sameOwnership(cur.ownership, request.from)) return { won: false, reason: 'lost', current: { ...cur.ownership } };
      if (request.onlyIfOwnerDead && this.#alive(cur.ownership.owner)) return { won: false, reason: 'owner-alive', current: { ...cur.ownership } };
      this.#unindex(cur.ownership.owner, callId);
      cur.ownership = { owner: request.to, epoch: cur.ownership.epoch + 1 };
      cur.revision += 1;
      this.#index(request.to).add(callId);
      return { won: true, ownership: { ...cur.ownership }, revision: cur.revision };
    })();
    stateOps.inc({ store: 'memory', op: 'claim', outcome: outcome.won ? 'won' : outcome.reason });
    return outcome;
  }

  async heartbeat(instance: InstanceRecord): Promise<void> {
    const text = encodeRecord(instanceCodec, instance, this.#keyring, this.#random);
    this.#instances.set(instance.instanceId, { text, expiresAt: this.#clock.now() + instance.ttlMs });
  }

  async listInstances(): Promise<InstanceRecord[]> {
    const out: InstanceRecord[] = [];
    for (const [id, e] of [...this.#instances].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (this.#alive(id)) out.push(decodeRecord(instanceCodec, id, e.text, this.#keyring));
      else this.#instances.delete(id);
    }
    return out;
  }

  async leave(instanceId: string): Promise<void> {
    this.#instances.delete(instanceId);
  }

  async rewrapAll(): Promise<RewrapReport> {
    let scanned = 0;
    let rewrapped = 0;
    let alreadyCurrent = 0;
    let withoutSecrets = 0;
    const failed: { key: string; code: string }[] = [];
    for (const kind of ['call', 'room'] as const) {
      for (const [id, e] of this.#records[kind]) {
        scanned += 1;
        try {
          if (storedKeyId(e.text) === null) {
            withoutSecrets += 1;
            continue;
          }
          const next = rewrapStored(kind, id, e.text, this.#keyring, this.#random);
          if (next === null) alreadyCurrent += 1;
          else {
            e.text = next;
            rewrapped += 1;
          }
        } catch (err) {
          failed.push({ key: `${kind}/${id}`, code: err instanceof GatehouseError ? err.code : 'UNKNOWN' });
        }
      }
    }
    return { scanned, rewrapped, alreadyCurrent, withoutSecrets, retried: 0, failed };
  }

  /** RoomHomes: the same rule as the Redis script (redis-scripts.ts CLAIM_HOME_LUA). */
  async claimHome(roomId: string, instanceId: string): Promise<string> {
    const cur = this.#homes.get(roomId);
    if (cur !== undefined && cur !== instanceId && this.#alive(cur)) return cur;
    this.#homes.set(roomId, instanceId);
    return instanceId;
  }

  async homeOf(roomId: string): Promise<string | null> {
    const cur = this.#homes.get(roomId);
    return cur !== undefined && this.#alive(cur) ? cur : null;
  }

  async leaveHome(roomId: string, instanceId: string): Promise<void> {
    if (this.#homes.get(roomId) === instanceId) this.#homes.delete(roomId);
  }

  /** Sealed text as stored (tests: prove secrets are not in it). */
  rawEntries(): string[] {
    return [...this.#records.call.values(), ...this.#records.room.values()].map((e) => e.text);
  }

  #alive(instanceId: string): boolean {
    const i = this.#instances.get(instanceId);
    return i !== undefined && i.expiresAt > this.#clock.now();
  }

  #index(owner: string): Set<string> {
    let s = this.#byOwner.get(owner);
    if (!s) this.#byOwner.set(owner, (s = new Set()));
    return s;
  }

  #unindex(owner: string, id: string): void {
    const s = this.#byOwner.get(owner);
    s?.delete(id);
    if (s && s.size === 0) this.#byOwner.delete(owner);
  }
}

function sameOwnership(a: CallOwnership | null, b: CallOwnership): boolean {
  return a !== null && a.owner === b.owner && a.epoch === b.epoch;
}

function meta(e: Entry): RecordMeta {
  return { revision: e.revision, owner: e.ownership?.owner ?? null, epoch: e.ownership?.epoch ?? null };
}
