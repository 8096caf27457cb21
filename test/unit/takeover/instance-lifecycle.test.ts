/**
 * Instance lifecycle (issue 7): heartbeat, orphan watcher and inbox, on the in-memory store with
 * a hand-driven clock and timers (DESIGN.md "State and takeover"). Lease and fencing:
 * instance-lease.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.ts';
import { makeCall, makeInstance } from '../state/fixtures.ts';
import { settle } from './fake-time.ts';
import { INTERVAL, TTL, world } from './lifecycle-world.ts';

describe('InstanceLifecycle: heartbeat', () => {
  it('start() heartbeats at once, then every interval with the TTL and the tracked load', async () => {
    const w = world();
    const { lc, link } = w.instance('inst-a');
    await lc.start();
    expect(lc.leaseValid).toBe(true);
    const [first] = await w.mem.listInstances();
    expect(first).toMatchObject({ instanceId: 'inst-a', ttlMs: TTL, draining: false, load: { calls: 0, legs: 0 }, capacity: { calls: 100 } });
    lc.track('c1', { owner: 'inst-a', epoch: 1 });
    await w.time.advance(INTERVAL * 5);
    expect(link.calls.filter((c) => c === 'heartbeat')).toHaveLength(6);
    expect((await w.mem.listInstances())[0]?.load.calls).toBe(1);
    await lc.stop();
  });

  it('stop() without leave: the record lapses after the TTL, as after kill -9', async () => {
    const w = world();
    const { lc } = w.instance('inst-a');
    await lc.start();
    await lc.stop();
    expect(w.time.pendingTimers).toBe(0);
    await w.time.advance(TTL - 1);
    expect((await w.mem.listInstances()).map((i) => i.instanceId)).toEqual(['inst-a']);
    await w.time.advance(1);
    expect(await w.mem.listInstances()).toEqual([]);
  });

  it('stop({ leave: true }) removes the record at once', async () => {
    const w = world();
    const { lc } = w.instance('inst-a');
    await lc.start();
    await lc.stop({ leave: true });
    expect(await w.mem.listInstances()).toEqual([]);
  });

  it('start() fails with the store error when the first heartbeat cannot be sent, leaving no timer', async () => {
    const w = world();
    const { lc, link } = w.instance('inst-a');
    link.cut = true;
    await expect(lc.start()).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    expect(lc.running).toBe(false);
    expect(w.time.pendingTimers).toBe(0);
  });

  it.each([
    ['TTL not above interval + margin', { heartbeatIntervalMs: 100, ttlMs: 110 }],
    ['zero interval', { heartbeatIntervalMs: 0 }],
    ['jitter above 1', { scanJitter: 1.5 }],
    ['concurrency 0', { adoptConcurrency: 0 }],
    ['negative margin', { leaseMarginMs: -1 }],
  ])('rejects bad timing: %s (TAKEOVER_TIMING)', (_name, bad) => {
    const w = world();
    let err: unknown;
    try {
      w.instance('inst-a', bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toMatchObject({ category: 'config', code: 'TAKEOVER_TIMING' });
  });
});

describe('InstanceLifecycle: orphan watcher', () => {
  it('adopts a dead owner\'s call once, within TTL + one jittered scan interval, at epoch + 1', async () => {
    const w = world();
    const stored = await w.orphanOf('dead', 'c1');
    const { lc, adopted } = w.instance('inst-b');
    const events: string[] = [];
    lc.on('adopted', (e) => events.push(`${e.callId}:${e.ownership.epoch}:${e.reason}:${e.outcome}`));
    await lc.start();
    await w.time.advance(TTL - 1); // owner still alive: onlyIfOwnerDead holds it back
    expect(adopted).toEqual([]);
    await w.time.advance(1 + INTERVAL * 1.25); // jitter 0.5: a scan comes at most 1.25 intervals later
    expect(adopted).toHaveLength(1);
    expect(adopted[0]?.ownership).toEqual({ owner: 'inst-b', epoch: 2 });
    expect(adopted[0]?.record).toMatchObject({ callId: 'c1', owner: 'inst-b', epoch: 2, legs: stored.get('c1')?.legs });
    expect(events).toEqual(['c1:2:orphan:resumed']);
    expect(lc.trackedCalls()).toEqual(new Map([['c1', 2]]));
    await w.time.advance(INTERVAL * 10);
    expect(adopted).toHaveLength(1); // tracked: never again
    await lc.stop();
  });

  it('an owner that comes back between the scan and the claim keeps its call (onlyIfOwnerDead)', async () => {
    const w = world();
    await w.orphanOf('slow', 'c1');
    const { lc, link, adopted } = w.instance('inst-b');
    const claim = link.claim.bind(link);
    let revived = false;
    link.claim = async (callId, request) => {
      if (!revived) {
        revived = true;
        await w.mem.heartbeat(makeInstance('slow', TTL)); // its heartbeat lands just before our claim
      }
      return claim(callId, request);
    };
    await lc.start();
    await w.time.advance(TTL + INTERVAL * 1.25);
    expect(revived).toBe(true);
    expect(adopted).toEqual([]);
    expect((await w.mem.get('call', 'c1'))?.value).toMatchObject({ owner: 'slow', epoch: 1 });
    await lc.stop();
  });

  it('scan delays stay within interval x (1 +/- jitter/2)', async () => {
    const w = world();
    const { lc } = w.instance('inst-b', { scanIntervalMs: 1000, heartbeatIntervalMs: 1000, ttlMs: 3000, scanJitter: 0.5 });
    await lc.start();
    await w.time.advance(30_000);
    const scans = w.time.requested.filter((ms) => ms !== 1000 && ms < 2000);
    expect(scans.length).toBeGreaterThan(10);
    for (const ms of scans) {
      expect(ms).toBeGreaterThanOrEqual(750);
      expect(ms).toBeLessThanOrEqual(1250);
    }
    expect(new Set(scans).size).toBeGreaterThan(1); // really jittered
    await lc.stop();
  });

  it('says when an adoption only holds the call (a guest waiting for its browser): outcome held', async () => {
    const w = world();
    await w.orphanOf('dead', 'g1');
    const { lc } = w.instance('inst-b', { adopt: () => Promise.resolve('held' as const) });
    const events: string[] = [];
    lc.on('adopted', (e) => events.push(`${e.callId}:${e.outcome}`));
    await lc.start();
    await w.time.advance(TTL + INTERVAL * 2);
    await lc.idle();
    expect(events).toEqual(['g1:held']);
    await lc.stop();
  });

  it('runs at most adoptConcurrency adoptions at once and adopts all of them', async () => {
    const w = world();
    const ids = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    await w.orphanOf('dead', ...ids);
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const done: string[] = [];
    const { lc } = w.instance('inst-b', {
      adoptConcurrency: 3,
      adopt: async (record) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        done.push(record.callId);
      },
    });
    await lc.start();
    await w.time.advance(TTL + INTERVAL * 2);
    while (done.length < ids.length) {
      expect(gates.length).toBeGreaterThan(0);
      for (const open of gates.splice(0)) open();
      await settle();
    }
    await lc.idle();
    expect(peak).toBe(3);
    expect([...done].sort()).toEqual(ids);
    await lc.stop();
  });

  it('does not claim orphans while canAdopt() is false or while draining; says draining in its heartbeat', async () => {
    const w = world();
    await w.orphanOf('dead', 'c1');
    let room = false;
    const { lc, adopted } = w.instance('inst-b', { canAdopt: () => room });
    await lc.start();
    await w.time.advance(TTL + INTERVAL * 3);
    expect(adopted).toEqual([]);
    await lc.setDraining(true);
    expect((await w.mem.listInstances()).find((i) => i.instanceId === 'inst-b')?.draining).toBe(true);
    room = true;
    await w.time.advance(INTERVAL * 3);
    expect(adopted).toEqual([]);
    await lc.setDraining(false);
    await w.time.advance(INTERVAL * 3);
    expect(adopted.map((a) => a.record.callId)).toEqual(['c1']);
    await lc.stop();
  });

  it('adopt failure: event, the call is released and not retried at that epoch', async () => {
    const w = world();
    await w.orphanOf('dead', 'c1');
    let attempts = 0;
    const { lc } = w.instance('inst-b', {
      adopt: async () => {
        attempts += 1;
        throw new Error('no media ports');
      },
    });
    const failed: string[] = [];
    lc.on('adopt-failed', (e) => failed.push(`${e.callId}:${e.ownership.epoch}:${e.reason}`));
    await lc.start();
    await w.time.advance(TTL + INTERVAL * 10);
    expect(attempts).toBe(1);
    expect(failed).toEqual(['c1:2:orphan']);
    expect(lc.trackedCalls().size).toBe(0);
    expect((await w.mem.get('call', 'c1'))?.value.owner).toBe('inst-b'); // adopt owns the clean-up
    await lc.stop();
  });
});

describe('InstanceLifecycle: inbox', () => {
  it('adopts a call handed to it (claim to it by the old owner) with reason inbox and epoch + 1', async () => {
    const w = world();
    const a = w.instance('inst-a');
    const b = w.instance('inst-b');
    await a.lc.start();
    await b.lc.start();
    a.lc.track('c1', { owner: 'inst-a', epoch: 1 });
    await w.mem.put('call', makeCall('c1', 'inst-a'), 'absent');
    await w.time.advance(INTERVAL * 3);
    expect(a.adopted).toEqual([]); // tracked by A: not an inbox call
    const handed = await w.mem.claim('c1', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-b' });
    expect(handed).toMatchObject({ won: true, ownership: { owner: 'inst-b', epoch: 2 } });
    await w.time.advance(INTERVAL * 2);
    expect(b.adopted.map((x) => x.ownership)).toEqual([{ owner: 'inst-b', epoch: 3 }]);
    expect(a.adopted).toEqual([]);
    await a.lc.stop();
    await b.lc.stop();
  });

  it('release() leaves a tombstone: a record it failed to remove is not re-adopted at that epoch', async () => {
    const w = world();
    const { lc, adopted } = w.instance('inst-a');
    await lc.start();
    lc.track('c1', { owner: 'inst-a', epoch: 1 });
    await w.mem.put('call', makeCall('c1', 'inst-a'), 'absent');
    lc.release('c1');
    await w.time.advance(INTERVAL * 5);
    expect(adopted).toEqual([]);
    await lc.stop();
  });

  it('an untracked record of its own (the call layer forgot track()) is taken as a hand-over', async () => {
    const w = world();
    const { lc, adopted } = w.instance('inst-a');
    await lc.start();
    await w.mem.put('call', makeCall('c1', 'inst-a'), 'absent');
    await w.time.advance(INTERVAL * 2);
    expect(adopted.map((x) => x.ownership)).toEqual([{ owner: 'inst-a', epoch: 2 }]);
    await lc.stop();
  });
});
