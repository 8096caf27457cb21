/**
 * Rooms across instances at call set-up: a room is relayed/mixed in one process, so with two
 * instances sharing Redis a SIP caller that reaches the instance where its room does NOT run
 * gets a 302 Moved Temporarily to the one where it does (rooms.redirect_to_home, default on).
 * baresip 1 dials the room on A; baresip 2 dials the same room on B, is redirected to A and both
 * hear each other (checked at the receivers: each decodes the other's sine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toneFraction } from '../../helpers/audio-analysis.ts';
import { Baresip } from '../../helpers/baresip.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';

const ROOM = 'homed-room';
const HZ_1 = 500;
const HZ_2 = 1500;

let redis: RedisServer;
let dir: string;
let gwA: RoomGateway;
let gwB: RoomGateway;
let b1: Baresip;
let b2: Baresip;

beforeAll(async () => {
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-redirect-'));
  const state = redisStateYaml(redis.url, writeKek(dir), { timing: false });
  [gwA, gwB] = await Promise.all([startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: state }), startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: state })]);
  [b1, b2] = await Promise.all([Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_1 } }), Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_2 } })]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([b1?.stop(), b2?.stop()]);
  await Promise.allSettled([gwA?.stop(), gwB?.stop()]);
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitForTone(b: Baresip, hz: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pcm = b.decodedAudio();
    const tail = pcm.subarray(Math.max(0, pcm.length - 8000));
    if (tail.length >= 8000 && toneFraction(tail, 8000, hz, 20, 200) > 0.8) return;
    if (performance.now() > deadline) throw new Error(`no ${hz} Hz decoded\n${b.output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a caller reaching the wrong instance is redirected (302) to the one its room runs on, and both participants hear each other', { timeout: 90_000 }, async () => {
  expect((await b1.command('dial', gwA.roomUri(ROOM))).ok).toBe(true);
  await b1.waitEvent('CALL_ESTABLISHED');
  await gwA.waitForLog('call joined room');

  expect((await b2.command('dial', gwB.roomUri(ROOM))).ok).toBe(true);
  const redirected = await gwB.waitForLog('room runs on another instance: caller redirected there');
  expect(redirected).toMatchObject({ room: ROOM, to: `sip:127.0.0.1:${String(gwA.sipPort)};transport=udp` });
  await b2.waitEvent('CALL_ESTABLISHED');
  await gwA.waitForLog('call joined room', () => gwA.logs('call joined room').length >= 2);
  expect(gwB.logs('call joined room')).toEqual([]);
  await waitForTone(b1, HZ_2, 20_000);
  await waitForTone(b2, HZ_1, 20_000);
});
