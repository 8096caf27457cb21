/**
 * Issue 7, test 5: drain with 20 live calls, all migrate, none dropped. Two gatehouse instances
 * (the real binary) share a real redis-server; SIPp places 20 SDES (AEAD_AES_256_GCM) calls into
 * one room on instance A. SIGTERM A: it hands every call over to B (drain, DESIGN.md "State and
 * takeover"), B adopts each with a target-refresh re-INVITE and A exits 0 once it owns none.
 *
 * "None dropped" is checked at the endpoint: the SIPp scenario (uac-takeover-call.xml) counts a
 * call as successful only if it received the re-INVITE in the same dialog with a new Contact, a
 * new m= port and an a=crypto offer, answered it, and its later BYE sent to the NEW Contact got a
 * 200. SIPp must exit 0 with 20 successful calls, and Redis must hold no call afterwards.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { requireSipp, runSipp } from '../sip/helpers/sipp.ts';

const ROOM = 'drain-room';
const CALLS = 20;

let redis: RedisServer;
let dir: string;
let gwA: RoomGateway;
let gwB: RoomGateway;

beforeAll(async () => {
  requireSipp();
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-drain-'));
  writeFileSync(join(dir, 'rooms.csv'), `SEQUENTIAL\n${ROOM};\n`);
  // SIPp sends no media: a new key costs it nothing
  const state = redisStateYaml(redis.url, writeKek(dir), { sdesKey: 'new' });
  // mediaTimeoutS 0: SIPp sends no RTP, and its calls must end by BYE only
  const opts = { rooms: [{ id: ROOM, max_participants: 32 }], mediaTimeoutS: 0, extraYaml: state };
  [gwA, gwB] = await Promise.all([startRoomGateway(opts), startRoomGateway(opts)]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([gwA?.stop(), gwB?.stop()]);
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('SIGTERM with 20 live SIPp calls: every call is handed over, re-INVITEd by B and ends there with a 200 to its BYE', { timeout: 60_000 }, async () => {
  await gwB.waitForLog('takeover enabled: heartbeat and orphan watcher running');
  const sipp = runSipp({
    scenario: 'uac-takeover-call.xml',
    target: `127.0.0.1:${gwA.sipPort}`,
    transport: 'u1',
    calls: CALLS,
    limit: CALLS,
    rate: 50,
    callLengthMs: 1000, // after the re-INVITE, before the BYE
    timeoutSeconds: 45,
    extra: ['-inf', join(dir, 'rooms.csv')],
  });

  await gwA.waitForLog('call joined room', () => gwA.logs('call joined room').length >= CALLS, 20_000);
  const joined = gwA.logs('call joined room');
  expect(joined.length).toBe(CALLS);
  expect(joined.every((l) => l.keying === 'sdes')).toBe(true);
  expect(gwB.logs('call joined room')).toEqual([]);
  expect(await redis.cli('--raw', 'eval', "return #redis.call('keys', 'gh:call:*')", '0')).toBe(`${CALLS}\n`);

  gwA.process.child.kill('SIGTERM');
  const exitA = await gwA.process.exited;
  expect(exitA.code).toBe(0);
  const released = gwA.logs('call released here without signalling');
  expect(released.map((l) => l.cause)).toEqual(Array<string>(CALLS).fill('handed-over'));

  const run = await sipp;
  expect({ exit: run.exitCode, ok: run.successfulCalls, failed: run.failedCalls, errors: run.errors }).toEqual({ exit: 0, ok: CALLS, failed: 0, errors: '' });

  // B adopted exactly A's 20 dialogs (same Call-ID and tags), each from its inbox
  const adopted = gwB.logs('call adopted');
  expect(adopted.map((l) => String(l.dialogId)).sort()).toEqual(joined.map((l) => String(l.dialogId)).sort());
  expect(gwB.logs('takeover: call continues on this instance').map((l) => l.reason)).toEqual(Array<string>(CALLS).fill('inbox'));
  expect(gwB.logs('takeover failed; ending the call')).toEqual([]);

  // every BYE ended its call on B, and nothing of the calls is left in Redis
  await gwB.waitForLog('call left room; room ended', () => true, 10_000);
  const left = (await redis.cli('--raw', 'keys', 'gh:*')).split('\n').filter((k) => k !== '').sort();
  // only B's heartbeat is left: no call, room or owner set; A left the registry when it exited
  const idB = String((await gwB.waitForLog('takeover enabled: heartbeat and orphan watcher running')).instanceId);
  expect(left).toEqual([`gh:instance:${idB}`, 'gh:instances']);
  expect(await redis.cli('--raw', 'smembers', 'gh:instances')).toBe(`${idB}\n`);
});
