/**
 * Connection variants against real servers: ACL user + password (URL and options), wrong
 * credentials, rediss:// (TLS with a test CA made by openssl), and Sentinel.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { RedisStateStoreOptions } from '../../../src/adapters/state/redis-state-store.ts';
import { freePort, startRedisServer } from '../../helpers/redis-server.ts';
import type { RedisServer } from '../../helpers/redis-server.ts';
import { keyring, makeCall } from '../../unit/state/fixtures.ts';

async function roundTrip(options: Omit<RedisStateStoreOptions, 'keyring'>): Promise<void> {
  const store = await openRedisStateStore({ keyring: keyring('k1'), ...options });
  try {
    const call = makeCall(`c-${Math.random().toString(36).slice(2)}`, 'inst-a');
    expect(await store.put('call', call, 'absent')).toEqual({ ok: true, revision: 1 });
    expect((await store.get('call', call.callId))?.value).toEqual(call);
    expect(await store.claim(call.callId, { from: call, to: 'inst-b' })).toMatchObject({ won: true });
  } finally {
    await store.close();
  }
}

async function openError(options: Omit<RedisStateStoreOptions, 'keyring'>): Promise<unknown> {
  return openRedisStateStore({ keyring: keyring('k1'), ...options }).then(
    async (s) => {
      await s.close();
      return null;
    },
    (e: unknown) => e,
  );
}

describe('ACL user and password', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    // A user limited to the gatehouse key prefix: the scripts declare every key they touch.
    await redis.cli('ACL', 'SETUSER', 'gatehouse', 'on', '>s3cret pass', '~gh:*', '+@all');
    await redis.cli('ACL', 'SETUSER', 'default', 'off');
  });
  afterAll(async () => redis?.dispose());

  it('from the URL (percent-encoded password)', async () => {
    await roundTrip({ url: `redis://gatehouse:s3cret%20pass@127.0.0.1:${redis.port}` });
  });
  it('from options overriding the URL', async () => {
    await roundTrip({ url: `redis://nobody:wrong@127.0.0.1:${redis.port}`, username: 'gatehouse', password: 's3cret pass' });
  });
  it('wrong password fails at open with STATE_AUTH_FAILED (config), not a hang', async () => {
    expect(await openError({ url: `redis://gatehouse:nope@127.0.0.1:${redis.port}` })).toMatchObject({ code: 'STATE_AUTH_FAILED', category: 'config' });
  });
  it('keys outside the user\'s pattern are refused by Redis (prefix is honoured)', async () => {
    const store = await openRedisStateStore({ keyring: keyring('k1'), url: `redis://gatehouse:s3cret%20pass@127.0.0.1:${redis.port}`, keyPrefix: 'other:' });
    try {
      const err = await store.put('call', makeCall('c1', 'a'), 'absent').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'STATE_AUTH_FAILED' });
    } finally {
      await store.close();
    }
  });
});

describe('rediss:// (TLS)', () => {
  let redis: RedisServer;
  let pki: string;
  let ca: Buffer;
  let tlsPort: number;
  beforeAll(async () => {
    pki = await mkdtemp(join(tmpdir(), 'gatehouse-redis-pki-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(pki, 'key.pem'), '-out', join(pki, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`openssl failed (${String(e)}); install with: apt-get install openssl`);
    }
    ca = readFileSync(join(pki, 'cert.pem'));
    tlsPort = await freePort();
    redis = await startRedisServer({
      extraArgs: ['--tls-port', String(tlsPort), '--tls-cert-file', join(pki, 'cert.pem'), '--tls-key-file', join(pki, 'key.pem'), '--tls-ca-cert-file', join(pki, 'cert.pem'), '--tls-auth-clients', 'no'],
    });
  });
  afterAll(async () => {
    await redis?.dispose();
    await rm(pki, { recursive: true, force: true });
  });

  it('connects with the CA and runs CAS and claim over TLS', async () => {
    await roundTrip({ url: `rediss://127.0.0.1:${tlsPort}`, tls: { ca } });
  });
  it('refuses a server certificate it cannot verify', async () => {
    expect(await openError({ url: `rediss://127.0.0.1:${tlsPort}`, connectTimeoutMs: 1000 })).toMatchObject({ code: 'STATE_UNAVAILABLE' });
  });
});

describe('Sentinel', () => {
  let master: RedisServer;
  let sentinel: RedisServer;
  beforeAll(async () => {
    master = await startRedisServer();
    sentinel = await startRedisServer({ sentinelFor: { name: 'gh', masterPort: master.port } });
  });
  afterAll(async () => {
    await sentinel?.dispose();
    await master?.dispose();
  });

  it('finds the master through the sentinel and runs CAS and claim', async () => {
    await roundTrip({ sentinel: { name: 'gh', sentinels: [{ host: '127.0.0.1', port: sentinel.port }] } });
  });
});
