/**
 * Issue 6 video, separate tracks to browsers: two Chromium guests on the join page and one
 * baresip (VP8, SDES) in one room of the real gateway binary. Each page offers video slots
 * (src/web/video-slots.ts: extra recvonly video m-lines) and receives each other participant
 * as its own remote track; baresip (a SIP leg: one stream) receives the active speaker.
 *
 * Whose video a track carries is told by its picture's shape, read at the receivers: each
 * Chromium page's fake camera is forced to its own aspect ratio (getUserMedia constraints;
 * Chromium may scale a picture down under a low bandwidth estimate but keeps its shape), and
 * baresip's fakevideo is 176x144 (11:9). Checked at the receivers, never with the gateway's
 * counters:
 *   - each page: getStats inbound-rtp video, one entry per track (distinct trackIdentifier and
 *     mid), framesDecoded growing, one with each other participant's shape;
 *   - baresip: its VP8 decoder's frames (snapshot.so) have the shape of the speaker (guest A:
 *     guest B and baresip mute their microphones);
 *   - a guest leaving frees its slot: at guest A, B's tile stops showing, and a guest joining
 *     afterwards arrives on the very m-line (mid) B had, not on a fresh slot.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Baresip } from '../../helpers/baresip.ts';
import { guestStats, joinRoom, launchChromium, leaveRoom, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import type { GatehouseGlobal, VideoTileState } from '../../../src/web/test-hook.ts';

const ROOM = 'video-tracks';
const BARESIP_SIZE = { width: 176, height: 144 };
/** Camera sizes per guest page: 16:9, 1:1, 4:3 (baresip is 11:9). */
const A_SIZE = { width: 640, height: 360 };
const B_SIZE = { width: 320, height: 320 };
const C_SIZE = { width: 320, height: 240 };
type Size = { readonly width: number; readonly height: number };

let gw: RoomGateway;
let baresip: Baresip;
let browser: ChromiumSession;

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: ROOM }], web: true });
  baresip = await Baresip.start({ mediaenc: 'srtp-mand', video: BARESIP_SIZE });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await baresip?.stop();
  await gw?.stop();
});

/** A page whose fake camera produces `size` (getUserMedia video constraints forced before the page script runs). */
async function guestPage(size: Size): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript((s) => {
    interface Md {
      getUserMedia(c?: { video?: unknown }): Promise<unknown>;
    }
    const md = (globalThis as unknown as { navigator: { mediaDevices: Md } }).navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = (c) => original(c?.video ? { ...c, video: { width: { exact: s.width }, height: { exact: s.height } } } : c);
  }, size);
  return page;
}

interface InboundVideo {
  readonly trackId: string;
  readonly mid: string;
  readonly framesDecoded: number;
  readonly width: number;
  readonly height: number;
}

async function inboundVideos(p: Page): Promise<InboundVideo[]> {
  const stats = await guestStats(p);
  return stats
    .filter((s) => s.type === 'inbound-rtp' && s.kind === 'video')
    .map((s) => ({
      trackId: String(s.trackIdentifier),
      mid: String(s.mid),
      framesDecoded: typeof s.framesDecoded === 'number' ? s.framesDecoded : 0,
      width: typeof s.frameWidth === 'number' ? s.frameWidth : 0,
      height: typeof s.frameHeight === 'number' ? s.frameHeight : 0,
    }));
}

const shapeOf = (s: Size): number => s.width / s.height;
const hasShape = (v: { width: number; height: number }, want: Size): boolean => v.height > 0 && Math.abs(shapeOf(v) - shapeOf(want)) < 0.04;

async function poll<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 40_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Waits until `p` decodes one track of each shape in `from`, then until each of those keeps decoding. */
async function decodesEach(p: Page, from: readonly Size[], what: string): Promise<InboundVideo[]> {
  const pick = (vs: InboundVideo[]): (InboundVideo | undefined)[] => from.map((s) => vs.find((v) => v.framesDecoded > 0 && hasShape(v, s)));
  const first = pick(await poll(() => inboundVideos(p), (vs) => pick(vs).every((v) => v !== undefined), `${what}: a decoding track of each shape`));
  const later = await poll(
    () => inboundVideos(p),
    (vs) => first.every((f) => (vs.find((v) => v.trackId === f?.trackId)?.framesDecoded ?? 0) > (f?.framesDecoded ?? 0) + 10),
    `${what}: framesDecoded growing on each track`,
  );
  return first.map((f) => later.find((v) => v.trackId === f?.trackId) as InboundVideo);
}

