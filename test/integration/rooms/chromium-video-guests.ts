/**
 * Video checks for rooms of two Chromium guests (the join page), made at the receiving pages
 * from their own getStats, never from the gateway's counters:
 *
 * - cameraSize(page, size): an init script (before the join page loads) wraps
 *   navigator.mediaDevices.getUserMedia so the page's `video: true` asks for exactly this size.
 *   Chromium's fake camera crops/scales to any size, so two guests send pictures of different
 *   sizes, and a receiver can tell whose picture it decodes. Sizes at or below 320x180 pixels:
 *   libwebrtc never adapts a camera stream below 320*180 pixels (kMinPixelsPerFrame), so a busy
 *   machine cannot make the sender scale its picture down and change what the receiver sees.
 * - joinKeepingOnly(page, ..., codec): joins like joinRoom (test/helpers/chromium.ts) but with
 *   an offer whose video m-line keeps only one codec's payload types (and their rtpmap, fmtp,
 *   rtcp-fb lines); a single regular expression (joinRoom's offerRewrite) cannot do that.
 *   Like offerRewrite, only the SDP sent changes: the page's local description keeps everything.
 * - videoStats(page): inbound and outbound video (framesDecoded / framesEncoded, frame size,
 *   codec mimeType from the codec stats the RTP stats point to).
 * - poll(...): waits for a condition (deadline only against hangs; it measures nothing).
 */
import type { Page } from 'playwright-core';
import { guestStats, launchChromium, openJoinPage, type ChromiumSession, type JoinOutcome } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import type { GatehouseGlobal } from '../../../src/web/test-hook.ts';

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface VideoSide {
  /** framesDecoded (inbound) or framesEncoded (outbound). */
  readonly frames: number;
  readonly codec: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

export interface VideoStats {
  readonly inbound: VideoSide | null;
  readonly outbound: VideoSide | null;
}

type HookWindow = typeof globalThis & GatehouseGlobal;

/** The few DOM members the init script touches (the tests compile without the DOM lib). */
interface MediaDevicesLike {
  getUserMedia(constraints: { audio?: unknown; video?: unknown }): Promise<unknown>;
}

/** Makes every later getUserMedia with `video: true` on this page ask for exactly `size`. */
export async function cameraSize(page: Page, size: Size): Promise<void> {
  await page.addInitScript((s: Size) => {
    const devices = (globalThis as unknown as { navigator: { mediaDevices: MediaDevicesLike } }).navigator.mediaDevices;
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (c) => original(c.video === true ? { ...c, video: { width: { exact: s.width }, height: { exact: s.height } } } : c);
  }, size);
}

/** Opens the join page, sets an offer modifier keeping only `codec` for video, joins, waits. */
export async function joinKeepingOnly(page: Page, o: { readonly baseUrl: string; readonly room: string; readonly codec: string; readonly timeoutMs?: number }): Promise<JoinOutcome> {
  await openJoinPage(page, o.baseUrl, o.room);
  await page.evaluate((codec) => {
    const hook = (globalThis as HookWindow).__gatehouse;
    if (hook === undefined) return;
    hook.offerModifier = (sdp) => {
      const lines = sdp.split('\r\n');
      const keep = new Set<string>();
      let video = false;
      for (const l of lines) {
        if (l.startsWith('m=')) video = l.startsWith('m=video ');
        const m = /^a=rtpmap:(\d+) ([^/]+)\//.exec(l);
        if (video && m !== null && m[2]?.toLowerCase() === codec.toLowerCase()) keep.add(m[1] ?? '');
      }
      const out: string[] = [];
      video = false;
      for (const l of lines) {
        if (l.startsWith('m=')) {
          video = l.startsWith('m=video ');
          if (video) {
            const f = l.split(' ');
            out.push([...f.slice(0, 3), ...f.slice(3).filter((pt) => keep.has(pt))].join(' '));
            continue;
          }
        }
        const pt = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+) /.exec(l)?.[1];
        if (video && pt !== undefined && !keep.has(pt)) continue;
        out.push(l);
      }
      return out.join('\r\n');
    };
  }, o.codec);
  await page.click('#join-button');
  await page.waitForFunction(
    () => {
      const phase = (globalThis as HookWindow).__gatehouse?.phase;
      return phase === 'in-call' || phase === 'error' || phase === 'ended';
    },
    undefined,
    { timeout: o.timeoutMs ?? 20_000, polling: 100 },
  );
  return page.evaluate(() => {
    const h = (globalThis as HookWindow).__gatehouse;
    if (h === undefined) return { phase: 'error' as const, error: 'the page has no window.__gatehouse', rejection: null };
    return { phase: h.phase, error: h.error, rejection: h.rejection };
  });
}

