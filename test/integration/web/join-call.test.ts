/**
 * The join page calling a real WSS SIP engine from headless Chromium (issue 6, browser guests):
 * the INVITE that arrives, rejections with the gateway's Warning shown on the page, a bad offer
 * and a bad answer explained in plain words, and a full call against a werift echo peer with
 * SRTP by the project's core: the suite line names AEAD_AES_256_GCM, audio comes back, Mute
 * silences it, Leave sends BYE.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { JoinServer } from '../../../src/adapters/http/join-server.ts';
import { installCoreSrtp } from '../../../src/adapters/webrtc/werift-srtp-hook.ts';
import { guestStats, joinRoom, launchChromium, leaveRoom, openJoinPage, readSuiteLine, sampleRemoteAudio, waitForRemoteAudio } from '../../helpers/chromium.ts';
import type { ChromiumSession } from '../../helpers/chromium.ts';
import { webFixture } from './web-fixture.ts';
import type { WebFixture } from './web-fixture.ts';
import { startWssGateway } from './wss-gateway.ts';
import type { WssGateway } from './wss-gateway.ts';

let fx: WebFixture;
let gw: WssGateway;
let server: JoinServer;
let browser: ChromiumSession;
let page: Page;
let uninstall: () => void = () => undefined;

beforeAll(async () => {
  uninstall = installCoreSrtp();
  fx = await webFixture();
  gw = await startWssGateway(() => ({ kind: 'echo' }));
  server = await fx.start({ wssUrl: gw.wssUrl });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await gw.stop();
  await fx.dispose();
  uninstall();
});
beforeEach(async () => {
  page = await browser.newPage();
});
afterEach(async () => {
  await page.close();
  expect(gw.failures).toEqual([]);
});

describe('guest INVITE over WSS (RFC 7118)', () => {
  it('calls sip:ROOM@domain with a DTLS-SRTP offer for audio and video', async () => {
    gw.policy = () => ({ kind: 'reject', status: 480, reason: 'Temporarily Unavailable' });
    const before = gw.invites.length;
    await joinRoom(page, { baseUrl: server.url, room: 'board-room', displayName: 'Ada Guest' });
    const invite = gw.invites[before];
    expect(invite?.source.transport).toBe('wss');
    expect(invite?.requestUri).toBe('sip:board-room@127.0.0.1');
    expect(invite?.user).toBe('board-room');
    // Guests are anonymous until guest tokens exist (SIP.js default: anonymous.invalid).
    expect(invite?.from).toMatch(/^sip:anonymous\.[a-z0-9]+@anonymous\.invalid$/);
    const sdp = invite?.sdp ?? '';
    expect(sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(sdp).toMatch(/^m=video \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(sdp).toMatch(/^a=fingerprint:sha-256 [0-9A-F:]{95}\r?$/m);
    expect(sdp).toMatch(/^a=setup:actpass\r?$/m);
    // No STUN/TURN server configured: only host candidates, all on loopback here.
    const candidates = sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) expect(c).toMatch(/ typ host( |$)/);
  });

  it('shows a 488 from the crypto policy with its Warning text', async () => {
    const warning = 'policy secure: offer has no AEAD_AES_256_GCM DTLS-SRTP profile';
    gw.policy = () => ({ kind: 'reject', status: 488, reason: 'Not Acceptable Here', warning });
    const out = await joinRoom(page, { baseUrl: server.url, room: 'secure-room' });
    expect(out.phase).toBe('error');
    expect(out.rejection).toEqual({ status: 488, reason: 'Not Acceptable Here', warnings: [warning] });
    const shown = await page.textContent('#error');
    expect(shown).toContain('SIP 488 Not Acceptable Here');
    expect(shown).toContain(warning);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.isEnabled('#join-button')).toBe(true);
  });

  it('explains a rejected bad offer (the offer sent without a=fingerprint)', async () => {
    gw.policy = (inv) =>
      /^a=fingerprint:/m.test(inv.sdp ?? '')
        ? { kind: 'echo' }
        : { kind: 'reject', status: 488, reason: 'Not Acceptable Here', warning: 'offer has no a=fingerprint (RFC 8122 5)' };
    const out = await joinRoom(page, {
      baseUrl: server.url,
      room: 'board-room',
      offerRewrite: { pattern: '^a=fingerprint:.*\\r\\n', flags: 'gm', replacement: '' },
    });
    expect(out.phase).toBe('error');
    expect(out.error).toContain("your browser's media offer is not acceptable: offer has no a=fingerprint (RFC 8122 5)");
  });

  it('explains an answer the browser cannot use, and hangs up', async () => {
    gw.policy = () => ({ kind: 'bad-answer', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n' });
    const before = gw.invites.length;
    const out = await joinRoom(page, { baseUrl: server.url, room: 'board-room' });
    expect(out.phase).toBe('error');
    expect(out.error).toMatch(/^The gateway answered, but its media description could not be used/);
    const dialogId = gw.invites[before]?.dialogId ?? '';
    expect((await gw.waitForEnded(dialogId)).cause).toBe('bye');
  });
});

describe('a call that connects (werift echo peer, SRTP by the project core)', () => {
  it('shows the negotiated AEAD suite, plays the echoed audio, mutes, and leaves with BYE', async () => {
    gw.policy = () => ({ kind: 'echo' });
    const before = gw.invites.length;
    const out = await joinRoom(page, { baseUrl: server.url, room: 'board-room' });
    expect(out).toEqual({ phase: 'in-call', error: null, rejection: null });

    // The gateway side is the DTLS server, so its policy order wins: AES-256-GCM first.
    const suite = await readSuiteLine(page);
    expect(suite.suite).toBe('AEAD_AES_256_GCM');
    expect(suite.text).toMatch(/^Encrypted: AEAD_AES_256_GCM \(DTLS 1\.[23]\)$/);
    expect(suite.dtlsCipher).toMatch(/^TLS_/);

    // Audio really comes back (decoded by Chromium from SRTP, measured by Web Audio).
    expect(await waitForRemoteAudio(page)).toBeGreaterThan(0.02);
    const inbound = (await guestStats(page)).find((s) => s['type'] === 'inbound-rtp' && s['kind'] === 'audio');
    expect(Number(inbound?.['packetsReceived'])).toBeGreaterThan(0);
    expect(await sampleRemoteAudio(page)).toBeGreaterThan(0.02);

    // Mute: the guest's audio track is disabled, so the echo carries only silence.
    await page.click('#mute-button');
    expect(await page.getAttribute('#mute-button', 'aria-pressed')).toBe('true');
    await page.waitForTimeout(1500); // let audio already in flight drain (not an assertion)
    expect(await sampleRemoteAudio(page)).toBeLessThan(0.002);
    await page.click('#mute-button');
    expect(await waitForRemoteAudio(page)).toBeGreaterThan(0.02);

    await leaveRoom(page);
    expect(await page.textContent('#status')).toBe('You left the room.');
    const dialogId = gw.invites[before]?.dialogId ?? '';
    expect((await gw.waitForEnded(dialogId)).cause).toBe('bye');
  });

  it('says the call ended when the gateway hangs up', async () => {
    gw.policy = () => ({ kind: 'echo' });
    const before = gw.invites.length;
    expect((await joinRoom(page, { baseUrl: server.url, room: 'board-room' })).phase).toBe('in-call');
    expect(await gw.hangUp(gw.invites[before]?.dialogId ?? '')).toBe(200);
    await page.waitForFunction(() => (globalThis as { __gatehouse?: { phase: string } }).__gatehouse?.phase === 'ended');
    expect(await page.textContent('#status')).toBe('The call ended: the gateway hung up.');
    expect(await page.isHidden('#error')).toBe(true);
  });
});

describe('leaving before the gateway answers', () => {
  it('cancels the INVITE (RFC 3261 9.1) and does not call the 487 an error', async () => {
    gw.policy = () => ({ kind: 'ring' });
    const before = gw.invites.length;
    await openJoinPage(page, server.url, 'board-room');
    await page.click('#join-button');
    await page.waitForFunction(() => (globalThis as { __gatehouse?: { phase: string } }).__gatehouse?.phase === 'calling');
    await expect.poll(() => gw.invites.length).toBe(before + 1);
    await leaveRoom(page);
    expect(await page.textContent('#status')).toBe('You left the room.');
    expect(await page.isHidden('#error')).toBe(true);
    await expect.poll(() => gw.cancelled).toContain(gw.invites[before]?.dialogId);
  });
});
