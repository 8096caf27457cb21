/**
 * state.on_lease_loss `continue` (the default; issue 7 "Redis outage: calls in progress
 * continue ... state re-synced when Redis returns; nothing lost" and "the epoch fences"): when
 * the lease lapses the calls keep running UNCONFIRMED (stillOwn says so, nothing may be sent);
 * once a heartbeat succeeds again the store decides each one by owner + epoch: still ours ->
 * confirmed and re-stored (written back if the store lost it), claimed -> released
 * ('claimed'), nothing to restore -> released ('gone'). And after a reconnect without a lapse,
 * records the store lost are written back (heartbeat first). In-memory store, hand-driven time.
 */
import { describe, expect, it } from 'vitest';
import type { CallsLost, LeaseLost } from '../../../src/app/instance-lifecycle.ts';
import { CallRecordCache } from '../../../src/app/instance-record-cache.ts';
import { takeoverResyncs } from '../../../src/metrics/takeover.ts';
import { StateUnavailableError } from '../../../src/ports/state-store.ts';
import { makeCall } from '../state/fixtures.ts';
import { INTERVAL, TTL, world } from './lifecycle-world.ts';

type World = ReturnType<typeof world>;

/** inst-a with a record cache in front of its link (as compose.ts wires it), calls stored through it. */
async function ownerWithCalls(w: World, ids: readonly string[], withCache = true) {
  const probe = w.instance('inst-a');
  const cache = new CallRecordCache(probe.link, 'inst-a');
  const a = withCache ? w.instance('inst-a', { records: cache, store: probe.link, registry: probe.link }) : w.instance('inst-a');
  const link = withCache ? probe.link : a.link;
  const events = { unconfirmed: [] as LeaseLost[], lost: [] as CallsLost['calls'][number][], confirmed: [] as { callId: string; restored: boolean }[] };
  a.lc.on('calls-unconfirmed', (e) => events.unconfirmed.push(e));
  a.lc.on('calls-lost', (e) => events.lost.push(...e.calls));
  a.lc.on('calls-confirmed', (e) => events.confirmed.push(...e.calls.map((c) => ({ callId: c.callId, restored: c.restored }))));
  await a.lc.start();
  for (const id of ids) {
    a.lc.track(id, { owner: 'inst-a', epoch: 1 });
    expect((await (withCache ? cache : link).put('call', makeCall(id, 'inst-a'), 'absent')).ok).toBe(true);
  }
  return { lc: a.lc, link, cache, adopted: a.adopted, events };
}

async function resyncCount(kase: string, outcome: string): Promise<number> {
  const m = await takeoverResyncs.get();
  return m.values.find((v) => v.labels.case === kase && v.labels.outcome === outcome)?.value ?? 0;
}

