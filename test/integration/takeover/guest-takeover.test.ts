/**
 * Issue 7, test 2 with the real gateway binary: a browser guest (headless Chromium on A's join
 * page) and a SIP endpoint (baresip, SDES) in one room on instance A; B shares A's Redis and
 * is the page's fallback WSS URL. `kill -9` A:
 * - baresip: B claims its call when A's heartbeat lapses and re-INVITEs it (same dialog);
 * - the guest: its WebSocket dies with A; the page reconnects to B and re-offers in the same
 *   dialog with an ICE restart; B claims the call, answers with a new WebRTC leg (new DTLS
 *   handshake) and puts it in the same room.
 * Both must hear each other again, checked at the receivers from the moment of the kill on:
 * the page's played audio (a fresh capture, A is dead by then) carries baresip's sine, and
 * baresip's decoded audio after the kill carries the guest's beep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.ts';
import { joinRoom, launchChromium, readSuiteLine, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { analyseBeeps, isBeeping, waitForBaresipBeeps, waitForPageTone, type BeepReading } from '../rooms/chromium-audio-checks.ts';

const ROOM = 'guest-takeover';
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
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-guest-takeover-'));
  // baresip 1.0 never re-keys on a re-INVITE (see gateway-takeover.test.ts)
  const state = redisStateYaml(redis.url, writeKek(dir), { sdesKey: 'same' });
  gwB = await startRoomGateway({ rooms: [{ id: ROOM }], web: true, extraYaml: state });
  gwA = await startRoomGateway({ rooms: [{ id: ROOM }], web: true, webFallbackWssUrls: [`wss://127.0.0.1:${String(gwB.wssPort)}`], extraYaml: state });
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

/** Beeps in what baresip decoded from sample `from` on (at least `ms` of it). */
async function beepsSince(from: number, ms: number, timeoutMs: number): Promise<BeepReading> {
  const deadline = performance.now() + timeoutMs;
  let last: BeepReading = { bursts: [], periodMs: null, dominantHz: null, foreignFraction: 0 };
  for (;;) {
    const pcm = baresip.decodedAudio().subarray(from);
    const tail = pcm.subarray(Math.max(0, pcm.length - (8000 * ms) / 1000));
    if (tail.length >= (8000 * ms) / 1000) {
      last = analyseBeeps(tail, 8000, 1000, SINE_HZ);
      if (isBeeping(last, 4)) return last;
    }
    if (performance.now() > deadline) throw new Error(`no guest beep decoded by baresip after the kill (${pcm.length} samples): ${JSON.stringify({ ...last, bursts: last.bursts.length })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const descriptions = (p: Page): Promise<{ local: string; remote: string }> =>
  p.evaluate(() => (globalThis as unknown as { __gatehouse: { descriptions(): { local: string; remote: string } } }).__gatehouse.descriptions());
const attr = (sdp: string, name: string): string | undefined => new RegExp(`^a=${name}:(.*)$`, 'm').exec(sdp)?.[1];

const phase = (p: Page): Promise<string> => p.evaluate(() => (globalThis as unknown as { __gatehouse?: { phase: string } }).__gatehouse?.phase ?? 'none');

it('kill -9 of the owner: the guest reconnects to the survivor with an ICE restart, baresip is re-INVITEd, and both hear each other again', { timeout: 150_000 }, async () => {
  expect((await baresip.command('dial', gwA.roomUri(ROOM))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');
  await gwA.waitForLog('call joined room', (l) => l.keying === 'sdes');
  expect(await joinRoom(page, { baseUrl: gwA.webUrl ?? '', room: ROOM, timeoutMs: 30_000 })).toEqual({ phase: 'in-call', error: null, rejection: null });
  const guestJoined = await gwA.waitForLog('call joined room', (l) => l.keying === 'webrtc');
  expect((await readSuiteLine(page, 30_000)).suite).toBe('AEAD_AES_256_GCM');

  // through A, both ways
  expect((await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 })).fraction).toBeGreaterThan(0.8);
  await waitForBaresipBeeps(baresip, { ownHz: SINE_HZ, timeoutMs: 30_000 });

  const before = await descriptions(page);
  const from = baresip.decodedAudio().length;
  const killedAt = performance.now();
  gwA.process.child.kill('SIGKILL');
  await gwA.process.exited;

  // B: baresip's call by the orphan scan + re-INVITE; the guest's by its own re-INVITE
  await gwB.waitForLog('call adopted', () => true, 30_000);
  const resumed = await gwB.waitForLog('takeover: guest call resumed on this instance', () => true, 60_000);
  expect(resumed).toMatchObject({ room: ROOM, dialogId: guestJoined.dialogId, epoch: 2 });
  await gwB.waitForLog('DTLS-SRTP keyed', (l) => l.keying === 'webrtc', 30_000);
  await page.waitForFunction(() => (globalThis as unknown as { __gatehouse?: { phase: string } }).__gatehouse?.phase === 'in-call', undefined, { timeout: 30_000 });

  // A is dead: whatever the page plays now and baresip decodes from `from` on came through B
  const tone = await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 });
  expect(tone.fraction).toBeGreaterThan(0.8);
  const beeps = await beepsSince(from, 3000, 30_000);
  expect(beeps.bursts.length).toBeGreaterThanOrEqual(4);
  console.log(`guest takeover: kill -9 -> both directions verified in ${Math.round(performance.now() - killedAt)} ms`);

  // the page still shows an AEAD GCM suite (the new handshake with B) and no error
  expect((await readSuiteLine(page, 30_000)).suite).toBe('AEAD_AES_256_GCM');
  expect(await phase(page)).toBe('in-call');
  // an ICE restart (new ufrag of the browser's) and a new DTLS handshake (B's certificate)
  const after = await descriptions(page);
  expect(attr(after.local, 'ice-ufrag')).not.toBe(attr(before.local, 'ice-ufrag'));
  expect(attr(after.remote, 'fingerprint')).not.toBe(attr(before.remote, 'fingerprint'));
  expect(attr(after.remote, 'setup')).toBe('passive');
  expect(baresip.events.filter((e) => e.type === 'CALL_CLOSED')).toEqual([]);
  // nothing was released or rejected on B
  expect(gwB.logs('stray re-INVITE refused')).toEqual([]);
});
