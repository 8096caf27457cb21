/**
 * Issue 6 video, H.264 with real endpoints: two browser guests (headless Chromium on the join
 * page, fake cameras) whose offers keep only H.264 for video, in one room of the real gateway
 * binary. Debian's baresip has no H.264 module; Debian's Chromium encodes H.264 (OpenH264) and
 * decodes it (FFmpeg): RTCRtpSender.getCapabilities('video') lists H264 with
 * packetization-mode 0 and 1 for profile-level-id 42001f, 42e01f and 4d001f (checked first
 * below, so a Chromium without it fails here with the list it has).
 *
 * The gateway forwards each guest's H.264 to the other without transcoding. Checked at the
 * receivers (each page's own getStats and SDP), both directions:
 *   - the gateway's answer keeps only H.264, and for each of its payload types the offered
 *     packetization-mode and profile (profile_idc and constraint flags of profile-level-id),
 *     with a level no higher than offered (RFC 6184 8.2.2);
 *   - outbound-rtp video: the page encodes video/H264 at its own camera's size;
 *   - inbound-rtp video: codec video/H264, framesDecoded grows, frame size = the OTHER camera.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { leaveRoom } from '../../helpers/chromium.ts';
import type { RoomGateway } from '../../helpers/room-gateway.ts';
import { descriptions, joinKeepingOnly, poll, startTwoCameraGuests, TWO_CAMERA_SIZES, videoFormats, videoStats, type TwoCameraGuests, type VideoStats } from './chromium-video-guests.ts';

const ROOM = 'h264-guests';
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

interface CodecCapability {
  readonly mimeType: string;
  readonly sdpFmtpLine?: string;
}

it('this Chromium can send and receive H.264 in WebRTC', async () => {
  const page = pages[0];
  if (page === undefined) throw new Error('no page');
  const caps = await page.evaluate(() => {
    type Caps = { getCapabilities(kind: string): { codecs: CodecCapability[] } | null };
    const g = globalThis as unknown as { RTCRtpSender: Caps; RTCRtpReceiver: Caps };
    const list = (c: Caps): string[] => (c.getCapabilities('video')?.codecs ?? []).map((x) => `${x.mimeType} ${x.sdpFmtpLine ?? ''}`.trim());
    return { send: list(g.RTCRtpSender), receive: list(g.RTCRtpReceiver) };
  });
  const h264 = (l: string[]): string[] => l.filter((c) => c.startsWith('video/H264 ') && c.includes('packetization-mode=1'));
  expect(h264(caps.send), `H.264 encoders (packetization-mode=1) in ${JSON.stringify(caps.send)}`).not.toEqual([]);
  expect(h264(caps.receive), `H.264 decoders (packetization-mode=1) in ${JSON.stringify(caps.receive)}`).not.toEqual([]);
});

it('forwards H.264 between two Chromium guests: each decodes the other one\'s camera', { timeout: 120_000 }, async () => {
  for (const page of pages) {
    const joined = await joinKeepingOnly(page, { baseUrl: gw.webUrl ?? '', room: ROOM, codec: 'H264', timeoutMs: 30_000 });
    expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  }
  expect(gw.logs('video declined')).toEqual([]);

  for (const [i, page] of pages.entries()) {
    const who = `guest ${i + 1}`;
    // the answer: H.264 only, each payload type compatible with what Chromium offered for it
    const sdp = await descriptions(page);
    const offered = new Map(videoFormats(sdp.local).map((f) => [f.pt, f]));
    const answered = videoFormats(sdp.remote);
    expect(answered.length, `${who}: the answer accepts video`).toBeGreaterThan(0);
    for (const a of answered) {
      const o = offered.get(a.pt);
      expect(a.codec, `${who}: answered payload type ${a.pt}`).toBe('H264');
      expect(o?.codec, `${who}: payload type ${a.pt} was offered as H264`).toBe('H264');
      expect(a.fmtp.get('packetization-mode') ?? '0', `${who}: packetization-mode of ${a.pt}`).toBe(o?.fmtp.get('packetization-mode') ?? '0');
      const ap = a.fmtp.get('profile-level-id') ?? '420010';
      const op = o?.fmtp.get('profile-level-id') ?? '420010';
      expect(ap.slice(0, 4).toLowerCase(), `${who}: profile of ${a.pt} (${ap} answered, ${op} offered)`).toBe(op.slice(0, 4).toLowerCase());
      expect(parseInt(ap.slice(4, 6), 16), `${who}: level of ${a.pt} (${ap} answered, ${op} offered)`).toBeLessThanOrEqual(parseInt(op.slice(4, 6), 16));
    }
  }

  for (const [i, page] of pages.entries()) {
    const own = SIZES[i];
    const other = SIZES[1 - i];
    const who = `guest ${i + 1}`;
    const sees = (v: VideoStats): boolean => v.inbound !== null && v.inbound.frames > 0 && v.inbound.width === other?.width && v.inbound.height === other?.height;
    const first = await poll(() => videoStats(page), sees, `${who} decoding the other guest's camera`);
    expect(first.inbound, `${who} receives H.264 of the other camera's size`).toMatchObject({ codec: 'video/H264', width: other?.width, height: other?.height });
    expect(first.outbound, `${who} sends H.264 of its own camera's size`).toMatchObject({ codec: 'video/H264', width: own?.width, height: own?.height });
    const before = first.inbound?.frames ?? Number.POSITIVE_INFINITY;
    const later = await poll(() => videoStats(page), (v) => (v.inbound?.frames ?? 0) > before + 10, `${who}'s framesDecoded growing`);
    expect(later.inbound, `${who} keeps decoding the other camera`).toMatchObject({ codec: 'video/H264', width: other?.width, height: other?.height });
  }

  for (const page of pages) await leaveRoom(page);
});
