/**
 * Issue 6, test 6 of the list: browser guests through the join page of the real
 * gateway binary. The gateway answers a=setup:passive (DTLS server) with 0x0008 first in its
 * use_srtp list, so Chromium's offer of AEAD_AES_256_GCM wins over its own order
 * (DESIGN.md "Media").
 *
 * - Two guests in one room: each page's suite line (from the browser's getStats) names
 *   AEAD_AES_256_GCM, the gateway's 'DTLS-SRTP keyed' lines say the same for both calls, and
 *   audio flows both ways: each page plays the other guest's fake-microphone beep (400 Hz
 *   every 500 ms), measured on the samples the page plays.
 * - One guest alone: the page shows the room it joined and the suite, Leave sends BYE and the
 *   gateway ends the room.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { joinRoom, launchChromium, leaveRoom, readSuiteLine, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { waitForPageBeeps } from './chromium-audio-checks.ts';

let gw: RoomGateway;
let browser: ChromiumSession;

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: 'guests' }, { id: 'solo', name: 'Solo room' }], web: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

it('two guests negotiate AEAD_AES_256_GCM (page and gateway agree) and hear each other', { timeout: 60_000 }, async () => {
  const pages = [await browser.newPage(), await browser.newPage()];
  for (const [i, page] of pages.entries()) {
    const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: 'guests', displayName: `Guest ${i + 1}`, timeoutMs: 30_000 });
    expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
    const suite = await readSuiteLine(page, 30_000);
    expect(suite.suite).toMatch(/^AEAD_AES_(128|256)_GCM$/);
    expect(suite.suite).toBe('AEAD_AES_256_GCM');
    expect(suite.srtpCipher).toBe('SRTP_AEAD_AES_256_GCM');
    expect(suite.text).toContain('AEAD_AES_256_GCM');
    expect(await page.isVisible('#suite')).toBe(true);
  }
  // the gateway's own reading of each handshake names the same suite
  await gw.waitForLog('DTLS-SRTP keyed', (l) => l.keying === 'webrtc' && gw.logs('DTLS-SRTP keyed').filter((k) => k.keying === 'webrtc' && k.room === 'guests').length >= 2);
  const keyed = gw.logs('DTLS-SRTP keyed').filter((l) => l.keying === 'webrtc' && l.room === 'guests');
  expect(keyed.map((l) => l.suite)).toEqual(['AEAD_AES_256_GCM', 'AEAD_AES_256_GCM']);
  expect(new Set(keyed.map((l) => l.callId)).size).toBe(2);

  // both ways: each page plays the other guest's beep
  const heard = await Promise.all(pages.map((page) => waitForPageBeeps(page, { timeoutMs: 30_000 })));
  for (const beeps of heard) expect(beeps.bursts.length).toBeGreaterThanOrEqual(4);

  for (const page of pages) await leaveRoom(page);
  await gw.waitForLog('call left room; room ended', (l) => l.room === 'guests');
  for (const page of pages) await page.close();
});

it('a guest alone sees the room it joined, and Leave ends the call and the room', { timeout: 60_000 }, async () => {
  const page = await browser.newPage();
  const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: 'solo', timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  expect(await page.textContent('#room-name')).toBe('solo');
  expect(await page.textContent('#status')).toBe('In room solo.');
  expect(await page.getAttribute('#join', 'data-phase')).toBe('in-call');
  expect(await page.isEnabled('#leave-button')).toBe(true);
  expect(await page.isEnabled('#join-button')).toBe(false);
  expect(await page.isHidden('#error')).toBe(true);
  const suite = await readSuiteLine(page, 30_000);
  expect(suite.text).toMatch(/^Encrypted: AEAD_AES_256_GCM/);
  expect(await page.getAttribute('#suite', 'data-encrypted')).toBe('true');
  const joinedLog = await gw.waitForLog('call joined room', (l) => l.room === 'solo');
  expect(joinedLog).toMatchObject({ keying: 'webrtc', transport: 'wss' });
  expect(await gw.waitForLog('DTLS-SRTP keyed', (l) => l.callId === joinedLog.callId)).toMatchObject({ suite: suite.suite });

  await leaveRoom(page);
  const ended = await gw.waitForLog('call left room; room ended', (l) => l.room === 'solo');
  expect(ended).toMatchObject({ callId: joinedLog.callId, cause: 'bye' });
  expect(await page.isEnabled('#join-button')).toBe(true);
  expect(await page.isEnabled('#leave-button')).toBe(false);
  await page.close();
});
