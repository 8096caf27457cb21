/**
 * Issue 7 with RFC 4028 session timers: SIPp calls that negotiated Session-Expires 90 (gateway
 * refreshes) with instance A survive `kill -9` of A, and the survivor keeps the timer: its
 * takeover re-INVITE carries `Session-Expires: 90;refresher=uac` (the scenario,
 * uac-takeover-timer.xml, fails the call otherwise), so the session is refreshed by the new
 * owner instead of silently running out. SIPp then BYEs at the new Contact and must get a 200.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { requireSipp, runSipp } from '../sip/helpers/sipp.ts';

const ROOM = 'timer-room';
const CALLS = 3;

let redis: RedisServer;
let dir: string;
let gwA: RoomGateway;
let gwB: RoomGateway;

beforeAll(async () => {
  requireSipp();
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-timer-takeover-'));
  writeFileSync(join(dir, 'rooms.csv'), `SEQUENTIAL\n${ROOM};\n`);
  const state = redisStateYaml(redis.url, writeKek(dir));
  const opts = { rooms: [{ id: ROOM }], mediaTimeoutS: 0, extraYaml: state };
  [gwA, gwB] = await Promise.all([startRoomGateway(opts), startRoomGateway(opts)]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([gwA?.stop(), gwB?.stop()]);
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitForUdpRequests(gw: RoomGateway, n: number): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const m = /^gatehouse_sip_messages_received_total\{[^}]*transport="udp"[^}]*kind="request"[^}]*\} (\d+)/m.exec(text) ?? /^gatehouse_sip_messages_received_total\{[^}]*kind="request"[^}]*transport="udp"[^}]*\} (\d+)/m.exec(text);
    if (Number(m?.[1] ?? 0) >= n) return;
    if (performance.now() > deadline) throw new Error(`gateway received fewer than ${String(n)} UDP requests:\n${text.split('\n').filter((l) => l.startsWith('gatehouse_sip_messages_received')).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('kill -9: the survivor re-INVITEs each session-timer call with the Session-Expires negotiated with the dead owner', { timeout: 90_000 }, async () => {
  await gwB.waitForLog('takeover enabled: heartbeat and orphan watcher running');
  const sipp = runSipp({
    scenario: 'uac-takeover-timer.xml',
    target: `127.0.0.1:${gwA.sipPort}`,
    transport: 'u1',
    calls: CALLS,
    limit: CALLS,
    rate: 10,
    callLengthMs: 1000,
    timeoutSeconds: 60,
    extra: ['-inf', join(dir, 'rooms.csv')],
  });
  await gwA.waitForLog('call joined room', () => gwA.logs('call joined room').length >= CALLS, 20_000);
  const joined = gwA.logs('call joined room');
  // kill A only once every call is established at SIPp too: A has received each INVITE and its
  // ACK (else a 200 still in A's send queue dies with it and SIPp never sees its call answered)
  await waitForUdpRequests(gwA, 2 * CALLS);
  gwA.process.child.kill('SIGKILL');
  await gwA.process.exited;

  const run = await sipp;
  expect({ exit: run.exitCode, ok: run.successfulCalls, failed: run.failedCalls, errors: run.errors }).toEqual({ exit: 0, ok: CALLS, failed: 0, errors: '' });
  const adopted = gwB.logs('call adopted');
  expect(adopted.map((l) => String(l.dialogId)).sort()).toEqual(joined.map((l) => String(l.dialogId)).sort());
  expect(adopted.every((l) => l.epoch === 2)).toBe(true);
});
