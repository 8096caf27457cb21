/**
 * Issue 7 test 6: neither a SCAN of every value nor an RDB dump (SAVE, and `redis-cli --rdb`)
 * contains any SRTP master key, salt or DTLS private key used in the calls, in raw, base64,
 * base64url or hex form. RDB compression is off so a leak could not hide inside LZF; the
 * control values prove the search does find what is stored in clear.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { RedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { keyring, leakForms, legSecrets, makeCall, makeLeg, makeRoom } from '../../unit/state/fixtures.ts';
import type { LegSecrets } from '../../unit/state/fixtures.ts';
import { allValues, rawClient } from './redis-raw.ts';

describe('secrets at rest in a real Redis (issue 7 test 6)', () => {
  let redis: RedisServer;
  let raw: Redis;
  let store: RedisStateStore;
  const secrets: LegSecrets[] = [];
  const canary = 'control-canary-stored-in-clear-7f3a';

  beforeAll(async () => {
    redis = await startRedisServer({ extraArgs: ['--rdbcompression', 'no', '--repl-diskless-sync-delay', '0'] });
    raw = rawClient(redis.port);
    store = await openRedisStateStore({ url: redis.url, keyring: keyring('k1'), name: 'secrets' });
    for (let i = 0; i < 20; i += 1) {
      const legs = [0, 1].map((j) => {
        const s = legSecrets();
        secrets.push(s);
        return makeLeg(`call${i}-leg${j}`, s);
      });
      await store.put('call', makeCall(`call-${i}`, 'inst-a', 1, legs), 'absent');
    }
    await store.put('room', { ...makeRoom('room-1', ['call-0', 'call-1']), name: canary }, 'absent');
    // Claims and updates re-write fields; include them in what is dumped.
    await store.claim('call-0', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-b' });
    const c1 = await store.get('call', 'call-1');
    if (!c1) throw new Error('call-1 missing');
    await store.put('call', { ...c1.value, state: 'migrating' }, c1.revision);
  });
  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
    await redis?.dispose();
  });

  function expectNoSecret(blob: Buffer, where: string): void {
    expect(blob.includes(Buffer.from(canary)), `${where}: control value must be found`).toBe(true);
    expect(blob.includes(Buffer.from('call0-leg0@127.0.0.1')), `${where}: control Call-ID must be found`).toBe(true);
    let checked = 0;
    for (const s of secrets) {
      for (const form of leakForms(s)) {
        expect(blob.includes(form.bytes), `${where}: ${form.label}`).toBe(false);
        checked += 1;
      }
    }
    expect(checked).toBe(40 * 31);
    expect(blob.includes(Buffer.from('a=crypto')), `${where}: SDP a=crypto line`).toBe(false);
    expect(blob.includes(Buffer.from('PRIVATE KEY')), `${where}: PEM private key`).toBe(false);
  }

  it('SCAN of all keys and values', async () => {
    expectNoSecret(Buffer.concat(await allValues(raw)), 'SCAN');
  });

  it('dump.rdb written by SAVE', async () => {
    expect(await raw.save()).toBe('OK');
    expectNoSecret(await readFile(join(redis.dir, 'dump.rdb')), 'SAVE dump.rdb');
  });

  it('redis-cli --rdb dump', async () => {
    const file = join(redis.dir, 'cli-dump.rdb');
    await redis.cli('--rdb', file);
    expectNoSecret(await readFile(file), 'redis-cli --rdb');
  });

  it('control: a key stored in clear IS found in the dump (the search works on RDB bytes)', async () => {
    const s = secrets[0];
    if (!s) throw new Error('no secrets');
    await raw.set('control:leak', Buffer.from(s.localKey));
    const file = join(redis.dir, 'control.rdb');
    await redis.cli('--rdb', file);
    expect((await readFile(file)).includes(Buffer.from(s.localKey))).toBe(true);
    await raw.del('control:leak');
  });
});
