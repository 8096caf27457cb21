/**
 * Issue 6, test 3 of the list: a SIP endpoint with DTLS-SRTP and no ICE (baresip,
 * `mediaenc dtls_srtp`, `UDP/TLS/RTP/SAVPF` without candidates) and a browser guest in one
 * room of the real gateway binary. baresip runs without rtcp-mux, so the gateway does DTLS over
 * plain UDP on two components (RTP and RTCP, RFC 5764 4.1.2): baresip is DTLS client
 * (a=setup:actpass offer, gateway answers passive), so the gateway's use_srtp order wins.
 *
 * Checked at the receivers, not with the gateway's counters:
 * - baresip: the profile its own DTLS stack reports for both components (AEAD_AES_256_GCM),
 *   CALL_MENC (media secure), receive statistics without errors, and its DECODED audio carrying
 *   the guest's microphone beep and not its own 1000 Hz sine;
 * - the page: the suite line (AEAD_AES_256_GCM), the codecs in its getStats (sends Opus,
 *   receives PCMU) and baresip's sine in what it plays (Goertzel).
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
  gw = await startRoomGateway({ rooms: [{ id: 'dtls-room' }], web: true });
  baresip = await Baresip.start({ mediaenc: 'dtls_srtp', source: { sine: SINE_HZ }, rtcpMux: false });
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await baresip?.stop();
  await gw?.stop();
});

it('relays audio both ways between baresip (DTLS-SRTP over plain UDP, no ICE) and a Chromium guest, AEAD_AES_256_GCM on both legs', { timeout: 60_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri('dtls-room'))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');
  await baresip.waitEvent('CALL_MENC');
  expect(await gw.waitForLog('DTLS-SRTP keyed', (l) => l.keying === 'dtls-udp')).toMatchObject({ room: 'dtls-room', suite: 'AEAD_AES_256_GCM' });
  // baresip's own DTLS stack: both components keyed with the gateway's first profile (the
  // RTCP component's handshake may finish after CALL_MENC, which follows the RTP one)
  await waitUntil(() => baresip.dtlsProfiles().length >= 2, () => `baresip reported DTLS-SRTP for ${JSON.stringify(baresip.dtlsProfiles())} only`);
  expect(baresip.dtlsProfiles()).toEqual(
    expect.arrayContaining([
      { component: 'audio/RTP', profile: 'AEAD_AES_256_GCM' },
      { component: 'audio/RTCP', profile: 'AEAD_AES_256_GCM' },
    ]),
  );
  expect(baresip.dtlsProfiles().every((p) => p.profile === 'AEAD_AES_256_GCM')).toBe(true);

  const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: 'dtls-room', timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  const suite = await readSuiteLine(page, 30_000);
  expect(suite.suite).toBe('AEAD_AES_256_GCM');
  expect(suite.srtpCipher).toBe('SRTP_AEAD_AES_256_GCM');
  expect(await gw.waitForLog('DTLS-SRTP keyed', (l) => l.keying === 'webrtc')).toMatchObject({ room: 'dtls-room', suite: 'AEAD_AES_256_GCM' });
  // the guest sends Opus (first in the gateway's answer), transcoded to baresip's G.711; it
  // receives baresip's PCMU forwarded as is (it accepted PCMU too)
  expect(await waitForGuestCodecs(page)).toEqual({ sending: 'audio/opus', receiving: 'audio/PCMU', sendingClockRate: 48000 });

  // baresip -> guest: the page plays baresip's sine
  const tone = await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 });
  expect(tone.fraction).toBeGreaterThan(0.8);

  // guest -> baresip: baresip decrypted (AEAD_AES_256_GCM) and decoded the guest's beep
  const beeps = await waitForBaresipBeeps(baresip, { ownHz: SINE_HZ, timeoutMs: 30_000 });
  expect(beeps.bursts.length).toBeGreaterThanOrEqual(4);

  await leaveRoom(page);
  await gw.waitForLog('call left room', (l) => l.room === 'dtls-room');
  await baresip.command('hangup');
  await gw.waitForLog('call left room; room ended', (l) => l.room === 'dtls-room');
  const stats = await waitForBaresipReceiveStats(baresip);
  expect(stats.packets).toBeGreaterThan(100);
  expect(stats.errors).toBe(0);
});

async function waitUntil(cond: () => boolean, explain: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(explain());
    await new Promise((r) => setTimeout(r, 50));
  }
}
