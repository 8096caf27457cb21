/**
 * One gateway instance's takeover machinery for the integration tests: a RedisStateStore (its
 * own connection, optionally through a TCP proxy) seen through a SwitchableStore log, and an
 * InstanceLifecycle on real timers that records what it adopts.
 */
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { RedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { InstanceLifecycle } from '../../../src/app/instance-lifecycle.ts';
import type { InstanceLifecycleOptions } from '../../../src/app/instance-lifecycle.ts';
import type { CallOwnership, CallRecord } from '../../../src/core/call/call-record.ts';
import { keyring } from '../../unit/state/fixtures.ts';
import { SwitchableStore } from '../../unit/takeover/switchable-store.ts';

export interface LifecycleNode {
  readonly id: string;
  readonly lc: InstanceLifecycle;
  readonly store: RedisStateStore;
  readonly link: SwitchableStore;
  readonly adopted: { readonly callId: string; readonly ownership: CallOwnership; readonly record: CallRecord }[];
  close(): Promise<void>;
}

export const monotonic = { now: (): number => performance.now() };

export async function startNode(
  url: string,
  keyPrefix: string,
  id: string,
  options: Partial<InstanceLifecycleOptions> & { readonly capacity?: number; readonly start?: boolean } = {},
): Promise<LifecycleNode> {
  const store = await openRedisStateStore({ url, keyPrefix, keyring: keyring('k1'), name: `takeover-${id}`, commandTimeoutMs: 250, connectTimeoutMs: 250 });
  const link = new SwitchableStore(store);
  const adopted: LifecycleNode['adopted'][number][] = [];
  const lc = new InstanceLifecycle({
    instanceId: id,
    store: link,
    registry: link,
    clock: monotonic,
    wallclock: () => Date.now(),
    heartbeatIntervalMs: 100,
    ttlMs: 600,
    describe: () => ({ addresses: { sip: [`sip:127.0.0.1:5060;transport=udp`], media: ['127.0.0.1'], http: null }, capacity: { calls: options.capacity ?? 1000 } }),
    adopt: async (record, ownership) => {
      await new Promise((resolve) => setImmediate(resolve)); // a little work, so adoptions overlap
      adopted.push({ callId: record.callId, ownership, record });
    },
    ...options,
  });
  if (options.start !== false) await lc.start();
  return {
    id,
    lc,
    store,
    link,
    adopted,
    close: async () => {
      await lc.stop();
      await lc.idle();
      await store.close();
    },
  };
}
