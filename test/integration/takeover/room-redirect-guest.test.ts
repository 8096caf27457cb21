/**
 * Rooms across instances for browser guests: a room is relayed/mixed in one process, so a
 * guest who opens /join/ROOM on an instance where ROOM does not run is sent (HTTP 302) to the
 * join page of the instance where it does (its web public URL from the instance registry), and
 * calls there. baresip is in the room on A; Chromium opens B's join page, lands on A's, and the
 * two hear each other (checked at the receivers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.ts';
import { joinRoom, launchChromium, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { waitForBaresipBeeps, waitForPageTone } from '../rooms/chromium-audio-checks.ts';

const ROOM = 'guest-homed';
const SINE_HZ = 1000;

let redis: RedisServer;
let dir: string;
let gwA: RoomGateway;
let gwB: RoomGateway;
let baresip: Baresip;
let browser: ChromiumSession;
let page: Page;

beforeAll(async () => {
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-guest-redirect-'));
  const state = redisStateYaml(redis.url, writeKek(dir), { timing: false });
  [gwA, gwB] = await Promise.all([startRoomGateway({ rooms: [{ id: ROOM }], web: true, extraYaml: state }), startRoomGateway({ rooms: [{ id: ROOM }], web: true, extraYaml: state })]);
  baresip = await Baresip.start({ mediaenc: 'srtp-mand', source: { sine: SINE_HZ } });
  browser = await launchChromium();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await baresip?.stop();
  await Promise.allSettled([gwA?.stop(), gwB?.stop()]);
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("a guest opening the join page on another instance is sent to the room's instance and hears its participants", { timeout: 90_000 }, async () => {
  expect((await baresip.command('dial', gwA.roomUri(ROOM))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');
  await gwA.waitForLog('call joined room');

  const joined = await joinRoom(page, { baseUrl: gwB.webUrl ?? '', room: ROOM, timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  expect(page.url()).toBe(`${gwA.webUrl ?? ''}/join/${ROOM}`);
  await gwA.waitForLog('call joined room', (l) => l.keying === 'webrtc');
  expect(gwB.logs('call joined room')).toEqual([]);
  expect((await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 })).fraction).toBeGreaterThan(0.8);
  await waitForBaresipBeeps(baresip, { ownHz: SINE_HZ, timeoutMs: 30_000 });
});