describe('InstanceLifecycle, on_lease_loss continue: unconfirmed calls', () => {
  it('lapse: calls stay tracked and unconfirmed (stillOwn says so) before anyone claims; healed after B claimed them: released as claimed', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1', 'c2']);
    const b = w.instance('inst-b');
    await b.lc.start();
    const order: string[] = [];
    a.lc.on('calls-unconfirmed', () => order.push('A unconfirmed'));
    a.lc.on('lease-lost', () => order.push('A lease-lost (must not happen with continue)'));
    b.lc.on('adopted', (e) => order.push(`B adopted ${e.callId}`));
    const claimedBefore = await resyncCount('unconfirmed', 'claimed');

    a.link.cut = true;
    await w.time.advance(INTERVAL);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'lease' });
    await w.time.advance(TTL + INTERVAL * 3);
    expect(order[0]).toBe('A unconfirmed');
    expect(order.slice(1).sort()).toEqual(['B adopted c1', 'B adopted c2']);
    expect(a.events.unconfirmed.map((e) => e.calls)).toEqual([[{ callId: 'c1', epoch: 1 }, { callId: 'c2', epoch: 1 }]]);
    const since = (await a.lc.stillOwn('c1', 1)) as { kind: string; since: number | null };
    expect(since.kind).toBe('unconfirmed');
    expect(typeof since.since).toBe('number');
    expect(a.lc.trackedCalls().size).toBe(2); // still running here, so the inbox never takes them
    expect([...a.lc.unconfirmedCalls()].sort()).toEqual(['c1', 'c2']);
    expect(await a.lc.stillOwn('c1', 5)).toEqual({ kind: 'lost', current: null, reason: 'lease-lapsed' }); // not an epoch we hold

    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(a.events.lost.sort((x, y) => x.callId.localeCompare(y.callId))).toEqual([
      { callId: 'c1', epoch: 1, cause: 'claimed' },
      { callId: 'c2', epoch: 1, cause: 'claimed' },
    ]);
    expect(a.events.confirmed).toEqual([]);
    expect(a.lc.trackedCalls().size).toBe(0);
    expect(a.lc.unconfirmedCalls().size).toBe(0);
    expect(a.cache.size).toBe(0); // released: nothing of them is restored later
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 }, reason: 'claimed' });
    expect((await w.mem.get('call', 'c1'))?.value).toMatchObject({ owner: 'inst-b', epoch: 2 }); // A wrote nothing over B's
    await w.time.advance(INTERVAL * 3);
    expect(a.adopted).toEqual([]);
    expect((await resyncCount('unconfirmed', 'claimed')) - claimedBefore).toBe(2);
    await a.lc.stop();
    await b.lc.stop();
  });

  it('no survivor claimed: healed, the calls are confirmed at their epoch (re-stored, no adoption, no epoch + 1)', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1']);
    const revBefore = (await w.mem.get('call', 'c1'))?.revision ?? 0;
    a.link.cut = true;
    await w.time.advance(TTL * 2);
    expect(await a.lc.stillOwn('c1', 1)).toMatchObject({ kind: 'unconfirmed' });
    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(a.events.confirmed).toEqual([{ callId: 'c1', restored: false }]);
    expect(a.events.lost).toEqual([]);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'store' });
    const stored = await w.mem.get('call', 'c1');
    expect(stored?.value).toMatchObject({ owner: 'inst-a', epoch: 1 });
    expect(stored?.revision).toBe(revBefore + 1); // re-stored once
    expect(a.adopted).toEqual([]);
    await a.lc.stop();
  });

  it('the store lost the records meanwhile (Redis restarted empty): written back at the same epoch, then a kill -9 can still be taken over', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1', 'c2']);
    a.link.cut = true;
    await w.time.advance(TTL * 2);
    // what a restart without persistence does: the records are simply not there any more
    for (const id of ['c1', 'c2']) expect((await w.mem.remove('call', id, { expect: 'any', fence: { owner: 'inst-a', epoch: 1 } })).ok).toBe(true);
    const restoredBefore = await resyncCount('unconfirmed', 'restored');
    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(a.events.confirmed.sort((x, y) => x.callId.localeCompare(y.callId))).toEqual([
      { callId: 'c1', restored: true },
      { callId: 'c2', restored: true },
    ]);
    expect((await resyncCount('unconfirmed', 'restored')) - restoredBefore).toBe(2);
    for (const id of ['c1', 'c2']) expect((await w.mem.get('call', id))?.value).toEqual(a.cache.recordOf(id)); // as last written, epoch 1
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'store' });

    // later kill -9 of A: B takes both over from the restored records
    await a.lc.stop();
    const b = w.instance('inst-b');
    await b.lc.start();
    await w.time.advance(TTL * 2);
    expect(b.adopted.map((x) => ({ id: x.record.callId, ...x.ownership })).sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'c1', owner: 'inst-b', epoch: 2 },
      { id: 'c2', owner: 'inst-b', epoch: 2 },
    ]);
    await b.lc.stop();
  });

  it('record missing and none remembered (no record cache): released as gone', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1'], false);
    a.link.cut = true;
    await w.time.advance(TTL * 2);
    expect((await w.mem.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-a', epoch: 1 } })).ok).toBe(true);
    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(a.events.lost).toEqual([{ callId: 'c1', epoch: 1, cause: 'gone' }]);
    expect(a.lc.trackedCalls().size).toBe(0);
    expect(await w.mem.get('call', 'c1')).toBeNull();
    await a.lc.stop();
  });

  it('a record written back by its new owner first wins over ours ("absent"): released as claimed', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1']);
    const b = w.instance('inst-b', { canAdopt: () => false }); // the claim happened before Redis lost it
    await b.lc.start(); // alive, so A does not take its call for an orphan
    b.lc.track('c1', { owner: 'inst-b', epoch: 2 });
    a.link.cut = true;
    await w.time.advance(TTL * 2);
    // Redis lost it, and the instance that had claimed it (epoch 2) wrote it back first
    await w.mem.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-a', epoch: 1 } });
    expect((await w.mem.put('call', makeCall('c1', 'inst-b', 2), 'absent')).ok).toBe(true);
    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(a.events.lost).toEqual([{ callId: 'c1', epoch: 1, cause: 'claimed' }]);
    expect((await w.mem.get('call', 'c1'))?.value).toMatchObject({ owner: 'inst-b', epoch: 2 });
    expect(a.adopted).toEqual([]);
    await a.lc.stop();
    await b.lc.stop();
  });

  it('the store goes away again during the re-check: the rest stays unconfirmed and the next scan decides it', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1']);
    a.link.cut = true;
    await w.time.advance(TTL * 2);
    const realGet = a.link.get.bind(a.link);
    let failures = 1;
    a.link.get = async (kind, id) => {
      if (failures-- > 0) throw new StateUnavailableError('get');
      return realGet(kind, id);
    };
    a.link.cut = false;
    await w.time.advance(INTERVAL); // heartbeat renews; the re-check's read fails
    expect(a.events.confirmed).toEqual([]);
    expect(await a.lc.stillOwn('c1', 1)).toMatchObject({ kind: 'unconfirmed' }); // lease valid, not yet decided
    await w.time.advance(INTERVAL * 3); // a scan retries
    expect(a.events.confirmed).toEqual([{ callId: 'c1', restored: false }]);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'store' });
    await a.lc.stop();
  });

  it('a call that ends while unconfirmed (release) is neither re-checked nor reported', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1', 'c2']);
    a.link.cut = true;
    await w.time.advance(TTL * 2);
    a.lc.release('c1');
    expect([...a.lc.unconfirmedCalls()]).toEqual(['c2']);
    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(a.events.confirmed).toEqual([{ callId: 'c2', restored: false }]);
    expect(a.events.lost).toEqual([]);
    await a.lc.stop();
  });

  it('resync after a reconnect (no lapse): heartbeat first, then the records the store lost are written back; present ones untouched', async () => {
    const w = world();
    const a = await ownerWithCalls(w, ['c1', 'c2']);
    await w.mem.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-a', epoch: 1 } });
    const rev2 = (await w.mem.get('call', 'c2'))?.revision;
    const from = a.link.calls.length;
    await a.lc.resync();
    const ops = a.link.calls.slice(from);
    expect(ops[0]).toBe('heartbeat'); // so no survivor sees a restored record as an orphan
    expect(ops.filter((o) => o === 'put')).toHaveLength(2);
    expect((await w.mem.get('call', 'c1'))?.value).toEqual(a.cache.recordOf('c1'));
    expect((await w.mem.get('call', 'c2'))?.revision).toBe(rev2);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'store' });
    await a.lc.stop();
  });
});

