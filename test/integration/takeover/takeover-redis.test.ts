/**
 * Takeover machinery against a real redis-server (issue 7 tests 3, 4 and 5 at the state level;
 * the gatehouse-process tests with SIP peers build on these): an owner that stops heartbeating
 * is taken over, racing survivors adopt each orphan exactly once, a partitioned owner fences
 * itself before anyone claims (state.on_lease_loss continue: unconfirmed, then released once
 * the store says the calls are claimed; release: dropped at the lapse), and a drain hands every
 * call to the least loaded instances. With SIP peers: gateway-redis-outage.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { drainUntilEmpty } from '../../../src/app/drain-migration.ts';
import { realTimers } from '../../../src/app/instance-lifecycle.ts';
import type { CallsLost, LeaseLost } from '../../../src/app/instance-lifecycle.ts';
import { fenceVerdict } from '../../../src/core/call/fencing.ts';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { keyring, makeCall, makeInstance } from '../../unit/state/fixtures.ts';
import { waitFor } from '../state/redis-raw.ts';
import { startTcpProxy } from '../state/tcp-proxy.ts';
import { startNode } from './lifecycle-node.ts';
import type { LifecycleNode } from './lifecycle-node.ts';

describe('takeover on a real redis-server', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  const redis = async (): Promise<RedisServer> => {
    const r = await startRedisServer();
    cleanups.push(() => r.dispose());
    return r;
  };
  const node = async (...args: Parameters<typeof startNode>): Promise<LifecycleNode> => {
    const n = await startNode(...args);
    cleanups.push(() => n.close());
    return n;
  };
  /** Waits until `n` ran at least `count` more orphan scans (a wait, not a timing check). */
  const scans = async (n: LifecycleNode, count: number): Promise<void> => {
    const target = n.link.calls.filter((c) => c.startsWith('orphans=')).length + count;
    await waitFor(`${count} scans by ${n.id}`, async () => n.link.calls.filter((c) => c.startsWith('orphans=')).length >= target);
  };

  it('A heartbeats, then stops (kill -9: no leave); B adopts its call on its first scan after A\'s TTL, at epoch 2', async () => {
    const r = await redis();
    const a = await node(r.url, 'k9:', 'inst-a');
    const b = await node(r.url, 'k9:', 'inst-b');
    a.lc.track('c1', { owner: 'inst-a', epoch: 1 });
    const call = makeCall('c1', 'inst-a');
    expect((await a.link.put('call', call, 'absent')).ok).toBe(true);
    await scans(b, 3);
    expect(b.adopted).toEqual([]); // A alive: onlyIfOwnerDead refuses
    expect(b.link.calls.filter((c) => c.startsWith('orphans=') && c !== 'orphans=0')).toEqual([]);

    await a.lc.stop(); // no leave, no more heartbeats: A's record expires after its TTL
    await waitFor('B adopts c1', async () => b.adopted.length === 1);
    expect(b.adopted[0]?.ownership).toEqual({ owner: 'inst-b', epoch: 2 });
    expect(b.adopted[0]?.record).toEqual({ ...call, owner: 'inst-b', epoch: 2 });
    // Detected on the first scan that saw the orphan: adoption within TTL + one scan interval.
    const ops = b.link.calls;
    const seen = ops.findIndex((c) => c.startsWith('orphans=') && c !== 'orphans=0');
    expect(ops[seen]).toBe('orphans=1');
    expect(ops[seen + 1]).toBe('claim');
    const stored = await b.store.get('call', 'c1');
    expect(fenceVerdict(stored?.value ?? null, { owner: 'inst-a', epoch: 1 })).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 } });
    await scans(b, 3);
    expect(b.adopted).toHaveLength(1);
  });

  it('50 calls orphaned at once, two racing survivors, 3 rounds: every call adopted exactly once', async () => {
    const r = await redis();
    for (let round = 0; round < 3; round++) {
      const prefix = `race${round}:`;
      const seeder = await openRedisStateStore({ url: r.url, keyPrefix: prefix, keyring: keyring('k1'), name: 'seeder' });
      cleanups.push(() => seeder.close());
      await seeder.heartbeat(makeInstance('dead', 300));
      const ids = Array.from({ length: 50 }, (_, i) => `call-${round}-${String(i).padStart(2, '0')}`);
      for (const id of ids) expect((await seeder.put('call', makeCall(id, 'dead'), 'absent')).ok).toBe(true);
      // Both start at the same moment with the same timing: they race for the same orphans.
      const [b, c] = await Promise.all([node(r.url, prefix, 'inst-b', { adoptConcurrency: 8 }), node(r.url, prefix, 'inst-c', { adoptConcurrency: 8 })]);
      await waitFor(`round ${round}: all adopted`, async () => b.adopted.length + c.adopted.length >= ids.length);
      await Promise.all([scans(b, 3), scans(c, 3)]); // time for any double adoption to show
      const all = [...b.adopted.map((x) => x.callId), ...c.adopted.map((x) => x.callId)];
      expect(all).toHaveLength(ids.length);
      expect(new Set(all)).toEqual(new Set(ids));
      for (const n of [b, c]) {
        for (const x of n.adopted) expect(x.ownership).toEqual({ owner: n.id, epoch: 2 });
        expect((await seeder.listCalls({ owner: n.id })).map((row) => row.value.callId).sort()).toEqual(n.adopted.map((x) => x.callId).sort());
      }
      expect(await seeder.listCalls({ orphaned: true })).toEqual([]);
      await b.close();
      await c.close();
    }
  });

  it('partitioned A (TCP proxy cut), on_lease_loss continue: A keeps its calls unconfirmed before B claims them; healed, it releases them as claimed', async () => {
    const r = await redis();
    const proxy = await startTcpProxy(r.port);
    cleanups.push(() => proxy.close());
    const a = await node(`redis://127.0.0.1:${proxy.port}`, 'cont:', 'inst-a');
    const b = await node(r.url, 'cont:', 'inst-b');
    for (const id of ['c1', 'c2']) {
      a.lc.track(id, { owner: 'inst-a', epoch: 1 });
      expect((await a.link.put('call', makeCall(id, 'inst-a'), 'absent')).ok).toBe(true);
    }
    const order: string[] = [];
    const lost: CallsLost['calls'][number][] = [];
    a.lc.on('calls-unconfirmed', () => order.push('A unconfirmed'));
    a.lc.on('lease-lost', () => order.push('A lease-lost'));
    a.lc.on('calls-lost', (e) => lost.push(...e.calls));
    const bInner = b.store.claim.bind(b.store);
    b.store.claim = async (callId, request) => {
      order.push(`B claims ${callId}`);
      return bInner(callId, request);
    };

    proxy.cut();
    await waitFor('B adopts both', async () => b.adopted.length === 2);
    expect(order[0]).toBe('A unconfirmed');
    expect(order.slice(1).sort()).toEqual(['B claims c1', 'B claims c2']);
    expect(await a.lc.stillOwn('c1', 1)).toMatchObject({ kind: 'unconfirmed' });
    expect(a.lc.trackedCalls().size).toBe(2);

    proxy.heal();
    await waitFor('A releases both', async () => lost.length === 2);
    expect(lost.map((c) => c.cause)).toEqual(['claimed', 'claimed']);
    expect(a.lc.trackedCalls().size).toBe(0);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 }, reason: 'claimed' });
    await scans(a, 3);
    expect(a.adopted).toEqual([]);
    for (const id of ['c1', 'c2']) expect((await b.store.get('call', id))?.value).toMatchObject({ owner: 'inst-b', epoch: 2 });
  });

  it('partitioned A (TCP proxy cut), on_lease_loss release: A raises lease-lost before B claims its calls; healed A is fenced', async () => {
    const r = await redis();
    const proxy = await startTcpProxy(r.port);
    cleanups.push(() => proxy.close());
    const a = await node(`redis://127.0.0.1:${proxy.port}`, 'part:', 'inst-a', { onLeaseLoss: 'release' });
    const b = await node(r.url, 'part:', 'inst-b');
    for (const id of ['c1', 'c2']) {
      a.lc.track(id, { owner: 'inst-a', epoch: 1 });
      expect((await a.link.put('call', makeCall(id, 'inst-a'), 'absent')).ok).toBe(true);
    }
    const order: string[] = [];
    const lost: LeaseLost[] = [];
    a.lc.on('lease-lost', (e) => {
      lost.push(e);
      order.push('A lease-lost');
    });
    const bInner = b.store.claim.bind(b.store);
    b.store.claim = async (callId, request) => {
      order.push(`B claims ${callId}`);
      return bInner(callId, request);
    };
    const renewed: string[] = [];
    a.lc.on('lease-renewed', () => renewed.push('renewed'));

    proxy.cut();
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'lease' }); // unreachable, lease still valid
    await waitFor('B adopts both', async () => b.adopted.length === 2);
    expect(order[0]).toBe('A lease-lost');
    expect(order.slice(1).sort()).toEqual(['B claims c1', 'B claims c2']);
    expect(lost[0]?.calls).toEqual([
      { callId: 'c1', epoch: 1 },
      { callId: 'c2', epoch: 1 },
    ]);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: null, reason: 'lease-lapsed' });

    proxy.heal();
    await waitFor('A lease renewed', async () => renewed.length === 1);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 }, reason: 'claimed' });
    await scans(a, 3);
    expect(a.adopted).toEqual([]); // nothing of A's is left to take back
  });

  it('drain: 20 live calls handed to the least loaded live instances, each adopted exactly once by its target', async () => {
    const r = await redis();
    const a = await node(r.url, 'drain:', 'inst-a');
    const b = await node(r.url, 'drain:', 'inst-b', { capacity: 100 });
    const c = await node(r.url, 'drain:', 'inst-c', { capacity: 8 });
    const d = await node(r.url, 'drain:', 'inst-d', { capacity: 100 });
    await d.lc.setDraining(true); // draining instances are never targets
    const ids = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    // five rooms of four calls: a room's calls go to one instance (a room runs in one process)
    const roomOf = (id: string): string => `r${String(Number(id.slice(1)) % 5)}`;
    for (const id of ids) {
      a.lc.track(id, { owner: 'inst-a', epoch: 1 });
      expect((await a.link.put('call', { ...makeCall(id, 'inst-a'), roomId: roomOf(id) }, 'absent')).ok).toBe(true);
    }
    await a.lc.setDraining(true);
    const handed = new Map<string, string>();
    const report = await drainUntilEmpty(
      {
        instanceId: 'inst-a',
        store: a.link,
        registry: a.link,
        wallclock: () => Date.now(),
        snapshot: (rec) => rec,
        handedOver: (callId, to) => {
          handed.set(callId, to);
          a.lc.release(callId);
        },
      },
      { timers: realTimers, retryMs: 100 },
    );
    expect(report.remaining).toBe(0);
    expect([...handed.keys()].sort()).toEqual(ids);
    // b (0/100) takes most, c (0/8) some, d (draining) none; each room whole to one of them.
    expect(new Set(handed.values())).toEqual(new Set(['inst-b', 'inst-c']));
    for (let room = 0; room < 5; room++) expect(new Set(ids.filter((id) => roomOf(id) === `r${String(room)}`).map((id) => handed.get(id))).size).toBe(1);
    await waitFor('targets adopt all', async () => b.adopted.length + c.adopted.length === ids.length);
    await Promise.all([scans(b, 2), scans(c, 2)]);
    for (const [n, want] of [
      [b, 'inst-b'],
      [c, 'inst-c'],
    ] as const) {
      expect(n.adopted.map((x) => x.callId).sort()).toEqual([...handed].filter(([, to]) => to === want).map(([id]) => id).sort());
      for (const x of n.adopted) expect(x.ownership).toEqual({ owner: want, epoch: 3 }); // hand-over 2, inbox self-claim 3
    }
    expect(d.adopted).toEqual([]);
    expect(a.adopted).toEqual([]);
    for (const id of ids) expect(await a.lc.stillOwn(id, 1)).toMatchObject({ kind: 'lost', reason: 'claimed' });
    expect(await a.link.listCalls({ owner: 'inst-a' })).toEqual([]);
    await a.lc.stop({ leave: true });
    expect((await b.store.listInstances()).map((i) => i.instanceId)).toEqual(['inst-b', 'inst-c', 'inst-d']);
  });
});