function tiles(p: Page): Promise<VideoTileState[]> {
  return p.evaluate(() => (globalThis as GatehouseGlobal).__gatehouse?.videoTiles() ?? []);
}

/** Waits until baresip decodes a frame of `want`'s shape; returns the last size it decoded. */
async function baresipSees(want: Size, tries = 40): Promise<Size | null> {
  let last: Size | null = null;
  for (let i = 0; i < tries; i++) {
    last = await baresip.snapshotReceived();
    if (last !== null && hasShape(last, want)) return last;
  }
  return last;
}

it('gives each browser guest one track per other participant, baresip the active speaker, and frees a leaving guest\'s slot', { timeout: 240_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri(ROOM))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');
  expect((await baresip.command('mute')).ok).toBe(true);

  const pageA = await guestPage(A_SIZE);
  expect(await joinRoom(pageA, { baseUrl: gw.webUrl ?? '', room: ROOM, displayName: 'A', timeoutMs: 30_000 })).toEqual({ phase: 'in-call', error: null, rejection: null });
  const pageB = await guestPage(B_SIZE);
  expect(await joinRoom(pageB, { baseUrl: gw.webUrl ?? '', room: ROOM, displayName: 'B', timeoutMs: 30_000 })).toEqual({ phase: 'in-call', error: null, rejection: null });
  await pageB.click('#mute-button'); // A is the only one talking: the active speaker

  // the answer gives every slot its own SSRC and msid (one remote track each)
  const remote = await pageA.evaluate(() => (globalThis as GatehouseGlobal).__gatehouse?.descriptions().remote ?? '');
  expect(remote.match(/^a=msid:gatehouse-slot-\d+ /gm)?.length, 'three slots answered with a=msid').toBe(3);

  // each page decodes the two others on two different tracks (m-lines)
  const atA = await decodesEach(pageA, [BARESIP_SIZE, B_SIZE], 'guest A');
  const atB = await decodesEach(pageB, [BARESIP_SIZE, A_SIZE], 'guest B');
  for (const vs of [atA, atB]) {
    expect(new Set(vs.map((v) => v.trackId)).size, 'two distinct tracks').toBe(2);
    expect(new Set(vs.map((v) => v.mid)).size, 'on two distinct m-lines').toBe(2);
  }
  // and shows them as two tiles
  expect((await poll(() => tiles(pageA), (t) => t.filter((x) => x.receiving).length >= 2, "guest A's tiles")).filter((x) => x.receiving).length).toBe(2);

  // baresip (one stream, a SIP leg) sees the active speaker: guest A
  const seen = await baresipSees(A_SIZE);
  expect(seen !== null && hasShape(seen, A_SIZE), `baresip decodes guest A's picture (16:9), got ${JSON.stringify(seen)}`).toBe(true);

  // B leaves: its slot at A stops showing (the tile hides), and is the one the next guest gets
  const bMid = atA[1]?.mid ?? '';
  const bTrack = atA[1]?.trackId ?? '';
  await leaveRoom(pageB);
  await poll(() => tiles(pageA), (t) => t.some((x) => x.trackId === bTrack && !x.receiving), "B's tile at A hidden");
  const pageC = await guestPage(C_SIZE);
  expect(await joinRoom(pageC, { baseUrl: gw.webUrl ?? '', room: ROOM, displayName: 'C', timeoutMs: 30_000 })).toEqual({ phase: 'in-call', error: null, rejection: null });
  const [cAtA] = await decodesEach(pageA, [C_SIZE], 'guest A after C joined');
  expect(cAtA?.mid, "C arrives on the m-line B's slot used").toBe(bMid);
  await decodesEach(pageC, [BARESIP_SIZE, A_SIZE], 'guest C');

  await leaveRoom(pageA);
  await leaveRoom(pageC);
  await baresip.command('hangup');
  await baresip.waitEvent('CALL_CLOSED');
});
