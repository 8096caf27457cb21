/**
 * Issue 6 video, guest to guest: two browser guests (headless Chromium on the join page, fake
 * cameras, default offers: VP8 first) in one room of the real gateway binary see each other.
 * The gateway forwards each guest's VP8 to the other without transcoding (two participants:
 * each sees the other, src/adapters/media/video-router.ts).
 *
 * The two cameras have different sizes (chromium-video-guests.ts cameraSize: getUserMedia asks
 * for an exact size), so each page can tell that the picture it decodes is the OTHER page's:
 * checked at the receivers (each page's own getStats), both directions:
 *   - inbound-rtp video: codec video/VP8, framesDecoded grows, frame size = the other camera;
 *   - outbound-rtp video: the page encodes its own size (so the sizes really differ at source).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { joinRoom, leaveRoom } from '../../helpers/chromium.ts';
import type { RoomGateway } from '../../helpers/room-gateway.ts';
import { poll, startTwoCameraGuests, TWO_CAMERA_SIZES, videoStats, type TwoCameraGuests, type VideoStats } from './chromium-video-guests.ts';

const ROOM = 'vp8-guests';
const SIZES = TWO_CAMERA_SIZES;
let guests: TwoCameraGuests;
let gw: RoomGateway;
let pages: readonly Page[];

beforeAll(async () => {
  guests = await startTwoCameraGuests(ROOM);
  ({ gw, pages } = guests);
}, 60_000);

afterAll(async () => {
  await guests?.stop();
});

it('forwards VP8 between two Chromium guests: each decodes the other one\'s camera', { timeout: 120_000 }, async () => {
  for (const page of pages) {
    const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: ROOM, timeoutMs: 30_000 });
    expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  }
  expect(gw.logs('video declined')).toEqual([]);

  for (const [i, page] of pages.entries()) {
    const own = SIZES[i];
    const other = SIZES[1 - i];
    const who = `guest ${i + 1}`;
    const sees = (v: VideoStats): boolean => v.inbound !== null && v.inbound.frames > 0 && v.inbound.width === other?.width && v.inbound.height === other?.height;
    const first = await poll(() => videoStats(page), sees, `${who} decoding the other guest's camera`);
    expect(first.inbound, `${who} receives VP8 of the other camera's size`).toMatchObject({ codec: 'video/VP8', width: other?.width, height: other?.height });
    expect(first.outbound, `${who} sends VP8 of its own camera's size`).toMatchObject({ codec: 'video/VP8', width: own?.width, height: own?.height });
    const before = first.inbound?.frames ?? Number.POSITIVE_INFINITY;
    const later = await poll(() => videoStats(page), (v) => (v.inbound?.frames ?? 0) > before + 10, `${who}'s framesDecoded growing`);
    expect(later.inbound, `${who} keeps decoding the other camera`).toMatchObject({ codec: 'video/VP8', width: other?.width, height: other?.height });
  }

  for (const page of pages) await leaveRoom(page);
});
