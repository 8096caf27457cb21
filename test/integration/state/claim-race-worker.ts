/**
 * Child process for the claim race test: one instance with its own ioredis connection.
 * argv[2] = JSON { url, keyPrefix, name }. stdin: one JSON line per round {round, ids, from};
 * it claims every id concurrently as `name` and answers {round, results: {id: status}}.
 */
import { createInterface } from 'node:readline';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { keyring } from '../../unit/state/fixtures.ts';

interface Args {
  url: string;
  keyPrefix: string;
  name: string;
}
interface Round {
  round: number;
  ids: string[];
  from: { owner: string; epoch: number };
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const store = await openRedisStateStore({ url: args.url, keyPrefix: args.keyPrefix, keyring: keyring('k1'), name: args.name });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const round = JSON.parse(line) as Round;
  const outcomes = await Promise.all(round.ids.map((id) => store.claim(id, { from: round.from, to: args.name })));
  const results: Record<string, string> = {};
  round.ids.forEach((id, i) => {
    const o = outcomes[i];
    results[id] = o === undefined ? 'none' : o.won ? `won:${o.ownership.epoch}` : `${o.reason}:${o.current?.owner}:${o.current?.epoch}`;
  });
  process.stdout.write(`${JSON.stringify({ round: round.round, results })}\n`);
}
await store.close();
