/**
 * The join page in headless Chromium without a working gateway: it renders under its strict
 * CSP with nothing leaving 127.0.0.1, bad room links get the 404 page, and the failures a guest
 * can meet before any SIP answer (WSS unreachable, no camera/microphone permission) are shown
 * in plain words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinServer } from '../../../src/adapters/http/join-server.ts';
import { freeTcpPort } from '../../helpers/ports.ts';
import { joinRoom, launchChromium, openJoinPage, recordRequests } from '../../helpers/chromium.ts';
import type { ChromiumSession } from '../../helpers/chromium.ts';
import { webFixture } from './web-fixture.ts';
import type { WebFixture } from './web-fixture.ts';

let fx: WebFixture;
let server: JoinServer;
let closedWss: string;
let browser: ChromiumSession;

beforeAll(async () => {
  fx = await webFixture();
  // A port nobody listens on: freeTcpPort binds and releases it.
  closedWss = `wss://127.0.0.1:${await freeTcpPort()}`;
  server = await fx.start({ wssUrl: closedWss });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await fx.dispose();
});

describe('join page in Chromium', () => {
  it('renders under its CSP, runs its script, and asks nothing of anyone but 127.0.0.1', async () => {
    const page = await browser.newPage();
    const urls = recordRequests(page);
    const violations: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const response = await page.goto(`${server.url}/join/board-room`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain(`connect-src 'self' ${closedWss}`);
    await page.waitForFunction(() => (globalThis as { __gatehouse?: unknown }).__gatehouse !== undefined);
    expect(await page.textContent('h1')).toBe('Room board-room');
    expect(await page.title()).toBe('Join board-room - Gatehouse');
    expect(await page.isEnabled('#join-button')).toBe(true);
    expect(await page.isDisabled('#mute-button')).toBe(true);
    expect(await page.isDisabled('#leave-button')).toBe(true);
    expect(await page.textContent('#status')).toBe('Press Join to enter the room with your microphone and camera.');
    expect(await page.isHidden('#error')).toBe(true);
    // The stylesheet applied (served from /assets with the right type, allowed by the CSP).
    type StyleWindow = { getComputedStyle(e: unknown): { backgroundColor: string } };
    const joinColour = await page.$eval('#join-button', (b) => (globalThis as unknown as StyleWindow).getComputedStyle(b).backgroundColor);
    expect(joinColour).not.toBe('rgba(0, 0, 0, 0)');
    // Try to join so the WebSocket attempt is recorded too.
    await page.click('#join-button');
    await page.waitForFunction(() => (globalThis as { __gatehouse?: { phase: string } }).__gatehouse?.phase === 'error');
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const u of urls) expect(new URL(u).hostname).toBe('127.0.0.1');
    expect(urls.some((u) => u.startsWith('wss://'))).toBe(true);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows the 404 page for a bad room id', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/join/not%20a%20room`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('No such room');
    expect(await page.textContent('#message')).toContain('letters, digits, dots, underscores and hyphens');
    await page.close();
  });

  it('says it cannot reach the gateway when the WSS port is closed', async () => {
    const page = await browser.newPage();
    const out = await joinRoom(page, { baseUrl: server.url, room: 'board-room' });
    expect(out.phase).toBe('error');
    const shown = await page.textContent('#error');
    expect(shown).toBe(
      `Cannot reach the gateway at ${closedWss}: the secure WebSocket connection failed. Check that the gateway is running and that your browser trusts its certificate.`,
    );
    expect(out.error).toBe(shown);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.isEnabled('#join-button')).toBe(true);
    expect(await page.isDisabled('#leave-button')).toBe(true);
    await page.close();
  });
});

describe('without camera/microphone permission', () => {
  let denied: ChromiumSession;
  beforeAll(async () => {
    denied = await launchChromium({ denyMedia: true });
  });
  afterAll(() => denied.close());

  it('explains that permission is missing and never connects', async () => {
    const page = await denied.newPage();
    const urls = recordRequests(page);
    await openJoinPage(page, server.url, 'board-room');
    const out = await joinRoom(page, { baseUrl: server.url, room: 'board-room' });
    expect(out.phase).toBe('error');
    expect(out.error).toBe('No permission to use the microphone and camera. Allow access in the browser and press Join again.');
    expect(urls.some((u) => u.startsWith('wss://'))).toBe(false);
    await page.close();
  });
});
