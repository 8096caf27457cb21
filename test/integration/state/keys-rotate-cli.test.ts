/**
 * `gatehouse keys rotate` as an operator runs it: the real binary, a config file naming a Redis
 * URL and a keyring whose keys come from files, against a real redis-server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { runGatehouseToEnd } from '../../helpers/gatehouse-process.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { fixedKey, makeCall } from '../../unit/state/fixtures.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

function writeConfig(dir: string, active: string, ids: readonly string[]): string {
  for (const id of ids) writeFileSync(join(dir, `${id}.kek`), `${Buffer.from(fixedKey(id)).toString('base64')}\n`);
  const keys = ids.map((id) => `      - id: ${id}\n        key_file: ${join(dir, `${id}.kek`)}`).join('\n');
  const file = join(dir, `gatehouse-${active}.yaml`);
  writeFileSync(file, `state:\n  store: redis\n  url: redis://127.0.0.1:${redis.port}/0\n  kek:\n    active: ${active}\n    keys:\n${keys}\n`);
  return file;
}

describe('gatehouse keys rotate (real binary, real Redis)', () => {
  it('re-wraps every record under the new active key; afterwards the new key alone reads them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-keys-'));
    const old = await openRedisStateStore({ url: `redis://127.0.0.1:${redis.port}/0`, keyring: { activeKeyId: 'k1', keys: new Map([['k1', fixedKey('k1')]]) } });
    for (let i = 0; i < 5; i++) expect((await old.put('call', makeCall(`rot-${i}`, 'inst-a'), 'absent')).ok).toBe(true);
    await old.close();

    const config = writeConfig(dir, 'k2', ['k1', 'k2']);
    const r = await runGatehouseToEnd(['keys', 'rotate', '--json'], { GATEHOUSE_CONFIG: config });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { scanned: number; rewrapped: number; failed: unknown[] };
    expect(report.rewrapped).toBe(5);
    expect(report.failed).toEqual([]);

    const fresh = await openRedisStateStore({ url: `redis://127.0.0.1:${redis.port}/0`, keyring: { activeKeyId: 'k2', keys: new Map([['k2', fixedKey('k2')]]) } });
    try {
      for (let i = 0; i < 5; i++) expect((await fresh.get('call', `rot-${i}`))?.value.callId).toBe(`rot-${i}`);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a key that is not 32 bytes of base64, naming the key reference', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-keys-'));
    const config = writeConfig(dir, 'k1', ['k1']);
    writeFileSync(join(dir, 'k1.kek'), 'too-short\n');
    const r = await runGatehouseToEnd(['keys', 'rotate'], { GATEHOUSE_CONFIG: config });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('state.kek.keys.0.key_file: key "k1" must be 32 random bytes in base64');
  });
});
