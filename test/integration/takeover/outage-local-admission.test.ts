/**
 * Issue 7 "Redis outage: new calls follow a configurable rule; state re-synced when Redis
 * returns; nothing lost", with `admission.on_state_outage: local`: instance A cannot reach Redis
 * (a TCP proxy between them is cut) and still admits a SIPp call; once Redis is reachable again
 * the call's record is written after all (owner A), so when A is then killed -9, B takes the
 * call over like any other: the SIPp scenario (uac-takeover-call.xml) succeeds only if the
 * takeover re-INVITE reaches it in the same dialog and its BYE to the new Contact gets a 200.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRedisStateStore, type RedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { requireSipp, runSipp } from '../sip/helpers/sipp.ts';
import { startTcpProxy, type TcpProxy } from '../state/tcp-proxy.ts';
import { redisStateYaml } from '../../helpers/state-yaml.ts';

const ROOM = 'local-room';

let redis: RedisServer;
let proxy: TcpProxy;
let reader: RedisStateStore;
let dir: string;
let gwA: RoomGateway;
let gwB: RoomGateway;

beforeAll(async () => {
  requireSipp();
  redis = await startRedisServer();
  proxy = await startTcpProxy(redis.port);
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-local-'));
  const kek = randomBytes(32);
  writeFileSync(join(dir, 'k1.kek'), `${kek.toString('base64')}\n`);
  writeFileSync(join(dir, 'rooms.csv'), `SEQUENTIAL\n${ROOM};\n`);
  reader = await openRedisStateStore({ url: redis.url, keyring: { activeKeyId: 'k1', keys: new Map([['k1', new Uint8Array(kek)]]) }, name: 'test-reader' });
  const yaml = (url: string): string[] => ['admission: { on_state_outage: local }', ...redisStateYaml(url, join(dir, 'k1.kek'), { timing: false })];
  [gwA, gwB] = await Promise.all([
    startRoomGateway({ rooms: [{ id: ROOM }], mediaTimeoutS: 0, extraYaml: yaml(`redis://127.0.0.1:${proxy.port}`) }),
    startRoomGateway({ rooms: [{ id: ROOM }], mediaTimeoutS: 0, extraYaml: yaml(redis.url) }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([gwA?.stop(), gwB?.stop()]);
  await reader?.close();
  await proxy?.close();
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a call admitted while Redis is unreachable is stored once it is back, and survives a later kill -9', { timeout: 120_000 }, async () => {
  await gwB.waitForLog('takeover enabled: heartbeat and orphan watcher running');
  proxy.cut();
  await gwA.waitForLog('heartbeat failed', () => true, 10_000);

  const sipp = runSipp({
    scenario: 'uac-takeover-call.xml',
    target: `127.0.0.1:${gwA.sipPort}`,
    transport: 'u1',
    calls: 1,
    limit: 1,
    rate: 1,
    callLengthMs: 1000,
    timeoutSeconds: 90,
    extra: ['-inf', join(dir, 'rooms.csv')],
  });
  const joined = await gwA.waitForLog('call joined room', () => true, 20_000);
  await gwA.waitForLog('call state not stored yet; the call goes on here and the write is retried', () => true, 10_000);
  expect(await reader.get('call', String(joined.callId))).toBeNull();

  proxy.heal();
  await gwA.waitForLog('call state stored after all', () => true, 30_000);
  const stored = await reader.get('call', String(joined.callId));
  expect(stored?.value).toMatchObject({ roomId: ROOM, epoch: 1 });

  gwA.process.child.kill('SIGKILL');
  await gwA.process.exited;
  const run = await sipp;
  expect({ exit: run.exitCode, ok: run.successfulCalls, failed: run.failedCalls, errors: run.errors }).toEqual({ exit: 0, ok: 1, failed: 0, errors: '' });
  expect(gwB.logs('call adopted').map((l) => l.dialogId)).toEqual([joined.dialogId]);
});
