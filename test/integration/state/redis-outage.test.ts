/**
 * Redis outage policy (issue 7 "Redis outage", test 3): operations fail fast with
 * StateUnavailableError (503) instead of hanging; writes that could not land are buffered and
 * flushed when Redis returns; the resync hook restores what a restarted Redis lost; an
 * instance partitioned from Redis while another claims its call is fenced when it comes back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fenceVerdict, leaseLapsed } from '../../../src/core/call/fencing.ts';
import type { CallRecord } from '../../../src/core/call/call-record.ts';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { RedisStateStore, ResyncReport } from '../../../src/adapters/state/redis-state-store.ts';
import { StateUnavailableError } from '../../../src/ports/state-store.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { keyring, makeCall, makeInstance, makeRoom } from '../../unit/state/fixtures.ts';
import { waitFor } from './redis-raw.ts';
import { startTcpProxy } from './tcp-proxy.ts';
import type { TcpProxy } from './tcp-proxy.ts';

async function unavailable(p: Promise<unknown>): Promise<StateUnavailableError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StateUnavailableError);
  return err as StateUnavailableError;
}

/** A store plus a queue of resync reports the test can await. */
async function openWithReports(url: string, name: string, onResync?: (r: ResyncReport) => Promise<void>) {
  const reports: ResyncReport[] = [];
  const store = await openRedisStateStore({
    url,
    keyring: keyring('k1'),
    name,
    commandTimeoutMs: 300,
    onResync: async (r) => {
      await onResync?.(r);
      reports.push(r);
    },
  });
  return { store, reports };
}

