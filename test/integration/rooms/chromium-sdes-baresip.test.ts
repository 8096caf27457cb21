/**
 * Issue 6, test 1: a SIP endpoint with SDES-SRTP (baresip, `mediaenc srtp-mand`) and a browser
 * guest (headless Chromium on the join page) in one room of the real gateway binary.
 *
 * What baresip 1.0 offers with srtp-mand (observed): `m=audio RTP/SAVP 0 8 101` with one
 * `a=crypto:1 AES_CM_128_HMAC_SHA1_80` and rtcp-mux: the `default` profile accepts it (as a
 * logged downgrade from AEAD_AES_256_GCM, which baresip does not offer), no `interop` needed.
 * The guest negotiates DTLS-SRTP with the gateway as DTLS server (AEAD_AES_256_GCM) and Opus
 * (the gateway answers Opus first, RFC 7587): the room transcodes the guest's Opus to PCMU for
 * baresip (src/adapters/media/opus-transcoder.ts) and forwards baresip's PCMU to the guest,
 * which accepted PCMU as well; re-encrypted per leg.
 *
 * Checked at the receivers, not with the gateway's counters:
 * - baresip: the suite its SRTP module enabled (its own log line), its receive statistics
 *   (packets, no errors), and its DECODED audio carrying the guest's microphone beep
 *   (Chromium's fake device: 400 Hz every 500 ms) and not its own 1000 Hz sine;
 * - the page: the suite line from getStats (AEAD_AES_256_GCM), the codecs getStats reports
 *   (sending audio/opus, receiving audio/PCMU), and the samples it plays: baresip's 1000 Hz sine, measured
 *   with a Goertzel detector.
 *
 * And the fallback: a browser whose offer has no Opus still joins, on PCMU (relayed as is).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Baresip } from '../../helpers/baresip.ts';
import { joinRoom, launchChromium, leaveRoom, readSuiteLine, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { waitForBaresipBeeps, waitForBaresipReceiveStats, waitForGuestCodecs, waitForPageTone } from './chromium-audio-checks.ts';

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

it('carries audio both ways between baresip (SDES AES_CM_128_HMAC_SHA1_80, PCMU) and a Chromium guest (DTLS-SRTP AEAD_AES_256_GCM, sending Opus)', { timeout: 60_000 }, async () => {
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
  // the browser's own view: it sends Opus (48 kHz RTP clock, RFC 7587 s4.1), the first codec of
  // the gateway's answer. It receives PCMU: the guest's answer also lists PCMU, so the relay
  // forwards baresip's PCMU untouched (RFC 3264 6.1: any codec of the answer may be sent)
  // rather than transcode G.711 into Opus, which would cost CPU and add nothing
  expect(await waitForGuestCodecs(page)).toEqual({ sending: 'audio/opus', receiving: 'audio/PCMU', sendingClockRate: 48000 });

  // baresip -> guest: the page plays baresip's sine
  const tone = await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 });
  expect(tone.fraction).toBeGreaterThan(0.8);

  // guest -> baresip: the gateway decoded the guest's Opus, encoded PCMU; baresip decrypted
  // (AES_CM_128_HMAC_SHA1_80) and decoded the guest's beep
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

it('falls back to PCMU for a guest whose offer has no Opus, and audio still flows both ways', { timeout: 60_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri('sdes-room'))).ok).toBe(true);
  await gw.waitForLog('call joined room', (l) => l.keying === 'sdes' && gw.logs('call joined room').filter((j) => j.keying === 'sdes').length >= 2);
  const noOpus = await browser.newPage();
  // strip opus (PT 111 in Chromium's offer) and RED over it (63) from the m=audio format list
  // and their a=rtpmap/a=fmtp/a=rtcp-fb lines (RFC 8866 5.14)
  const out = await joinRoom(noOpus, {
    baseUrl: gw.webUrl ?? '',
    room: 'sdes-room',
    timeoutMs: 30_000,
    offerRewrite: { pattern: '(?<=m=audio [^\\r\\n]*) (?:111|63)(?= |\\r)|a=(?:rtpmap|fmtp|rtcp-fb):(?:111|63) [^\\r\\n]*\\r\\n', flags: 'g', replacement: '' },
  });
  expect(out).toEqual({ phase: 'in-call', error: null, rejection: null });
  expect(await waitForGuestCodecs(noOpus)).toEqual({ sending: 'audio/PCMU', receiving: 'audio/PCMU', sendingClockRate: 8000 });
  const tone = await waitForPageTone(noOpus, SINE_HZ, { timeoutMs: 30_000 });
  expect(tone.fraction).toBeGreaterThan(0.8);
  const beeps = await waitForBaresipBeeps(baresip, { ownHz: SINE_HZ, timeoutMs: 30_000 });
  expect(beeps.bursts.length).toBeGreaterThanOrEqual(4);
  await leaveRoom(noOpus);
  await baresip.command('hangup');
  await gw.waitForLog('call left room; room ended', (l) => l.room === 'sdes-room' && gw.logs('call left room; room ended').filter((e) => e.room === 'sdes-room').length >= 2);
  await noOpus.close();
});
