/**
 * Issue 6 video, the join page's "no camera" fallback: a browser guest whose camera is missing
 * joins a video room of the real gateway binary where baresip (VP8, SDES) sends and receives
 * video.
 *
 * The page (src/web/guest-call.ts `openMedia`) asks getUserMedia for audio and video; when that
 * fails with NotFoundError it joins with the microphone alone, and offers VIDEO_SLOTS + 1
 * receive-only video m-lines (src/web/video-slots.ts `slotsToOffer`: its first video m-line is
 * then a slot too). "No camera" is made at the browser API: an init script makes every
 * getUserMedia request with video reject with DOMException NotFoundError (what Chromium throws
 * when no camera exists) and passes audio-only requests to the real (fake-device) call.
 *
 * Checked at the receivers, never with the gateway's counters:
 *   - the page: asked with video first and audio alone second (the fallback ran), is in the
 *     call with no error, shows the negotiated SRTP suite; its offer has no sending video
 *     m-line, only recvonly ones;
 *   - audio both ways: the page plays baresip's sine (Goertzel), baresip's DECODED audio
 *     carries the page's fake-microphone beep;
 *   - no video from the guest: getStats has no outbound-rtp video (or one with 0 packets), and
 *     baresip decoded no video picture (no "receiving with resolution" line) and its RTP
 *     statistics at hangup count 0 received video packets;
 *   - video to the guest: getStats inbound-rtp video decodes baresip's VP8 (176x144,
 *     framesDecoded growing), shown in the page's first tile: the gateway uses the first
 *     receive-only video m-line (its "main" one) as one more slot, so no tile stays empty.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Baresip } from '../../helpers/baresip.ts';
import { guestStats, joinRoom, launchChromium, leaveRoom, readSuiteLine, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { poll } from './chromium-video-guests.ts';
import type { GatehouseGlobal, VideoTileState } from '../../../src/web/test-hook.ts';
import { waitForBaresipBeeps, waitForPageTone } from './chromium-audio-checks.ts';

const ROOM = 'no-camera';
const SINE_HZ = 1000;
const BARESIP_SIZE = { width: 176, height: 144 };
let gw: RoomGateway;
let baresip: Baresip;
let browser: ChromiumSession;
let page: Page;

/** What the init script records of each getUserMedia call: whether it asked for video, and how it ended. */
interface GumCall {
  readonly video: boolean;
  readonly outcome: string;
}
type GumWindow = typeof globalThis & { __gumCalls?: GumCall[] };

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: ROOM }], web: true });
  baresip = await Baresip.start({ mediaenc: 'srtp-mand', source: { sine: SINE_HZ }, video: BARESIP_SIZE });
  browser = await launchChromium();
  page = await browser.newPage();
  // No camera: a request with video fails as Chromium fails it when no camera exists; an
  // audio-only request reaches the real (fake-device) getUserMedia.
  await page.addInitScript(() => {
    interface Md {
      getUserMedia(c?: { audio?: unknown; video?: unknown }): Promise<unknown>;
    }
    const g = globalThis as unknown as { navigator: { mediaDevices: Md }; __gumCalls: GumCall[]; DOMException: new (message: string, name: string) => Error };
    const md = g.navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    g.__gumCalls = [];
    md.getUserMedia = async (c) => {
      const video = c?.video !== undefined && c.video !== false;
      if (video) {
        g.__gumCalls.push({ video, outcome: 'NotFoundError' });
        throw new g.DOMException('Requested device not found', 'NotFoundError');
      }
      try {
        const stream = await original(c);
        g.__gumCalls.push({ video, outcome: 'ok' });
        return stream;
      } catch (err) {
        g.__gumCalls.push({ video, outcome: String(err) });
        throw err;
      }
    };
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await baresip?.stop();
  await gw?.stop();
});

