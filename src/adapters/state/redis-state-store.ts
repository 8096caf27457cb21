import type { Redis } from 'ioredis';
import type { CallOwnership, CallRecord } from '../../core/call/call-record.ts';
import { instanceCodec } from '../../core/call/instance-record.ts';
import type { InstanceRecord } from '../../core/call/instance-record.ts';
import { decodeRecord, encodeRecord } from '../../core/call/stored-document.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { RandomSource } from '../../core/secrets/aead.ts';
import { validateKeyring } from '../../core/secrets/keyring.ts';
import type { Keyring } from '../../core/secrets/keyring.ts';
import { stateOps, stateResyncWrites, stateUnavailable, stateWriteBehindPending } from '../../metrics/state.ts';
import type { Logger } from '../../ports/logger.ts';
import { StateUnavailableError } from '../../ports/state-store.ts';
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
import { decodeValue, encodeValue, fenceRequired } from './record-io.ts';
import { createRedisClient, stateError } from './redis-connection.ts';
import type { RedisConnectionOptions } from './redis-connection.ts';
import { redisKeys } from './redis-keys.ts';
import type { RedisKeys } from './redis-keys.ts';
import { rewrapAllRedis } from './redis-rewrap.ts';
import { luaScript, runScript } from './redis-script-runner.ts';
import { CLAIM_LUA, isScriptReply, PUT_LUA, REMOVE_LUA, CLAIM_HOME_LUA, LEAVE_HOME_LUA } from './redis-scripts.ts';
import type { ScriptReply } from './redis-scripts.ts';
import { WriteBehind } from './write-behind.ts';
import type { PendingWrite } from './write-behind.ts';

/** Redis StateStore + InstanceRegistry (several instances). Key layout: redis-keys.ts. */
export interface RedisStateStoreOptions extends RedisConnectionOptions {
  readonly keyring: Keyring;
  /** Key prefix, default "gh:". */
  readonly keyPrefix?: string;
  /** Metrics label for this store. */
  readonly name?: string;
  readonly random?: RandomSource;
  readonly logger?: Logger;
  /**
   * Resync hook: after each reconnect, once buffered writes were flushed, so the caller can
   * push its local view back (e.g. re-put every call it owns with expect 'any': creates what a
   * restarted Redis lost, and is fenced if someone claimed a call meanwhile).
   */
  readonly onResync?: (report: ResyncReport) => Promise<void> | void;
}

export interface ResyncReport {
  readonly written: readonly { readonly kind: StoredKind; readonly id: string; readonly op: 'put' | 'remove'; readonly revision: number }[];
  /** Refused by compare-and-set/fencing: the store moved on (e.g. the call was claimed). */
  readonly rejected: readonly { readonly kind: StoredKind; readonly id: string; readonly op: 'put' | 'remove'; readonly reason: string; readonly current: RecordMeta | null }[];
  /** Still buffered because the store went away again. */
  readonly remaining: number;
}

const PUT = luaScript(PUT_LUA);
const REMOVE = luaScript(REMOVE_LUA);
const CLAIM = luaScript(CLAIM_LUA);
const CLAIM_HOME = luaScript(CLAIM_HOME_LUA);
const LEAVE_HOME = luaScript(LEAVE_HOME_LUA);

export async function openRedisStateStore(options: RedisStateStoreOptions): Promise<RedisStateStore> {
  const store = new RedisStateStore(options);
  await store.connect();
  return store;
}

export class RedisStateStore implements StateStore, InstanceRegistry, KeyRewrapper, RoomHomes {
  readonly #client: Redis;
  readonly #keys: RedisKeys;
  readonly #keyring: Keyring;
  readonly #random: RandomSource | undefined;
  readonly #name: string;
  readonly #logger: Logger | undefined;
  readonly #onResync: RedisStateStoreOptions['onResync'];
  readonly #pending = new WriteBehind();
  readonly #results = new WeakMap<PendingWrite, WriteOutcome>();
  readonly #failures = new WeakMap<PendingWrite, GatehouseError>();
  #flushing: Promise<ResyncReport> | null = null;
  #everReady = false;
  #lastConnectionError: Error | null = null;

