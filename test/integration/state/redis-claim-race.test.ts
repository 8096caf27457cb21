/**
 * Issue 7 test 4: two instances racing for the same orphan: exactly one wins, every time.
 * Two child processes, each with its own ioredis connection, claim the same calls at once.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { RedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { keyring, makeCall } from '../../unit/state/fixtures.ts';

const WORKER = fileURLToPath(new URL('./claim-race-worker.ts', import.meta.url));
const RACES = 200;

interface Worker {
  readonly name: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: AsyncIterator<string>;
  readonly rl: Interface;
}

async function startWorker(url: string, keyPrefix: string, name: string): Promise<Worker> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify({ url, keyPrefix, name })], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const rl = createInterface({ input: child.stdout });
  const lines = rl[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || !String(first.value).includes('ready')) throw new Error(`worker ${name} did not start: ${stderr}`);
  return { name, child, lines, rl };
}

async function round(workers: readonly Worker[], n: number, ids: string[]): Promise<Record<string, string>[]> {
  const msg = `${JSON.stringify({ round: n, ids, from: { owner: 'dead', epoch: 1 } })}\n`;
  for (const w of workers) w.child.stdin.write(msg);
  return Promise.all(
    workers.map(async (w) => {
      const r = await w.lines.next();
      if (r.done) throw new Error(`worker ${w.name} ended`);
      const parsed = JSON.parse(String(r.value)) as { round: number; results: Record<string, string> };
      expect(parsed.round).toBe(n);
      return parsed.results;
    }),
  );
}

describe('claim races against a real redis-server (issue 7 test 4)', () => {
  let redis: RedisServer;
  let seeder: RedisStateStore;
  const keyPrefix = 'race:';

  beforeAll(async () => {
    redis = await startRedisServer();
    seeder = await openRedisStateStore({ url: redis.url, keyPrefix, keyring: keyring('k1'), name: 'race-seeder' });
  });
  afterAll(async () => {
    await seeder?.close();
    await redis?.dispose();
  });

  /** Checks one race: exactly one winner, the loser saw the winner at epoch 2, the store agrees. */
  async function checkRace(id: string, a: string | undefined, b: string | undefined, names: readonly [string, string]): Promise<string> {
    const results = [a, b];
    const winners = results.flatMap((r, i) => (r === 'won:2' ? [names[i]] : []));
    expect(winners, `race ${id}: ${JSON.stringify(results)}`).toHaveLength(1);
    const winner = winners[0] ?? '';
    const loser = results.find((r) => r !== 'won:2');
    expect(loser, `race ${id}`).toBe(`lost:${winner}:2`);
    const stored = await seeder.get('call', id);
    expect(stored?.value.owner).toBe(winner);
    expect(stored?.value.epoch).toBe(2);
    return winner;
  }

  it(`two child processes, ${RACES} lockstep races for one orphan each: exactly one winner every time`, async () => {
    for (let i = 0; i < RACES; i += 1) await seeder.put('call', makeCall(`lock-${i}`, 'dead'), 'absent');
    const names = ['inst-a', 'inst-b'] as const;
    const workers = await Promise.all(names.map((name) => startWorker(redis.url, keyPrefix, name)));
    try {
      const wins = new Map<string, number>();
      for (let i = 0; i < RACES; i += 1) {
        const id = `lock-${i}`;
        const [ra, rb] = await round(workers, i, [id]);
        const w = await checkRace(id, ra?.[id], rb?.[id], names);
        wins.set(w, (wins.get(w) ?? 0) + 1);
      }
      expect([...wins.values()].reduce((x, y) => x + y, 0)).toBe(RACES);
      // Both owner index sets together hold every call exactly once.
      const a = await seeder.listCalls({ owner: 'inst-a' });
      const b = await seeder.listCalls({ owner: 'inst-b' });
      expect(a.length + b.length).toBe(RACES);
      expect(await seeder.listCalls({ owner: 'dead' })).toEqual([]);
    } finally {
      for (const w of workers) {
        w.child.stdin.end();
        w.rl.close();
      }
    }
  });

  it('two child processes, 500 orphans claimed all at once by both: exactly one winner per call', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `burst-${i}`);
    for (const id of ids) await seeder.put('call', makeCall(id, 'dead'), 'absent');
    const names = ['inst-c', 'inst-d'] as const;
    const workers = await Promise.all(names.map((name) => startWorker(redis.url, keyPrefix, name)));
    try {
      const [ra, rb] = await round(workers, 0, ids);
      for (const id of ids) await checkRace(id, ra?.[id], rb?.[id], names);
    } finally {
      for (const w of workers) {
        w.child.stdin.end();
        w.rl.close();
      }
    }
  });

  it(`two separate connections in one process, ${RACES} races with only-if-owner-dead`, async () => {
    const [x, y] = await Promise.all(
      ['inst-x', 'inst-y'].map((name) => openRedisStateStore({ url: redis.url, keyPrefix, keyring: keyring('k1'), name })),
    );
    if (!x || !y) throw new Error('stores did not open');
    try {
      for (let i = 0; i < RACES; i += 1) {
        const id = `pair-${i}`;
        await seeder.put('call', makeCall(id, 'dead'), 'absent');
        const from = { owner: 'dead', epoch: 1 };
        const [ox, oy] = await Promise.all([x.claim(id, { from, to: 'inst-x', onlyIfOwnerDead: true }), y.claim(id, { from, to: 'inst-y', onlyIfOwnerDead: true })]);
        const fmt = (o: typeof ox): string => (o.won ? `won:${o.ownership.epoch}` : `${o.reason}:${o.current?.owner}:${o.current?.epoch}`);
        await checkRace(id, fmt(ox), fmt(oy), ['inst-x', 'inst-y']);
      }
    } finally {
      await x.close();
      await y.close();
    }
  });
});