describe('Redis outage behaviour (real redis-server stopped, restarted, hung, partitioned)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const server = async (): Promise<RedisServer> => {
    const r = await startRedisServer();
    cleanups.push(() => r.dispose());
    return r;
  };
  const track = (s: RedisStateStore): RedisStateStore => {
    cleanups.push(() => s.close());
    return s;
  };

  it('fails fast with StateUnavailableError (category state, 503) while Redis is down', async () => {
    const redis = await server();
    const { store } = await openWithReports(redis.url, 'down');
    track(store);
    await store.put('call', makeCall('c1', 'inst-a'), 'absent');
    await redis.stop();
    const err = await unavailable(store.get('call', 'c1'));
    expect(err).toMatchObject({ category: 'state', code: 'STATE_UNAVAILABLE', sipStatus: 503, buffered: false });
    expect((await unavailable(store.claim('c1', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-b' }))).buffered).toBe(false);
    expect((await unavailable(store.heartbeat(makeInstance('inst-a', 1000)))).buffered).toBe(false);
    expect((await unavailable(store.listCalls({ orphaned: true }))).buffered).toBe(false);
    expect((await unavailable(store.put('call', makeCall('c2', 'inst-a'), 'absent'))).buffered).toBe(true);
    expect(store.pendingWrites).toBe(1);
  });

  it('a hung server (SIGSTOP) fails commands by timeout instead of hanging, then recovers', async () => {
    const redis = await server();
    const { store, reports } = await openWithReports(redis.url, 'hung');
    track(store);
    await store.put('room', makeRoom('r1'), 'absent');
    redis.signal('SIGSTOP');
    try {
      await unavailable(store.get('room', 'r1'));
      expect((await unavailable(store.put('room', makeRoom('r2'), 'absent'))).buffered).toBe(true);
    } finally {
      redis.signal('SIGCONT');
    }
    expect((await store.get('room', 'r1'))?.revision).toBe(1);
    // The buffered create is flushed once the store answers again, even without a reconnect.
    await waitFor('flush after SIGCONT', async () => store.pendingWrites === 0 && reports.length > 0);
    expect(await store.get('room', 'r2')).not.toBeNull();
  });

  it('Redis restarted with its data: buffered writes are flushed in order, nothing lost', async () => {
    const redis = await server();
    const { store, reports } = await openWithReports(redis.url, 'restart-persisted');
    track(store);
    const c1 = makeCall('c1', 'inst-a');
    await store.put('call', c1, 'absent');
    await store.put('call', makeCall('c2', 'inst-a'), 'absent');
    await store.put('room', makeRoom('r1', ['c1']), 'absent');
    await redis.cli('SAVE');
    await redis.stop();

    const c1b: CallRecord = { ...c1, state: 'migrating', updatedAt: c1.updatedAt + 1 };
    const c1c: CallRecord = { ...c1b, updatedAt: c1.updatedAt + 2 };
    await unavailable(store.put('call', c1b, 1));
    await unavailable(store.put('call', c1c, 1)); // merged: latest value, first expectation
    await unavailable(store.put('call', makeCall('c3', 'inst-a'), 'absent'));
    await unavailable(store.remove('call', 'c2', { expect: 1, fence: { owner: 'inst-a', epoch: 1 } }));
    await unavailable(store.put('room', makeRoom('r1', ['c1', 'c3']), 1));
    expect(store.pendingWrites).toBe(4);

    await redis.restart();
    await waitFor('resync after restart', async () => reports.length > 0);
    const report = reports[0];
    expect(report?.rejected).toEqual([]);
    expect(report?.remaining).toBe(0);
    expect(report?.written.map((w) => `${w.op} ${w.kind}/${w.id} r${w.revision}`)).toEqual(['put call/c1 r2', 'put call/c3 r1', 'remove call/c2 r1', 'put room/r1 r2']);
    expect(await store.get('call', 'c1')).toEqual({ value: c1c, revision: 2 });
    expect(await store.get('call', 'c2')).toBeNull();
    expect((await store.listCalls({ owner: 'inst-a' })).map((c) => c.value.callId)).toEqual(['c1', 'c3']);
    expect((await store.get('room', 'r1'))?.value.members.map((m) => m.callId)).toEqual(['c1', 'c3']);
  });

  it('Redis restarted EMPTY: the resync hook pushes the local view back, nothing lost', async () => {
    const redis = await server();
    const local = new Map<string, CallRecord>(); // what the instance itself knows it owns
    const { store, reports } = await openWithReports(redis.url, 'restart-empty', async () => {
      for (const call of local.values()) {
        const out = await store.put('call', call, 'any');
        expect(out.ok).toBe(true);
      }
    });
    track(store);
    for (const id of ['c1', 'c2']) {
      local.set(id, makeCall(id, 'inst-a'));
      await store.put('call', makeCall(id, 'inst-a'), 'absent');
    }
    await redis.stop(); // --save '': everything is gone
    local.set('c1', { ...(local.get('c1') as CallRecord), state: 'migrating' });
    await unavailable(store.put('call', local.get('c1') as CallRecord, 1));
    local.set('c3', makeCall('c3', 'inst-a'));
    await unavailable(store.put('call', local.get('c3') as CallRecord, 'absent'));

    await redis.restart();
    await waitFor('resync after empty restart', async () => reports.length > 0);
    // The update expected revision 1 of a record the restart lost: reported, then restored by the hook.
    expect(reports[0]?.rejected.map((r) => `${r.id} ${r.reason}`)).toEqual(['c1 missing']);
    expect(reports[0]?.written.map((w) => w.id)).toEqual(['c3']);
    for (const [id, call] of local) expect((await store.get('call', id))?.value).toEqual(call);
    expect((await store.listCalls({ owner: 'inst-a' })).map((c) => c.value.callId)).toEqual(['c1', 'c2', 'c3']);
  });

  it('partitioned owner: B claims A\'s call while A cannot reach Redis; A is fenced when it returns', async () => {
    const redis = await server();
    const proxy: TcpProxy = await startTcpProxy(redis.port);
    cleanups.push(() => proxy.close());
    const a = await openWithReports(`redis://127.0.0.1:${proxy.port}`, 'part-a');
    const b = await openWithReports(redis.url, 'part-b');
    track(a.store);
    track(b.store);
    const ttl = 300;
    // the lease counts from when the heartbeat was SENT (Redis starts the TTL on receipt, so
    // a time taken after the reply would make the lease outlive the key)
    const lastRenewedAt = Date.now();
    await a.store.heartbeat(makeInstance('inst-a', ttl));
    await b.store.heartbeat(makeInstance('inst-b', 60_000));
    const call = makeCall('c1', 'inst-a');
    await a.store.put('call', call, 'absent');
    const mine = { owner: 'inst-a', epoch: 1 };

    proxy.cut();
    await unavailable(a.store.heartbeat(makeInstance('inst-a', ttl)));
    expect((await unavailable(a.store.put('call', { ...call, state: 'ending' }, 1))).buffered).toBe(true);

    await waitFor('A orphaned', async () => (await b.store.listCalls({ orphaned: true })).length === 1);
    // A cannot read the store, but its lease has lapsed: it must already behave as fenced.
    expect(leaseLapsed(lastRenewedAt, ttl, Date.now())).toBe(true);
    const [orphan] = await b.store.listCalls({ orphaned: true });
    expect(await b.store.claim('c1', { from: orphan?.value ?? mine, to: 'inst-b', onlyIfOwnerDead: true })).toMatchObject({
      won: true,
      ownership: { owner: 'inst-b', epoch: 2 },
    });

    proxy.heal();
    await waitFor('A resync', async () => a.reports.length > 0);
    expect(a.reports[0]?.rejected).toEqual([{ kind: 'call', id: 'c1', op: 'put', reason: 'fenced', current: { revision: 2, owner: 'inst-b', epoch: 2 } }]);
    expect(fenceVerdict((await a.store.get('call', 'c1'))?.value ?? null, mine)).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 } });
    expect((await b.store.get('call', 'c1'))?.value).toEqual({ ...call, owner: 'inst-b', epoch: 2 });
  });
});
