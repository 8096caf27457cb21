/**
 * Drain hand-over (issue 7 "Drain"): target choice as a pure table, and one round against the
 * in-memory store (the real-Redis run is in test/integration/takeover).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../src/adapters/state/memory-state-store.ts';
import { drainUntilEmpty, migrateOnce, planDrain } from '../../../src/app/drain-migration.ts';
import type { DrainDeps } from '../../../src/app/drain-migration.ts';
import type { CallRecord } from '../../../src/core/call/call-record.ts';
import type { InstanceRecord } from '../../../src/core/call/instance-record.ts';
import { keyring, makeCall, makeInstance } from '../state/fixtures.ts';
import { FakeTime } from './fake-time.ts';
import { SwitchableStore } from './switchable-store.ts';

function inst(id: string, calls: number, capacity: number, draining = false): InstanceRecord {
  const base = makeInstance(id, 60_000);
  return { ...base, load: { calls, legs: calls }, capacity: { calls: capacity }, draining };
}

describe('planDrain: least loaded, alive, not draining, not full', () => {
  const cases: { name: string; instances: InstanceRecord[]; calls: string[]; moves: string[]; stranded: string[] }[] = [
    { name: 'no other instance: everything stranded', instances: [inst('me', 3, 10)], calls: ['c1', 'c2'], moves: [], stranded: ['c1', 'c2'] },
    {
      name: 'least loaded by ratio, counting what this drain already sent',
      instances: [inst('me', 3, 10), inst('b', 0, 10), inst('c', 5, 100)],
      calls: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'],
      moves: ['c1>b', 'c2>c', 'c3>c', 'c4>c', 'c5>c', 'c6>c', 'c7>b'],
      stranded: [],
    },
    { name: 'ties go to the smaller instance id', instances: [inst('z', 1, 10), inst('a', 1, 10)], calls: ['c1', 'c2'], moves: ['c1>a', 'c2>z'], stranded: [] },
    { name: 'draining instances and myself are never targets', instances: [inst('me', 0, 10), inst('b', 0, 10, true), inst('c', 9, 10)], calls: ['c1', 'c2'], moves: ['c1>c'], stranded: ['c2'] },
    { name: 'full and zero-capacity instances are skipped', instances: [inst('b', 10, 10), inst('c', 0, 0), inst('d', 1, 2)], calls: ['c1', 'c2'], moves: ['c1>d'], stranded: ['c2'] },
  ];
  it.each(cases)('$name', ({ instances, calls, moves, stranded }) => {
    const plan = planDrain('me', instances, calls);
    expect(plan.moves.map((m) => `${m.callId}>${m.to}`)).toEqual(moves);
    expect(plan.stranded).toEqual(stranded);
  });
});

describe('planDrain: the calls of one room go to one instance', () => {
  const room = (callId: string, roomId: string | null): { callId: string; roomId: string | null } => ({ callId, roomId });
  it('keeps a room together on the least loaded instance that can take all of it', () => {
    const plan = planDrain('me', [inst('b', 0, 10), inst('c', 1, 10)], [room('r1a', 'r1'), room('r2a', 'r2'), room('r1b', 'r1'), room('r1c', 'r1'), room('x', null)]);
    expect(plan.moves.map((m) => `${m.callId}>${m.to}`)).toEqual(['r1a>b', 'r1b>b', 'r1c>b', 'r2a>c', 'x>c']);
    expect(plan.stranded).toEqual([]);
  });
  it('skips an instance that cannot take the whole room, and splits only when none can', () => {
    expect(planDrain('me', [inst('b', 0, 2), inst('c', 5, 10)], [room('a', 'r'), room('b', 'r'), room('c', 'r')]).moves.map((m) => m.to)).toEqual(['c', 'c', 'c']);
    const split = planDrain('me', [inst('b', 0, 2), inst('c', 9, 10)], [room('a', 'r'), room('b', 'r'), room('c', 'r')]);
    expect(split.moves.map((m) => `${m.callId}>${m.to}`)).toEqual(['a>b', 'b>b', 'c>c']);
  });
});

function setup() {
  const time = new FakeTime();
  const mem = new MemoryStateStore({ clock: time, keyring: keyring('k1') });
  const link = new SwitchableStore(mem);
  const log: string[] = [];
  const deps = (over: Partial<DrainDeps> = {}): DrainDeps => ({
    instanceId: 'me',
    store: link,
    registry: link,
    wallclock: () => 1_700_000_100_000,
    handedOver: (callId, to, o) => {
      log.push(`handed ${callId} ${to} e${o.epoch}`);
    },
    ...over,
  });
  return { time, mem, link, log, deps };
}

describe('migrateOnce (memory store)', () => {
  it('snapshots, marks migrating (fenced CAS), claims to the target, tells the call layer; nothing remains', async () => {
    const s = setup();
    await s.mem.heartbeat(inst('me', 2, 10, true));
    await s.mem.heartbeat(inst('b', 0, 10));
    const calls = ['c1', 'c2'].map((id) => makeCall(id, 'me'));
    for (const c of calls) await s.mem.put('call', c, 'absent');
    const fresh = (r: CallRecord): CallRecord => ({ ...r, legs: r.legs.map((l) => ({ ...l, dialog: l.dialog && { ...l.dialog, state: { cseq: 42 } } })) });
    const report = await migrateOnce(s.deps({ snapshot: (r) => fresh(r) }));
    expect(report).toEqual({ handed: [{ callId: 'c1', to: 'b' }, { callId: 'c2', to: 'b' }], stranded: [], failed: [], remaining: 0 });
    expect(s.log).toEqual(['handed c1 b e2', 'handed c2 b e2']);
    for (const c of calls) {
      const stored = await s.mem.get('call', c.callId);
      expect(stored?.value).toMatchObject({ owner: 'b', epoch: 2, state: 'migrating', updatedAt: 1_700_000_100_000 });
      expect(stored?.value.legs[0]?.dialog?.state).toEqual({ cseq: 42 });
    }
    expect(await s.mem.listCalls({ owner: 'me' })).toEqual([]);
  });

  it('snapshot null (call not run here): the stored record is handed over as is', async () => {
    const s = setup();
    await s.mem.heartbeat(inst('b', 0, 10));
    const call = makeCall('c1', 'me');
    await s.mem.put('call', call, 'absent');
    const report = await migrateOnce(s.deps({ snapshot: () => null }));
    expect(report.handed).toEqual([{ callId: 'c1', to: 'b' }]);
    expect((await s.mem.get('call', 'c1'))?.value).toEqual({ ...call, owner: 'b', epoch: 2, state: 'migrating', updatedAt: 1_700_000_100_000 });
  });

  it('a concurrent write (CAS conflict) fails this round, resumes the call, and the next round hands it over', async () => {
    const s = setup();
    await s.mem.heartbeat(inst('b', 0, 10));
    const call = makeCall('c1', 'me');
    await s.mem.put('call', call, 'absent');
    const resumed: string[] = [];
    let raced = false;
    const deps = s.deps({
      snapshot: async (r) => {
        if (!raced) {
          raced = true;
          await s.mem.put('call', { ...r, state: 'active', updatedAt: r.updatedAt + 1 }, 1); // the call layer wrote meanwhile
        }
        return r;
      },
      resume: (id) => {
        resumed.push(id);
      },
    });
    const first = await migrateOnce(deps);
    expect(first).toEqual({ handed: [], stranded: [], failed: [{ callId: 'c1', outcome: 'conflict' }], remaining: 1 });
    expect(resumed).toEqual(['c1']);
    const second = await migrateOnce(deps);
    expect(second.handed).toEqual([{ callId: 'c1', to: 'b' }]);
    expect(second.remaining).toBe(0);
  });

  it('a call someone else claimed meanwhile is reported lost and not counted as remaining', async () => {
    const s = setup();
    await s.mem.heartbeat(inst('b', 0, 10));
    await s.mem.put('call', makeCall('c1', 'me'), 'absent');
    const report = await migrateOnce(
      s.deps({
        snapshot: async (r) => {
          await s.mem.claim('c1', { from: { owner: 'me', epoch: 1 }, to: 'thief' });
          return r;
        },
      }),
    );
    expect(report).toEqual({ handed: [], stranded: [], failed: [{ callId: 'c1', outcome: 'lost' }], remaining: 0 });
    expect(s.log).toEqual([]);
  });

  it('no target: stranded and remaining; drainUntilEmpty retries until a target appears', async () => {
    const s = setup();
    await s.mem.put('call', makeCall('c1', 'me'), 'absent');
    expect(await migrateOnce(s.deps())).toEqual({ handed: [], stranded: ['c1'], failed: [], remaining: 1 });
    const done = drainUntilEmpty(s.deps(), { timers: s.time, retryMs: 500 });
    await s.time.advance(1_200);
    expect(s.log).toEqual([]);
    await s.mem.heartbeat(inst('b', 0, 10));
    await s.time.advance(500);
    const last = await done;
    expect(last.remaining).toBe(0);
    expect(s.log).toEqual(['handed c1 b e2']);
  });

  it('drainUntilEmpty: the store unreachable is retried; keepGoing false ends with the error', async () => {
    const s = setup();
    await s.mem.heartbeat(inst('b', 0, 10));
    await s.mem.put('call', makeCall('c1', 'me'), 'absent');
    s.link.cut = true;
    const done = drainUntilEmpty(s.deps(), { timers: s.time, retryMs: 100 });
    await s.time.advance(350);
    s.link.cut = false;
    await s.time.advance(100);
    expect((await done).remaining).toBe(0);

    await s.mem.put('call', makeCall('c2', 'me'), 'absent');
    s.link.cut = true;
    await expect(drainUntilEmpty(s.deps(), { timers: s.time, keepGoing: () => false })).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
  });
});
