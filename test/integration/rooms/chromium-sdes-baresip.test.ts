/**
 * Issue 6, test 1: a SIP endpoint with SDES-SRTP (baresip, `mediaenc srtp-mand`) and a browser
 * guest (headless Chromium on the join page) in one room of the real gateway binary.
 *
 * What baresip 1.0 offers with srtp-mand (observed): `m=audio RTP/SAVP 0 8 101` with one
 * `a=crypto:1 AES_CM_128_HMAC_SHA1_80` and rtcp-mux: the `default` profile accepts it (as a
 * logged downgrade from AEAD_AES_256_GCM, which baresip does not offer), no `interop` needed.
 * The guest negotiates DTLS-SRTP with the gateway as DTLS server (AEAD_AES_256_GCM) and PCMU,
 * so the room relays PCMU both ways, re-encrypted per leg.
 *
 * Checked at the receivers, not with the gateway's counters:
 * - baresip: the suite its SRTP module enabled (its own log line), its receive statistics
 *   (packets, no errors), and its DECODED audio carrying the guest's microphone beep
 *   (Chromium's fake device: 400 Hz every 500 ms) and not its own 1000 Hz sine;
 * - the page: the suite line from getStats (AEAD_AES_256_GCM), and the samples it plays:
 *   baresip's 1000 Hz sine, measured with a Goertzel detector.
 *
 * And the refusal path: a browser offering only Opus cannot join a room with a G.711 SIP leg
 * (no Opus decoder in this build): 488 Not Acceptable Here with the reason, shown on the page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Baresip } from '../../helpers/baresip.ts';
import { joinRoom, launchChromium, leaveRoom, readSuiteLine, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { waitForBaresipBeeps, waitForBaresipReceiveStats, waitForPageTone } from './chromium-audio-checks.ts';

const SINE_HZ = 1000;
let gw: RoomGateway;
let baresip: Baresip;
let browser: ChromiumSession;
let page: Page;

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: 'sdes-room' }], web: true });
  baresip = await Baresip.start({ mediaenc: 'srtp-mand', source: { sine: SINE_HZ } });
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await baresip?.stop();
  await gw?.stop();
});

it('relays audio both ways between baresip (SDES AES_CM_128_HMAC_SHA1_80) and a Chromium guest (DTLS-SRTP AEAD_AES_256_GCM)', { timeout: 60_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri('sdes-room'))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');
  const sipJoined = await gw.waitForLog('call joined room', (l) => l.keying === 'sdes');
  expect(sipJoined).toMatchObject({ room: 'sdes-room', suite: 'AES_CM_128_HMAC_SHA1_80', profile: 'default' });
  // baresip's own view of the suite it encrypts and decrypts with
  expect(baresip.output).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_80\)/);

  const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: 'sdes-room', timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  const suite = await readSuiteLine(page, 30_000);
  expect(suite.suite).toBe('AEAD_AES_256_GCM');
  expect(suite.srtpCipher).toBe('SRTP_AEAD_AES_256_GCM');
  expect(await gw.waitForLog('DTLS-SRTP keyed', (l) => l.keying === 'webrtc')).toMatchObject({ room: 'sdes-room', suite: 'AEAD_AES_256_GCM' });

  // baresip -> guest: the page plays baresip's sine
  const tone = await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 });
  expect(tone.fraction).toBeGreaterThan(0.8);

  // guest -> baresip: baresip decrypted (AES_CM_128_HMAC_SHA1_80) and decoded the guest's beep
  const beeps = await waitForBaresipBeeps(baresip, { ownHz: SINE_HZ, timeoutMs: 30_000 });
  expect(beeps.bursts.length).toBeGreaterThanOrEqual(4);

  await leaveRoom(page);
  await gw.waitForLog('call left room', (l) => l.room === 'sdes-room');
  await baresip.command('hangup');
  await gw.waitForLog('call left room; room ended', (l) => l.room === 'sdes-room');
  // baresip's own RTP statistics: packets it received, none it failed to decrypt/authenticate
  const stats = await waitForBaresipReceiveStats(baresip);
  expect(stats.packets).toBeGreaterThan(100);
  expect(stats.errors).toBe(0);
});

it('refuses a guest that offers only Opus next to a G.711 SIP leg: 488 with the reason on the page', { timeout: 60_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri('sdes-room'))).ok).toBe(true);
  await gw.waitForLog('call joined room', (l) => l.keying === 'sdes' && gw.logs('call joined room').filter((j) => j.keying === 'sdes').length >= 2);
  const opusOnly = await browser.newPage();
  // strip PCMA/PCMU/G722 from the m=audio format list and their rtpmaps (RFC 8866 5.14)
  const out = await joinRoom(opusOnly, {
    baseUrl: gw.webUrl ?? '',
    room: 'sdes-room',
    timeoutMs: 30_000,
    offerRewrite: { pattern: '(?<=m=audio [^\\r\\n]*) (?:0|8|9)(?= |\\r)|a=rtpmap:(?:0|8|9) [^\\r\\n]*\\r\\n', flags: 'g', replacement: '' },
  });
  expect(out.phase).toBe('error');
  expect(out.rejection).toEqual({ status: 488, reason: 'Not Acceptable Here', warnings: ['Opus cannot be mixed; offer PCMU, PCMA or G722'] });
  expect(await opusOnly.textContent('#error')).toContain('SIP 488 Not Acceptable Here');
  // the SIP participant is unaffected; it leaves and the room ends
  await baresip.command('hangup');
  await gw.waitForLog('call left room; room ended', (l) => l.room === 'sdes-room' && gw.logs('call left room; room ended').filter((e) => e.room === 'sdes-room').length >= 2);
  await opusOnly.close();
});