interface InboundVideo {
  readonly trackId: string;
  readonly mid: string;
  readonly framesDecoded: number;
  readonly codec: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

async function inboundVideos(p: Page): Promise<InboundVideo[]> {
  const stats = await guestStats(p);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return stats
    .filter((s) => s.type === 'inbound-rtp' && s.kind === 'video')
    .map((s) => {
      const codec = stats.find((c) => c.id === s.codecId);
      return {
        trackId: String(s.trackIdentifier),
        mid: String(s.mid),
        framesDecoded: num(s.framesDecoded) ?? 0,
        codec: typeof codec?.mimeType === 'string' ? codec.mimeType : null,
        width: num(s.frameWidth),
        height: num(s.frameHeight),
      };
    });
}

/** Video the page sends: every outbound-rtp video entry's packetsSent (none: []). */
async function outboundVideoPackets(p: Page): Promise<number[]> {
  return (await guestStats(p)).filter((s) => s.type === 'outbound-rtp' && s.kind === 'video').map((s) => (typeof s.packetsSent === 'number' ? s.packetsSent : 0));
}

function tiles(p: Page): Promise<VideoTileState[]> {
  return p.evaluate(() => (globalThis as GatehouseGlobal).__gatehouse?.videoTiles() ?? []);
}

/** The direction attribute of each m=video section of an SDP, in order. */
function videoDirections(sdp: string): string[] {
  return sdp
    .split(/\r?\n(?=m=)/)
    .filter((m) => m.startsWith('m=video'))
    .map((m) => /^a=(sendrecv|sendonly|recvonly|inactive)$/m.exec(m)?.[1] ?? 'sendrecv');
}

it('joins a camera-less browser guest to a video room with microphone only; it receives and decodes baresip\'s VP8 and sends no video', { timeout: 120_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri(ROOM))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');

  const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: ROOM, displayName: 'No camera', timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  // the fallback ran: video asked for and refused, then the microphone alone
  expect(await page.evaluate(() => (globalThis as GumWindow).__gumCalls ?? [])).toEqual([
    { video: true, outcome: 'NotFoundError' },
    { video: false, outcome: 'ok' },
  ]);
  const suite = await readSuiteLine(page, 30_000);
  expect(suite.suite).toBe('AEAD_AES_256_GCM');
  expect(suite.text).toContain('AEAD_AES_256_GCM');

  // the page's offer: no video it sends, VIDEO_SLOTS + 1 = 4 receive-only video m-lines
  const sdp = await page.evaluate(() => (globalThis as GatehouseGlobal).__gatehouse?.descriptions() ?? { local: '', remote: '' });
  expect(videoDirections(sdp.local), "the video m-lines of the page's offer").toEqual(['recvonly', 'recvonly', 'recvonly', 'recvonly']);

  // audio, baresip -> guest: the page plays baresip's sine
  const tone = await waitForPageTone(page, SINE_HZ, { timeoutMs: 30_000 });
  expect(tone.fraction).toBeGreaterThan(0.8);
  // audio, guest -> baresip: baresip decoded the page's fake-microphone beep, not its own sine
  const beeps = await waitForBaresipBeeps(baresip, { ownHz: SINE_HZ, timeoutMs: 30_000 });
  expect(beeps.bursts.length).toBeGreaterThanOrEqual(4);

  // video, baresip -> guest: decoded VP8 of baresip's size, and it keeps decoding
  const hasBaresip = (vs: InboundVideo[]): InboundVideo | undefined => vs.find((v) => v.framesDecoded > 0 && v.width === BARESIP_SIZE.width && v.height === BARESIP_SIZE.height);
  const first = hasBaresip(await poll(() => inboundVideos(page), (vs) => hasBaresip(vs) !== undefined, "the guest decoding baresip's video"));
  expect(first).toMatchObject({ codec: 'video/VP8', width: BARESIP_SIZE.width, height: BARESIP_SIZE.height });
  const later = await poll(
    () => inboundVideos(page),
    (vs) => (vs.find((v) => v.trackId === first?.trackId)?.framesDecoded ?? 0) > (first?.framesDecoded ?? Number.POSITIVE_INFINITY) + 10,
    'framesDecoded growing',
  );
  expect(later.find((v) => v.trackId === first?.trackId)?.codec).toBe('video/VP8');
  // shown in a tile of the page
  const shown = await poll(() => tiles(page), (ts) => ts.some((t) => t.trackId === first?.trackId && t.receiving), "baresip's track shown in a tile");
  const tile = shown.find((t) => t.trackId === first?.trackId);
  expect(tile?.receiving).toBe(true);
  // a camera-less page has no camera m-line: all its video m-lines are slots (1..4), and the
  // gateway, seeing the first one (its "main") receive-only, uses it as a slot too
  // (video-router.ts mainIsSlot): the one other participant lands in the first tile, none stays empty
  expect(tile?.slot, 'the tile showing baresip').toBe(1);
  expect(shown.filter((t) => t.receiving).map((t) => t.slot)).toEqual([1]);

  // no video from the guest: the page sends none, baresip decodes none
  const out = await outboundVideoPackets(page);
  expect(out.every((n) => n === 0), `outbound-rtp video packetsSent ${JSON.stringify(out)}`).toBe(true);
  expect(baresip.receivedResolutions(), 'baresip decoded no video picture').toEqual([]);

  await leaveRoom(page);
  await baresip.command('hangup');
  await baresip.waitEvent('CALL_CLOSED');
  const stats = await poll(() => Promise.resolve(baresip.streamStats('video')), (s) => s !== null, "baresip's video RTP statistics", 10_000);
  expect(stats?.sent, 'baresip sent video (its own statistics)').toBeGreaterThan(0);
  expect(stats?.received, 'baresip received no video packets (its own statistics)').toBe(0);
});
