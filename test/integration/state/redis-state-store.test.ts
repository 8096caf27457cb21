import { afterAll, beforeAll } from 'vitest';
import type { Redis } from 'ioredis';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { RedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { stateStoreContract } from '../../unit/state/state-store-contract.ts';
import { allValues, rawClient, waitFor } from './redis-raw.ts';

let redis: RedisServer;
let raw: Redis;
let n = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  raw = rawClient(redis.port);
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.dispose();
});

stateStoreContract('redis', async (keyring) => {
  const keyPrefix = `t${(n += 1)}:`;
  const opened: RedisStateStore[] = [];
  const open = async (kr: typeof keyring): Promise<RedisStateStore> => {
    const s = await openRedisStateStore({ url: redis.url, keyring: kr, keyPrefix, name: `contract-${n}` });
    opened.push(s);
    return s;
  };
  const store = await open(keyring);
  return {
    store,
    lapse: (id) => waitFor(`instance ${id} TTL`, async () => (await raw.exists(`${keyPrefix}instance:${id}`)) === 0),
    rawValues: () => allValues(raw, `${keyPrefix}*`),
    withKeyring: open,
    close: async () => {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
});