describe('CallRecordCache', () => {
  it('remembers the last own record written, forgets it on remove, on a fenced write and on release', async () => {
    const w = world();
    const cache = new CallRecordCache(w.mem, 'inst-a');
    const v1 = makeCall('c1', 'inst-a');
    await cache.put('call', v1, 'absent');
    const v2 = { ...v1, updatedAt: v1.updatedAt + 1 };
    await cache.put('call', v2, 'any');
    expect(cache.recordOf('c1')).toBe(v2);
    await cache.put('call', makeCall('x1', 'inst-other'), 'absent');
    expect(cache.recordOf('x1')).toBeUndefined(); // not ours
    await cache.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-a', epoch: 1 } });
    expect(cache.recordOf('c1')).toBeUndefined();

    await cache.put('call', makeCall('c2', 'inst-a'), 'absent');
    await w.mem.claim('c2', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-b' });
    const fenced = await cache.put('call', makeCall('c2', 'inst-a'), 'any');
    expect(fenced).toMatchObject({ ok: false, reason: 'fenced' });
    expect(cache.recordOf('c2')).toBeUndefined();

    const { lc } = w.instance('inst-a', { records: cache });
    await cache.put('call', makeCall('c3', 'inst-a'), 'absent');
    lc.track('c3', { owner: 'inst-a', epoch: 1 });
    lc.release('c3');
    expect(cache.recordOf('c3')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
