/**
 * Issue 7, test 1 with three instances: two baresips (SDES, different sines) in one room on A;
 * B and C share A's Redis. `kill -9` A: both survivors scan at once, and a room is relayed in
 * one process, so BOTH calls must land on the same survivor (the room's home, RoomHomes) or the
 * two endpoints would not hear each other. Checked at the receivers: each baresip decodes the
 * other's sine again, counted from the kill on.
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

const ROOM = 'three-room';
const HZ_1 = 600;
const HZ_2 = 1400;

let redis: RedisServer;
let dir: string;
let gws: RoomGateway[] = [];
let b1: Baresip;
let b2: Baresip;

beforeAll(async () => {
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-three-'));
  // baresip 1.0 never re-keys (gateway-takeover.test.ts)
  const state = redisStateYaml(redis.url, writeKek(dir), { sdesKey: 'same' });
  gws = await Promise.all([0, 1, 2].map(() => startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: state })));
  [b1, b2] = await Promise.all([Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_1 } }), Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_2 } })]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([b1?.stop(), b2?.stop()]);
  await Promise.allSettled(gws.map((g) => g.stop()));
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitForTone(b: Baresip, hz: number, from: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pcm = b.decodedAudio();
    const tail = pcm.subarray(Math.max(from, pcm.length - 8000));
    if (tail.length >= 8000 && toneFraction(tail, 8000, hz, 20, 200) > 0.8) return;
    if (performance.now() > deadline) throw new Error(`no ${hz} Hz decoded after sample ${from}\n${b.output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('kill -9 with two survivors: the room moves whole to one of them and both endpoints hear each other again', { timeout: 120_000 }, async () => {
  const [a, b, c] = gws as [RoomGateway, RoomGateway, RoomGateway];
  for (const p of [b1, b2]) {
    expect((await p.command('dial', a.roomUri(ROOM))).ok).toBe(true);
    await p.waitEvent('CALL_ESTABLISHED');
  }
  await a.waitForLog('call joined room', () => a.logs('call joined room').length >= 2);
  await waitForTone(b1, HZ_2, 0, 15_000);
  await waitForTone(b2, HZ_1, 0, 15_000);

  const from1 = b1.decodedAudio().length;
  const from2 = b2.decodedAudio().length;
  a.process.child.kill('SIGKILL');
  await a.process.exited;

  const adoptedBy = async (): Promise<{ b: number; c: number }> => ({ b: b.logs('call adopted').length, c: c.logs('call adopted').length });
  const deadline = performance.now() + 30_000;
  let counts = await adoptedBy();
  while (counts.b + counts.c < 2 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    counts = await adoptedBy();
  }
  // one survivor has both, the other none
  expect([counts.b, counts.c].sort()).toEqual([0, 2]);
  await waitForTone(b1, HZ_2, from1, 20_000);
  await waitForTone(b2, HZ_1, from2, 20_000);
  expect([...b.logs('room already runs on another instance: this call does not hear the participants there'), ...c.logs('room already runs on another instance: this call does not hear the participants there')]).toEqual([]);
});
