/** Shared set-up for the lifecycle tests: one in-memory store, hand-driven time, instances on it. */
import { expect } from 'vitest';
import { MemoryStateStore } from '../../../src/adapters/state/memory-state-store.ts';
import { InstanceLifecycle } from '../../../src/app/instance-lifecycle.ts';
import type { InstanceLifecycleOptions } from '../../../src/app/instance-lifecycle.ts';
import type { CallOwnership, CallRecord } from '../../../src/core/call/call-record.ts';
import { keyring, makeCall, makeInstance } from '../state/fixtures.ts';
import { FakeTime } from './fake-time.ts';
import { SwitchableStore } from './switchable-store.ts';

export const INTERVAL = 100;
export const TTL = 300;

/** Deterministic [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function world() {
  const time = new FakeTime();
  const mem = new MemoryStateStore({ clock: time, keyring: keyring('k1') });
  const instance = (id: string, overrides: Partial<InstanceLifecycleOptions> = {}) => {
    const link = new SwitchableStore(mem);
    const adopted: { record: CallRecord; ownership: CallOwnership }[] = [];
    const lc = new InstanceLifecycle({
      instanceId: id,
      store: link,
      registry: link,
      clock: time,
      wallclock: () => 1_700_000_000_000 + time.now(),
      timers: time,
      random: seeded(id.length * 7919),
      heartbeatIntervalMs: INTERVAL,
      ttlMs: TTL,
      describe: () => ({ addresses: { sip: [`sip:${id}.test:5060`], media: ['127.0.0.1'], http: null }, capacity: { calls: 100 } }),
      adopt: async (record, ownership) => {
        adopted.push({ record, ownership });
      },
      ...overrides,
    });
    return { lc, link, adopted };
  };
  /** A dead instance's calls: its owner heartbeat once at `now` with the test TTL. */
  const orphanOf = async (owner: string, ...ids: string[]): Promise<Map<string, CallRecord>> => {
    await mem.heartbeat(makeInstance(owner, TTL));
    const out = new Map<string, CallRecord>();
    for (const id of ids) {
      const call = makeCall(id, owner);
      expect((await mem.put('call', call, 'absent')).ok).toBe(true);
      out.set(id, call);
    }
    return out;
  };
  return { time, mem, instance, orphanOf };
}

