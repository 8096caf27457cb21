/**
 * Run inside a test's network namespace (`node read-call-keys.ts REDIS_URL KEK_FILE`): prints
 * one JSON line per stored call record with SHA-256 digests of its legs' SRTP key||salt (local
 * and remote) and the stored remote media address, read through the real Redis state store
 * with the KEK. Digests only: a test compares them with keys it saw in SDP, nothing prints a key.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { openRedisStateStore } from '../../../../src/adapters/state/redis-state-store.ts';

const [url = '', kekFile = ''] = process.argv.slice(2);
const kek = new Uint8Array(Buffer.from(readFileSync(kekFile, 'utf8').trim(), 'base64'));
const store = await openRedisStateStore({ url, keyring: { activeKeyId: 'k1', keys: new Map([['k1', kek]]) }, name: 'test-reader' });
const raw = new Redis(url, { maxRetriesPerRequest: 1 });
const digest = (k: { masterKey: Uint8Array; masterSalt: Uint8Array }): string => createHash('sha256').update(k.masterKey).update(k.masterSalt).digest('hex');
for (const key of await raw.keys('gh:call:*')) {
  const row = await store.get('call', key.slice('gh:call:'.length));
  if (!row) continue;
  for (const leg of row.value.legs) {
    const srtp = leg.srtp;
    console.log(JSON.stringify({ callId: row.value.callId, suite: srtp?.suite ?? null, local: srtp ? digest(srtp.local) : null, remote: srtp ? digest(srtp.remote) : null, remoteMedia: leg.media.remote }));
  }
}
raw.disconnect();
await store.close();