  constructor(options: RedisStateStoreOptions) {
    this.#keyring = validateKeyring(options.keyring);
    this.#keys = redisKeys(options.keyPrefix);
    this.#random = options.random;
    this.#name = options.name ?? 'redis';
    this.#logger = options.logger;
    this.#onResync = options.onResync;
    this.#client = createRedisClient(options);
    // Without a listener ioredis would print every reconnect failure; outages are expected.
    this.#client.on('error', (err: Error) => {
      this.#lastConnectionError = err;
      this.#logger?.debug({ err: err.message, store: this.#name }, 'state store connection error');
    });
    this.#client.on('ready', () => {
      if (this.#everReady) void this.#resync();
      this.#everReady = true;
    });
  }

  async connect(): Promise<void> {
    try {
      await this.#client.connect();
    } catch (err) {
      this.#client.disconnect();
      // connect() rejects with "Connection is closed"; the reason (e.g. WRONGPASS) came as an event.
      const reason = this.#lastConnectionError;
      throw stateError('connect', reason !== null && reason.name === 'ReplyError' ? reason : err);
    }
  }

  async close(): Promise<void> {
    if (this.#client.status === 'ready') await this.#client.quit().catch(() => undefined);
    this.#client.disconnect();
  }

  get connected(): boolean {
    return this.#client.status === 'ready';
  }

  get pendingWrites(): number {
    return this.#pending.size;
  }

  async get<K extends StoredKind>(kind: K, id: string): Promise<Versioned<StoredRecords[K]> | null> {
    const [row] = await this.#readRecords(kind, [id]);
    stateOps.inc({ store: this.#name, op: 'get', outcome: row ? 'hit' : 'miss' });
    return row ?? null;
  }

  async put<K extends StoredKind>(kind: K, value: StoredRecords[K], expect: Expect): Promise<WriteOutcome> {
    const enc = encodeValue(kind, value, this.#keyring, this.#random);
    return this.#write({ op: 'put', kind, id: enc.id, text: enc.text, ownership: enc.ownership, expect });
  }

  async remove(kind: StoredKind, id: string, guard: RemoveGuard): Promise<WriteOutcome> {
    fenceRequired(kind, guard.fence);
    return this.#write({ op: 'remove', kind, id, expect: guard.expect, fence: guard.fence ?? null });
  }

  async listCalls(query: CallQuery): Promise<Versioned<CallRecord>[]> {
    const owners = 'owner' in query ? [query.owner] : await this.#deadOwners();
    const out: Versioned<CallRecord>[] = [];
    for (const owner of owners) {
      const ids = (await this.#call('listCalls', (c) => c.smembers(this.#keys.owner(owner)))).sort();
      const rows = await this.#readRecords('call', ids);
      // The index moves inside the same scripts as the owner field; the filter is belt and braces.
      for (const row of rows) if (row && row.value.owner === owner) out.push(row);
    }
    return out;
  }

  async claim(callId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    const k = this.#keys;
    const reply = parseReply(
      await this.#call('claim', (c) =>
        runScript(
          c,
          CLAIM,
          [k.call(callId), k.owner(request.from.owner), k.owner(request.to), k.owners, k.instance(request.from.owner)],
          [request.from.owner, String(request.from.epoch), request.to, callId, request.onlyIfOwnerDead ? '1' : '0'],
        ),
      ),
    );
    const [status, rev, owner, epoch] = reply;
    stateOps.inc({ store: this.#name, op: 'claim', outcome: status });
    if (status === 'won') return { won: true, ownership: { owner, epoch: Number(epoch) }, revision: Number(rev) };
    if (status === 'lost' || status === 'owner-alive') return { won: false, reason: status, current: { owner, epoch: Number(epoch) } };
    if (status === 'missing') return { won: false, reason: 'missing', current: null };
    throw new GatehouseError('internal', 'STATE_BAD_REPLY', `claim script replied ${status}`);
  }

  async claimHome(roomId: string, instanceId: string): Promise<string> {
    const reply = await this.#call('claimHome', (c) => runScript(c, CLAIM_HOME, [this.#keys.roomHome(roomId)], [instanceId, this.#keys.instance('')]));
    if (typeof reply !== 'string' || reply === '') throw new GatehouseError('internal', 'STATE_BAD_REPLY', 'room home script replied no instance');
    return reply;
  }

  async homeOf(roomId: string): Promise<string | null> {
    const cur = await this.#call('homeOf', (c) => c.get(this.#keys.roomHome(roomId)));
    if (cur === null) return null;
    return (await this.#call('homeOf', (c) => c.exists(this.#keys.instance(cur)))) === 1 ? cur : null;
  }

  async leaveHome(roomId: string, instanceId: string): Promise<void> {
    await this.#call('leaveHome', (c) => runScript(c, LEAVE_HOME, [this.#keys.roomHome(roomId)], [instanceId]));
  }

  async heartbeat(instance: InstanceRecord): Promise<void> {
    const text = encodeRecord(instanceCodec, instance, this.#keyring, this.#random);
    const k = this.#keys;
    await this.#call('heartbeat', (c) =>
      c.multi().set(k.instance(instance.instanceId), text, 'PX', instance.ttlMs).sadd(k.instances, instance.instanceId).exec(),
    );
  }

  async listInstances(): Promise<InstanceRecord[]> {
    const k = this.#keys;
    const ids = (await this.#call('listInstances', (c) => c.smembers(k.instances))).sort();
    if (ids.length === 0) return [];
    const texts = await this.#call('listInstances', (c) => c.mget(...ids.map((id) => k.instance(id))));
    const out: InstanceRecord[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const text = texts[i];
      if (text === null || text === undefined) gone.push(id);
      else out.push(decodeRecord(instanceCodec, id, text, this.#keyring));
    });
    // Lazy prune; a heartbeat racing this re-adds itself on its next beat.
    if (gone.length > 0) await this.#call('listInstances', (c) => c.srem(k.instances, ...gone));
    return out;
  }

  async leave(instanceId: string): Promise<void> {
    const k = this.#keys;
    await this.#call('leave', (c) => c.multi().del(k.instance(instanceId)).srem(k.instances, instanceId).exec());
  }

  async rewrapAll(): Promise<RewrapReport> {
    return rewrapAllRedis(this.#client, this.#keys, this.#keyring, this.#random).catch((err: unknown) => {
      throw stateError('rewrap', err);
    });
  }

  /**
   * Sends every buffered write, in order, with its original expectation. Stops (keeping the
   * rest) as soon as the store is unreachable again. Runs at most once at a time.
   */
  async flushPending(): Promise<ResyncReport> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = (async (): Promise<ResyncReport> => {
      const written: ResyncReport['written'][number][] = [];
      const rejected: ResyncReport['rejected'][number][] = [];
      for (const w of this.#pending.entries()) {
        let outcome: WriteOutcome;
        try {
          outcome = await this.#exec(w);
        } catch (err) {
          const e = stateError('resync', err, true);
          if (e instanceof StateUnavailableError) break;
          rejected.push({ kind: w.kind, id: w.id, op: w.op, reason: e.code, current: null });
          this.#failures.set(w, e);
          this.#pending.settle(w);
          continue;
        }
        this.#results.set(w, outcome);
        this.#pending.settle(w);
        stateResyncWrites.inc({ outcome: outcome.ok ? 'ok' : outcome.reason });
        if (outcome.ok) written.push({ kind: w.kind, id: w.id, op: w.op, revision: outcome.revision });
        else rejected.push({ kind: w.kind, id: w.id, op: w.op, reason: outcome.reason, current: outcome.current });
      }
      stateWriteBehindPending.set({ store: this.#name }, this.#pending.size);
      return { written, rejected, remaining: this.#pending.size };
    })().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #resync(): Promise<void> {
    try {
      const report = await this.flushPending();
      await this.#onResync?.(report);
    } catch (err) {
      this.#logger?.error({ err: err instanceof Error ? err.message : String(err), store: this.#name }, 'state resync failed');
    }
  }

  /**
   * The store answers again without having dropped the connection (a command timed out on a
   * hung server, then it recovered): no 'ready' event comes, so flush from here.
   */
  #kick(): void {
    if (this.#pending.size > 0 && this.#flushing === null) void this.#resync();
  }

  async #write(w: PendingWrite): Promise<WriteOutcome> {
    if (this.#pending.get(w.kind, w.id)) {
      // An older write to this record is still buffered: keep order by going through the buffer.
      const merged = this.#pending.add(w);
      if (this.#flushing) await this.#flushing.catch(() => undefined);
      await this.flushPending();
      const result = this.#results.get(merged);
      if (result) return result;
      const failure = this.#failures.get(merged);
      if (failure) throw failure;
      stateUnavailable.inc({ op: w.op });
      throw new StateUnavailableError(w.op, { buffered: true });
    }
    try {
      const outcome = await this.#exec(w);
      stateOps.inc({ store: this.#name, op: w.op, outcome: outcome.ok ? 'ok' : outcome.reason });
      this.#kick();
      return outcome;
    } catch (err) {
      const e = stateError(w.op, err, true);
      if (e instanceof StateUnavailableError) {
        this.#pending.add(w);
        stateUnavailable.inc({ op: w.op });
        stateWriteBehindPending.set({ store: this.#name }, this.#pending.size);
      }
      throw e;
    }
  }

  async #exec(w: PendingWrite): Promise<WriteOutcome> {
    const k = this.#keys;
    const key = k.record(w.kind, w.id);
    if (w.op === 'put') {
      const owner = w.ownership?.owner ?? '';
      const epoch = w.ownership ? String(w.ownership.epoch) : '';
      return writeOutcome(
        parseReply(await runScript(this.#client, PUT, [key, owner ? k.owner(owner) : k.owners, k.owners], [String(w.expect), w.text, owner, epoch, w.id])),
      );
    }
    const owner = w.fence?.owner ?? '';
    const epoch = w.fence ? String(w.fence.epoch) : '';
    return writeOutcome(
      parseReply(await runScript(this.#client, REMOVE, [key, owner ? k.owner(owner) : k.owners, k.owners], [String(w.expect), owner, epoch, w.id])),
    );
  }

  async #readRecords<K extends StoredKind>(kind: K, ids: readonly string[]): Promise<(Versioned<StoredRecords[K]> | null)[]> {
    if (ids.length === 0) return [];
    const rows = await this.#call('get', (c) => {
      const p = c.pipeline();
      for (const id of ids) p.hmget(this.#keys.record(kind, id), 'rev', 'owner', 'epoch', 'data');
      return p.exec();
    });
    return ids.map((id, i) => {
      const [err, row] = rows?.[i] ?? [new Error('no reply'), null];
      if (err) throw stateError('get', err);
      const [rev, owner, epoch, data] = row as (string | null)[];
      if (rev === null || rev === undefined || data === null || data === undefined) return null;
      const ownership: CallOwnership | null = kind === 'call' && owner && epoch ? { owner, epoch: Number(epoch) } : null;
      return { value: decodeValue(kind, id, data, ownership, this.#keyring), revision: Number(rev) };
    });
  }

  async #deadOwners(): Promise<string[]> {
    const k = this.#keys;
    const owners = (await this.#call('listCalls', (c) => c.smembers(k.owners))).sort();
    if (owners.length === 0) return [];
    const alive = await this.#call('listCalls', (c) => {
      const p = c.pipeline();
      for (const o of owners) p.exists(k.instance(o));
      return p.exec();
    });
    return owners.filter((_, i) => alive?.[i]?.[1] !== 1);
  }

  async #call<T>(op: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    try {
      const result = await fn(this.#client);
      this.#kick();
      return result;
    } catch (err) {
      const e = stateError(op, err);
      if (e instanceof StateUnavailableError) stateUnavailable.inc({ op });
      throw e;
    }
  }
}

function parseReply(reply: unknown): ScriptReply {
  if (!isScriptReply(reply)) throw new GatehouseError('internal', 'STATE_BAD_REPLY', 'state script replied in an unexpected shape');
  return reply;
}

function writeOutcome([status, rev, owner, epoch]: ScriptReply): WriteOutcome {
  const current: RecordMeta | null = rev === '' ? null : { revision: Number(rev), owner: owner || null, epoch: epoch === '' ? null : Number(epoch) };
  if (status === 'ok') return { ok: true, revision: Number(rev) };
  if (status === 'exists' || status === 'missing' || status === 'conflict' || status === 'fenced') return { ok: false, reason: status, current };
  throw new GatehouseError('internal', 'STATE_BAD_REPLY', `write script replied ${status}`);
}