/** The page's SDP: its local offer as Chromium made it (before any modifier) and the answer. */
export async function descriptions(page: Page): Promise<{ readonly local: string; readonly remote: string }> {
  return page.evaluate(() => (globalThis as HookWindow).__gatehouse?.descriptions() ?? { local: '', remote: '' });
}

export async function videoStats(page: Page): Promise<VideoStats> {
  const stats = await guestStats(page);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const side = (type: string, frames: string): VideoSide | null => {
    const rtp = stats.find((s) => s.type === type && s.kind === 'video');
    if (rtp === undefined) return null;
    const codec = stats.find((s) => s.id === rtp.codecId);
    return { frames: num(rtp[frames]) ?? 0, codec: typeof codec?.mimeType === 'string' ? codec.mimeType : null, width: num(rtp.frameWidth), height: num(rtp.frameHeight) };
  };
  return { inbound: side('inbound-rtp', 'framesDecoded'), outbound: side('outbound-rtp', 'framesEncoded') };
}

export async function poll<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `a=rtpmap`/`a=fmtp` of the video m-line's payload types, by payload type. */
export interface VideoFormatLine {
  readonly pt: string;
  readonly codec: string;
  readonly fmtp: ReadonlyMap<string, string>;
}

/** The video m-line's formats of an SDP, in m-line order (a small independent reader). */
export function videoFormats(sdp: string): VideoFormatLine[] {
  const lines = sdp.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('m=video '));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('m='));
  const section = lines.slice(start, end < 0 ? undefined : end);
  const pts = (section[0] ?? '').split(' ').slice(3);
  return pts.map((pt) => {
    const rtpmap = section.find((l) => l.startsWith(`a=rtpmap:${pt} `));
    const fmtpLine = section.find((l) => l.startsWith(`a=fmtp:${pt} `));
    const fmtp = new Map<string, string>();
    for (const p of (fmtpLine?.slice(`a=fmtp:${pt} `.length) ?? '').split(';')) {
      const eq = p.indexOf('=');
      if (eq > 0) fmtp.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
    }
    return { pt, codec: rtpmap?.slice(`a=rtpmap:${pt} `.length).split('/')[0] ?? '', fmtp };
  });
}

/** Two guests' fake cameras of different sizes: each page can tell the other's picture from its own. */
export const TWO_CAMERA_SIZES: readonly [Size, Size] = [
  { width: 320, height: 180 },
  { width: 256, height: 144 },
];

export interface TwoCameraGuests {
  readonly gw: RoomGateway;
  readonly browser: ChromiumSession;
  /** One page per TWO_CAMERA_SIZES entry, its camera set to that size, not joined yet. */
  readonly pages: readonly [Page, Page];
  stop(): Promise<void>;
}

/** The real gateway (join page on) serving `room`, and one Chromium with two camera pages. */
export async function startTwoCameraGuests(room: string): Promise<TwoCameraGuests> {
  const gw = await startRoomGateway({ rooms: [{ id: room }], web: true });
  const browser = await launchChromium();
  const stop = async (): Promise<void> => {
    await browser.close();
    await gw.stop();
  };
  const pages: Page[] = [];
  for (const size of TWO_CAMERA_SIZES) {
    const page = await browser.newPage();
    await cameraSize(page, size);
    pages.push(page);
  }
  return { gw, browser, pages: [pages[0] as Page, pages[1] as Page], stop };
}
