/**
 * Instance lifecycle (issue 7): fencing checks and the heartbeat lease, on the in-memory store
 * with a hand-driven clock and timers. A lapse is noticed before anyone can claim; with
 * state.on_lease_loss `release` the calls are dropped then (tested here); with `continue` (the
 * default) they run unconfirmed until the store decides: instance-unconfirmed.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { LeaseLost } from '../../../src/app/instance-lifecycle.ts';
import { makeCall } from '../state/fixtures.ts';
import { settle } from './fake-time.ts';
import { INTERVAL, TTL, world } from './lifecycle-world.ts';

describe('InstanceLifecycle: fencing and the lease', () => {
  it('stillOwn: owner while the store agrees, lost after a claim, gone after removal', async () => {
    const w = world();
    const { lc } = w.instance('inst-a');
    await lc.start();
    lc.track('c1', { owner: 'inst-a', epoch: 1 });
    await w.mem.put('call', makeCall('c1', 'inst-a'), 'absent');
    expect(await lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'store' });
    expect(await lc.stillOwn('c1', 7)).toEqual({ kind: 'lost', current: { owner: 'inst-a', epoch: 1 }, reason: 'claimed' });
    await w.mem.claim('c1', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-x' });
    expect(await lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: { owner: 'inst-x', epoch: 2 }, reason: 'claimed' });
    await w.mem.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-x', epoch: 2 } });
    expect(await lc.stillOwn('c1', 1)).toEqual({ kind: 'gone' });
    await lc.stop();
  });

  it('release: store unreachable: owner by lease until it lapses, then lease-lost with every tracked call, before anyone can claim', async () => {
    const w = world();
    const a = w.instance('inst-a', { onLeaseLoss: 'release' });
    const b = w.instance('inst-b');
    await a.lc.start();
    await b.lc.start();
    a.lc.track('c1', { owner: 'inst-a', epoch: 1 });
    a.lc.track('c2', { owner: 'inst-a', epoch: 1 });
    for (const id of ['c1', 'c2']) await w.mem.put('call', makeCall(id, 'inst-a'), 'absent');
    const order: string[] = [];
    const lost: LeaseLost[] = [];
    a.lc.on('lease-lost', (e) => {
      lost.push(e);
      order.push('A lease-lost');
    });
    b.lc.on('adopted', (e) => order.push(`B adopted ${e.callId}`));
    const renewedAt = w.time.now();
    a.link.cut = true;
    await w.time.advance(INTERVAL);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'owner', source: 'lease' });
    await w.time.advance(TTL + INTERVAL * 3);
    expect(lost).toEqual([{ calls: [{ callId: 'c1', epoch: 1 }, { callId: 'c2', epoch: 1 }], lastRenewedAt: renewedAt, ttlMs: TTL }]);
    expect(order[0]).toBe('A lease-lost');
    expect(order.slice(1).sort()).toEqual(['B adopted c1', 'B adopted c2']);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: null, reason: 'lease-lapsed' });
    expect(a.lc.leaseValid).toBe(false);
    expect(a.lc.trackedCalls().size).toBe(0);
    // A scans nothing while its lease is lapsed.
    const scansWhileCut = a.link.calls.filter((c) => c.startsWith('listCalls')).length;
    await w.time.advance(INTERVAL * 3);
    expect(a.link.calls.filter((c) => c.startsWith('listCalls')).length).toBe(scansWhileCut);
    // Healed: the lease comes back; the calls are B's now, so A re-adopts nothing.
    const renewed: string[] = [];
    a.lc.on('lease-renewed', () => renewed.push('renewed'));
    a.link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(renewed).toEqual(['renewed']);
    expect(a.lc.leaseValid).toBe(true);
    expect(await a.lc.stillOwn('c1', 1)).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 }, reason: 'claimed' });
    expect(a.adopted).toEqual([]);
    await a.lc.stop();
    await b.lc.stop();
  });

  it('release: lease lapsed with no survivor: once the store is back, its own calls return through the inbox at epoch + 1', async () => {
    const w = world();
    const { lc, link, adopted } = w.instance('inst-a', { onLeaseLoss: 'release' });
    await lc.start();
    lc.track('c1', { owner: 'inst-a', epoch: 1 });
    await w.mem.put('call', makeCall('c1', 'inst-a'), 'absent');
    const lost: LeaseLost[] = [];
    lc.on('lease-lost', (e) => lost.push(e));
    link.cut = true;
    await w.time.advance(TTL * 2);
    expect(lost.map((l) => l.calls)).toEqual([[{ callId: 'c1', epoch: 1 }]]);
    link.cut = false;
    await w.time.advance(INTERVAL * 3);
    expect(adopted.map((x) => ({ id: x.record.callId, ...x.ownership }))).toEqual([{ id: 'c1', owner: 'inst-a', epoch: 2 }]);
    expect(await lc.stillOwn('c1', 1)).toMatchObject({ kind: 'lost', reason: 'claimed' }); // the old incarnation is fenced
    expect(await lc.stillOwn('c1', 2)).toEqual({ kind: 'owner', source: 'store' });
    await lc.stop();
  });

  it('a slow heartbeat that comes back within the lease window renews it from when it was sent', async () => {
    const w = world();
    let release: (() => void) | null = null;
    const { lc, link } = w.instance('inst-a');
    await lc.start();
    const original = link.heartbeat.bind(link);
    link.heartbeat = async (rec) => {
      await new Promise<void>((resolve) => (release = resolve));
      return original(rec);
    };
    const lost: LeaseLost[] = [];
    lc.on('calls-unconfirmed', (e) => lost.push(e));
    await w.time.advance(INTERVAL * 2); // sent at +INTERVAL, still out
    link.heartbeat = original;
    (release as (() => void) | null)?.();
    await settle();
    await w.time.advance(TTL - INTERVAL * 2 - 1); // past the first lease, inside the renewed one
    expect(lost).toEqual([]);
    expect(lc.leaseValid).toBe(true);
    await lc.stop();
  });

  it('a heartbeat that comes back after the lease window renews nothing', async () => {
    const w = world();
    let release: (() => void) | null = null;
    const { lc, link } = w.instance('inst-a');
    await lc.start();
    const original = link.heartbeat.bind(link);
    link.heartbeat = async (rec) => {
      await new Promise<void>((resolve) => (release = resolve));
      return original(rec);
    };
    const lost: LeaseLost[] = [];
    lc.on('calls-unconfirmed', (e) => lost.push(e));
    await w.time.advance(TTL * 2); // the beat sent at +INTERVAL hangs; the lease lapses
    expect(lost).toHaveLength(1);
    link.heartbeat = original;
    (release as (() => void) | null)?.();
    await settle();
    expect(lc.leaseValid).toBe(false); // sent longer than the lease window ago: proves nothing
    await w.time.advance(INTERVAL);
    expect(lc.leaseValid).toBe(true); // a fresh one does
    await lc.stop();
  });
});
