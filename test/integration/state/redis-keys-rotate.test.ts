/**
 * `gatehouse keys rotate` against a real Redis while a live instance keeps writing: every
 * record ends up wrapped under the new key id, nothing written concurrently is lost, and the
 * old key is no longer needed afterwards.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { registerKeysCommands } from '../../../src/cli/keys-command.ts';
import type { RewrapReport } from '../../../src/ports/state-store.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { keyring, makeCall, makeRoom } from '../../unit/state/fixtures.ts';
import { allValues, rawClient } from './redis-raw.ts';

describe('keys rotate on Redis with a concurrent writer', () => {
  let redis: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = rawClient(redis.port);
  });
  afterAll(async () => {
    raw?.disconnect();
    await redis?.dispose();
  });

  it('re-wraps 300 calls under the new key id while 100 of them are being updated', async () => {
    const old = await openRedisStateStore({ url: redis.url, keyring: keyring('k1'), name: 'rot-old' });
    for (let i = 0; i < 300; i += 1) await old.put('call', makeCall(`c${i}`, 'inst-a'), 'absent');
    for (let i = 0; i < 10; i += 1) await old.put('room', makeRoom(`r${i}`), 'absent');
    await old.close();

    // Instances were rolled onto the new keyring (k2 active, k1 still readable).
    const writer = await openRedisStateStore({ url: redis.url, keyring: keyring('k2', 'k1'), name: 'rot-writer' });
    const lines: string[] = [];
    const program = new Command('gatehouse').exitOverride();
    registerKeysCommands(program, {
      openRewrapper: () => openRedisStateStore({ url: redis.url, keyring: keyring('k2', 'k1'), name: 'rot-cli' }),
      print: (l) => lines.push(l),
    });
    const writes = (async () => {
      for (let i = 0; i < 100; i += 1) {
        const id = `c${i * 3}`;
        const cur = await writer.get('call', id);
        if (!cur) throw new Error(`${id} missing`);
        const out = await writer.put('call', { ...cur.value, state: 'migrating', updatedAt: cur.value.updatedAt + 1 }, cur.revision);
        expect(out.ok).toBe(true);
      }
    })();
    await Promise.all([program.parseAsync(['keys', 'rotate', '--json'], { from: 'user' }), writes]);
    await writer.close();

    const report = JSON.parse(lines[0] ?? '{}') as RewrapReport;
    expect(report.failed).toEqual([]);
    expect(report.scanned).toBe(310);
    expect(report.withoutSecrets).toBe(10);
    expect(report.rewrapped + report.alreadyCurrent).toBe(300);

    const blob = Buffer.concat(await allValues(raw));
    expect(blob.includes(Buffer.from('"kid":"k1"'))).toBe(false);
    const fresh = await openRedisStateStore({ url: redis.url, keyring: keyring('k2'), name: 'rot-check' });
    try {
      const calls = await fresh.listCalls({ owner: 'inst-a' });
      expect(calls).toHaveLength(300);
      const migrated = calls.filter((c) => c.value.state === 'migrating').map((c) => c.value.callId);
      expect(migrated.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `c${i * 3}`).sort());
    } finally {
      await fresh.close();
    }
  });
});
