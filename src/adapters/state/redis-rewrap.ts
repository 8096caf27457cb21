import type { Redis } from 'ioredis';
import { rewrapStored, storedKeyId } from '../../core/call/stored-document.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { RandomSource } from '../../core/secrets/aead.ts';
import type { Keyring } from '../../core/secrets/keyring.ts';
import { stateRewrapped } from '../../metrics/state.ts';
import type { RewrapReport } from '../../ports/state-store.ts';
import type { RedisKeys } from './redis-keys.ts';
import { luaScript, runScript } from './redis-script-runner.ts';
import { REWRAP_LUA } from './redis-scripts.ts';

const REWRAP = luaScript(REWRAP_LUA);
const MAX_TRIES = 5;

/**
 * `gatehouse keys rotate`: SCAN every call and room record and re-wrap its data key under the
 * active key id, each with a compare-and-set on the exact text read (REWRAP_LUA), re-reading
 * and retrying when a live instance wrote the record in between. Safe while instances run:
 * their writes already use the active key (if they run the new keyring) and the revision is
 * not bumped, so their own CAS is unaffected. Instance records hold no secrets.
 */
export async function rewrapAllRedis(client: Redis, keys: RedisKeys, keyring: Keyring, random?: RandomSource): Promise<RewrapReport> {
  let scanned = 0;
  let rewrapped = 0;
  let alreadyCurrent = 0;
  let withoutSecrets = 0;
  let retried = 0;
  const failed: { key: string; code: string }[] = [];
  for (const kind of ['call', 'room'] as const) {
    const prefix = `${keys.prefix}${kind}:`;
    let cursor = '0';
    const seen = new Set<string>(); // SCAN may return a key more than once
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', keys.pattern(kind), 'COUNT', 500);
      cursor = next;
      for (const key of batch) {
        if (seen.has(key)) continue;
        seen.add(key);
        scanned += 1;
        const id = key.slice(prefix.length);
        try {
          const result = await rewrapOne(client, kind, key, id, keyring, random);
          retried += result.tries - 1;
          if (result.outcome === 'rewrapped') rewrapped += 1;
          else if (result.outcome === 'current') alreadyCurrent += 1;
          else if (result.outcome === 'no-secrets') withoutSecrets += 1;
          stateRewrapped.inc({ outcome: result.outcome });
        } catch (err) {
          if (!(err instanceof GatehouseError)) throw err; // connection trouble: abort the run
          failed.push({ key, code: err.code });
          stateRewrapped.inc({ outcome: 'failed' });
        }
      }
    } while (cursor !== '0');
  }
  return { scanned, rewrapped, alreadyCurrent, withoutSecrets, retried, failed };
}

type RewrapResult = { outcome: 'rewrapped' | 'current' | 'no-secrets' | 'gone'; tries: number };

async function rewrapOne(client: Redis, kind: 'call' | 'room', key: string, id: string, keyring: Keyring, random?: RandomSource): Promise<RewrapResult> {
  for (let tries = 1; tries <= MAX_TRIES; tries += 1) {
    const text = await client.hget(key, 'data');
    if (text === null) return { outcome: 'gone', tries };
    if (storedKeyId(text) === null) return { outcome: 'no-secrets', tries };
    const next = rewrapStored(kind, id, text, keyring, random);
    if (next === null) return { outcome: 'current', tries };
    if ((await runScript(client, REWRAP, [key], [text, next])) === 1) return { outcome: 'rewrapped', tries };
  }
  throw new GatehouseError('state', 'STATE_REWRAP_CONTENDED', `record changed ${MAX_TRIES} times during rotation`);
}
