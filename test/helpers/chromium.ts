/**
 * Headless Chromium (Debian `chromium`) through playwright-core, for WebRTC guest tests, and
 * the helpers that drive the join page (/join/ROOM, src/web/) as a guest would.
 *
 * Each launch gets a fresh profile directory (no state between runs), fake camera/microphone
 * (a test pattern and a beep), auto-accepted permission prompts, loopback ICE candidates, no
 * background traffic, and accepts the join server's self-signed development certificate.
 *
 * The page exposes `window.__gatehouse` for tests (contract in src/web/test-hook.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import type { GatehouseGlobal, GuestPhase, GuestRejection, GuestSuite } from '../../src/web/test-hook.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // The join server's development certificate is self-signed (src/adapters/http/dev-certificate.ts).
  '--ignore-certificate-errors',
];

export interface LaunchOptions {
  /** Leave out the fake permission UI so getUserMedia is refused (NotAllowedError). */
  readonly denyMedia?: boolean;
}

export interface ChromiumSession {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  /** Closes the browser and deletes the profile directory. */
  close(): Promise<void>;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found; install with: apt-get install chromium`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
  const args = options.denyMedia === true ? CHROMIUM_FLAGS.filter((f) => f !== '--use-fake-ui-for-media-stream') : [...CHROMIUM_FLAGS];
  let context: BrowserContext;
  try {
    // launchPersistentContext is how Playwright takes a --user-data-dir (fresh per run).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args,
      ignoreHTTPSErrors: true,
      viewport: { width: 1024, height: 768 },
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`Chromium at ${CHROMIUM_PATH} did not start (${(err as Error).message}); install with: apt-get install chromium`, { cause: err });
  }
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Every URL the page asks for (HTTP requests and WebSocket connections), for "nothing leaves
 * loopback" checks. Call before navigating. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('websocket', (ws) => urls.push(ws.url()));
  return urls;
}

/** A serialisable offer rewrite (applied in the page to the SDP sent, not the local one). */
export interface OfferRewrite {
  readonly pattern: string;
  readonly flags: string;
  readonly replacement: string;
}

export interface JoinOptions {
  /** Join server URL, e.g. https://127.0.0.1:8443. */
  readonly baseUrl: string;
  readonly room: string;
  readonly displayName?: string;
  /** Send a deliberately bad offer (e.g. strip a=fingerprint) to test gateway rejections. */
  readonly offerRewrite?: OfferRewrite;
  /** How long to wait for the call to be up or to fail (a wait, not an assertion). */
  readonly timeoutMs?: number;
}

export interface JoinOutcome {
  readonly phase: GuestPhase;
  readonly error: string | null;
  readonly rejection: GuestRejection | null;
}

type HookWindow = typeof globalThis & GatehouseGlobal;

/** Opens /join/ROOM, presses Join and waits until the guest is in the call or has failed. */
export async function joinRoom(page: Page, options: JoinOptions): Promise<JoinOutcome> {
  await openJoinPage(page, options.baseUrl, options.room);
  if (options.displayName !== undefined) await page.fill('#display-name', options.displayName);
  if (options.offerRewrite !== undefined) {
    await page.evaluate((rw) => {
      const hook = (globalThis as HookWindow).__gatehouse;
      if (hook) hook.offerModifier = (sdp) => sdp.replace(new RegExp(rw.pattern, rw.flags), rw.replacement);
    }, options.offerRewrite);
  }
  await page.click('#join-button');
  await page.waitForFunction(
    () => {
      const phase = (globalThis as HookWindow).__gatehouse?.phase;
      return phase === 'in-call' || phase === 'error' || phase === 'ended';
    },
    undefined,
    { timeout: options.timeoutMs ?? 20_000, polling: 100 },
  );
  return page.evaluate(() => {
    const h = (globalThis as HookWindow).__gatehouse;
    if (h === undefined) return { phase: 'error' as const, error: 'the page has no window.__gatehouse', rejection: null };
    return { phase: h.phase, error: h.error, rejection: h.rejection };
  });
}

/** Navigates to the join page and waits for its script to install `window.__gatehouse`. */
export async function openJoinPage(page: Page, baseUrl: string, room: string): Promise<void> {
  await page.goto(`${baseUrl}/join/${room}`);
  await page.waitForFunction(() => (globalThis as HookWindow).__gatehouse !== undefined, undefined, { timeout: 10_000 });
}

/** Waits for DTLS-SRTP to finish and returns the suite the page shows (from getStats). */
export async function readSuiteLine(page: Page, timeoutMs = 15_000): Promise<GuestSuite & { readonly text: string }> {
  await page.waitForFunction(() => (globalThis as HookWindow).__gatehouse?.suite != null, undefined, { timeout: timeoutMs, polling: 200 });
  const suite = await page.evaluate(() => (globalThis as HookWindow).__gatehouse?.suite ?? null);
  if (suite === null) throw new Error('the page reported no SRTP suite');
  const text = (await page.textContent('#suite')) ?? '';
  return { ...suite, text };
}

/**
 * Waits until the remote audio (what the gateway sends the guest) carries energy: the RMS of
 * the page's Web Audio analyser (0.68 s window) goes above `minRms` (0..1; Chromium's fake
 * microphone beep echoed back reads ~0.07-0.1, silence 0). Returns the level seen. Silence or
 * no audio track: times out.
 */
export async function waitForRemoteAudio(page: Page, minRms = 0.02, timeoutMs = 15_000): Promise<number> {
  const handle = await page.waitForFunction(
    (min) => {
      const level = (globalThis as HookWindow).__gatehouse?.remoteAudioLevel() ?? 0;
      return level > min ? level : false;
    },
    minRms,
    { timeout: timeoutMs, polling: 100 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * The loudest remote audio level seen while sampling every 100 ms for `windowMs` (a sampling
 * window, not a timing assertion): Chromium's fake microphone beeps about once a second, so a
 * window of a few seconds sees a beep when audio flows, and only silence when it does not.
 */
export async function sampleRemoteAudio(page: Page, windowMs = 3000): Promise<number> {
  return page.evaluate(
    (ms) =>
      new Promise<number>((resolve) => {
        let max = 0;
        const timer = setInterval(() => {
          max = Math.max(max, (globalThis as HookWindow).__gatehouse?.remoteAudioLevel() ?? 0);
        }, 100);
        setTimeout(() => {
          clearInterval(timer);
          resolve(max);
        }, ms);
      }),
    windowMs,
  );
}

/** getStats() of the guest's peer connection, as plain objects ([] before a call). */
export async function guestStats(page: Page): Promise<Array<Record<string, unknown>>> {
  return page.evaluate(() => (globalThis as HookWindow).__gatehouse?.stats() ?? Promise.resolve([]));
}

/** Presses Leave and waits for the page to report the call ended. */
export async function leaveRoom(page: Page, timeoutMs = 10_000): Promise<void> {
  await page.click('#leave-button');
  await page.waitForFunction(() => (globalThis as HookWindow).__gatehouse?.phase === 'ended', undefined, { timeout: timeoutMs, polling: 100 });
}
