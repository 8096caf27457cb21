/**
 * Issue 6 video: a browser guest (headless Chromium on the join page, fake camera) and a SIP
 * endpoint with video (baresip, VP8, SDES) in one room of the real gateway binary. The guest's
 * video m-line is bundled with its audio on one DTLS-SRTP transport (the gateway answers VP8
 * first); baresip's video is its own SDES stream. Forwarded both ways without transcoding.
 *
 * Checked at the receivers, never with the gateway's counters:
 *   - the page: getStats inbound-rtp video decodes frames (framesDecoded grows), with codec
 *     video/VP8 and baresip's picture size (176x144: it is baresip's video);
 *   - baresip: its VP8 decoder produced frames (snapshot.so PNG) of a size that is not its
 *     own camera's, and its RTP statistics at hangup count received video packets.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Baresip } from '../../helpers/baresip.ts';
import { guestStats, joinRoom, launchChromium, leaveRoom, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { poll } from './chromium-video-guests.ts';

const ROOM = 'video-guest';
const BARESIP_SIZE = { width: 176, height: 144 };
let gw: RoomGateway;
let baresip: Baresip;
let browser: ChromiumSession;
let page: Page;

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: ROOM }], web: true });
  baresip = await Baresip.start({ mediaenc: 'srtp-mand', video: BARESIP_SIZE });
  browser = await launchChromium();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await baresip?.stop();
  await gw?.stop();
});

interface InboundVideo {
  readonly framesDecoded: number;
  readonly codec: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

async function inboundVideo(p: Page): Promise<InboundVideo | null> {
  const stats = await guestStats(p);
  const rtp = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
  if (rtp === undefined) return null;
  const codec = stats.find((s) => s.id === rtp.codecId);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return { framesDecoded: num(rtp.framesDecoded) ?? 0, codec: typeof codec?.mimeType === 'string' ? codec.mimeType : null, width: num(rtp.frameWidth), height: num(rtp.frameHeight) };
}

it('forwards video both ways between a Chromium guest (bundled, DTLS-SRTP) and baresip (VP8, SDES)', { timeout: 90_000 }, async () => {
  expect((await baresip.command('dial', gw.roomUri(ROOM))).ok).toBe(true);
  await baresip.waitEvent('CALL_ESTABLISHED');
  const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: ROOM, timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });

  // the guest decodes baresip's VP8 pictures, and keeps decoding
  const decoding = await poll(() => inboundVideo(page), (v) => v !== null && v.framesDecoded > 0 && v.width !== null, 'the guest decoding video');
  const first = decoding ?? { framesDecoded: Number.POSITIVE_INFINITY };
  expect(decoding).toMatchObject({ codec: 'video/VP8', width: BARESIP_SIZE.width, height: BARESIP_SIZE.height });
  const later = await poll(() => inboundVideo(page), (v) => v !== null && v.framesDecoded > first.framesDecoded + 10, 'framesDecoded growing');
  expect(later?.codec).toBe('video/VP8');

  // baresip decodes the guest's camera (Chromium's fake device), not its own picture
  let seen: { width: number; height: number } | null = null;
  for (let i = 0; i < 20 && (seen === null || (seen.width === BARESIP_SIZE.width && seen.height === BARESIP_SIZE.height)); i++) seen = await baresip.snapshotReceived();
  expect(seen, 'baresip decoded a frame').not.toBeNull();
  expect(seen, 'of the guest\'s camera, not its own size').not.toEqual(BARESIP_SIZE);
  expect(gw.logs('video declined')).toEqual([]);

  await leaveRoom(page);
  await baresip.command('hangup');
  await baresip.waitEvent('CALL_CLOSED');
  const stats = await poll(() => Promise.resolve(baresip.streamStats('video')), (s) => s !== null, "baresip's video RTP statistics", 10_000);
  expect(stats?.received, 'baresip received video packets (its own statistics)').toBeGreaterThan(0);
});
