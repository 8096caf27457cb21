import { describe, expect, it } from 'vitest';
import type { VideoFeedback, VideoFormat } from '../../../src/app/video-plan.ts';
import { RtpHeaderView, parseRtpHeaderInto } from '../../../src/core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../../src/core/rtp/rtp-stream-rewriter.ts';
import type { MediaEvent, RoomLeg, RoomVideo, VideoSink } from '../../../src/adapters/media/media-types.ts';
import { receivable } from '../../../src/adapters/media/video-format.ts';
import { VideoRouter } from '../../../src/adapters/media/video-router.ts';

const VP8: VideoFormat = { pt: 96, name: 'VP8', clockRate: 90000 };
const H264_CB_1: VideoFormat = { pt: 102, name: 'H264', clockRate: 90000, packetizationMode: 1, h264Profile: 'constrained-baseline' };
const PLI: VideoFeedback = { pli: true, fir: false };
const NONE: VideoFeedback = { pli: false, fir: false };

interface Sent {
  readonly pt: number;
  readonly seq: number;
  readonly ts: number;
  readonly ssrc: number;
  readonly marker: boolean;
}

/** A leg's video as the room sees it: a real RtpStreamRewriter, the packets kept instead of sent. */
class RecordingVideo implements RoomVideo {
  readonly ssrc: number;
  readonly formats: readonly VideoFormat[];
  readonly feedback: VideoFeedback;
  readonly sent: Sent[] = [];
  keyFrameRequests = 0;
  sink: VideoSink | null = null;
  private readonly rewriter: RtpStreamRewriter;

  constructor(ssrc: number, formats: readonly VideoFormat[], feedback: VideoFeedback) {
    this.ssrc = ssrc;
    this.formats = formats;
    this.feedback = feedback;
    this.rewriter = new RtpStreamRewriter({ ssrc, clockRate: 90000, initialSequence: 1000, initialTimestamp: 5000 });
  }

  attach(sink: VideoSink | null): void {
    this.sink = sink;
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    if (this.rewriter.rewrite(packet, view, nowMs) === 'stale') return false;
    this.sent.push({ pt: (packet[1] ?? 0) & 0x7f, seq: packet.readUInt16BE(2), ts: packet.readUInt32BE(4), ssrc: packet.readUInt32BE(8), marker: ((packet[1] ?? 0) & 0x80) !== 0 });
    return true;
  }

  currentSource(): number | null {
    return this.rewriter.currentSource;
  }

  resetSource(): void {
    this.rewriter.resetSource();
  }

  requestKeyFrame(): boolean {
    if (!this.feedback.pli && !this.feedback.fir) return false;
    this.keyFrameRequests++;
    return true;
  }

  housekeeping(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function leg(id: string, ssrc: number, formats: readonly VideoFormat[] = [VP8], feedback: VideoFeedback = PLI): RoomLeg & { video: RecordingVideo } {
  return { id, video: new RecordingVideo(ssrc, formats, feedback) } as unknown as RoomLeg & { video: RecordingVideo };
}

/** A VP8 packet (RFC 7741): descriptor S=1 PID=0, then a key (P=0) or inter (P=1) frame header. */
function vp8(ssrc: number, seq: number, ts: number, key: boolean, pt = 96): { packet: Buffer; view: RtpHeaderView } {
  const packet = Buffer.alloc(20);
  packet[0] = 0x80;
  packet[1] = 0x80 | pt;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(ts, 4);
  packet.writeUInt32BE(ssrc, 8);
  packet[12] = 0x10;
  packet[13] = key ? 0x10 : 0x31;
  const view = new RtpHeaderView();
  if (parseRtpHeaderInto(packet, view) !== null) throw new Error('bad test packet');
  return { packet, view };
}

function send(router: VideoRouter, from: RoomLeg, ssrc: number, seq: number, key: boolean, now: number, pt = 96): void {
  const { packet, view } = vp8(ssrc, seq, seq * 6000, key, pt);
  router.onVideoRtp(from, packet, view, now);
}

function setup(legs: RoomLeg[], now = 0) {
  const events: MediaEvent[] = [];
  let clock = now;
  const router = new VideoRouter({ onEvent: (e) => events.push(e), clock: { now: () => clock } });
  router.setLegs(legs, now);
  return { router, events, at: (t: number) => (clock = t) };
}

describe('VideoRouter: two participants (RFC 7667 3.7 selective forwarding)', () => {
  it('forwards each way with the receiver PT and SSRC, never back to the sender; asks each source for a key frame on join', () => {
    const a = leg('a', 0xa);
    const b = leg('b', 0xb, [{ ...VP8, pt: 100 }]);
    const { router } = setup([a, b]);
    expect([a.video.keyFrameRequests, b.video.keyFrameRequests]).toEqual([1, 1]);
    send(router, a, 0x1111, 1, true, 10);
    send(router, a, 0x1111, 2, false, 20);
    expect(b.video.sent.map((s) => [s.pt, s.ssrc, s.seq])).toEqual([[100, 0xb, 1000], [100, 0xb, 1001]]);
    expect(a.video.sent).toEqual([]);
    expect(b.video.sent[0]?.marker).toBe(true); // the source's marker (end of frame) is kept
  });

  it('no common codec: nothing forwarded, one video-no-common-codec event per pair (no transcoding)', () => {
    const a = leg('a', 0xa, [VP8]);
    const b = leg('b', 0xb, [H264_CB_1]);
    const { router, events } = setup([a, b]);
    send(router, a, 0x1111, 1, true, 10);
    expect(b.video.sent).toEqual([]);
    send(router, a, 0x1111, 2, true, 20);
    const mismatches = events.filter((e) => e.type === 'video-no-common-codec');
    expect(mismatches).toHaveLength(2);
    expect(mismatches).toContainEqual({ type: 'video-no-common-codec', legId: 'b', sourceLegId: 'a' });
    expect(mismatches).toContainEqual({ type: 'video-no-common-codec', legId: 'a', sourceLegId: 'b' });
  });

  it('a receiver PLI is terminated and re-issued to its source, at most every 250 ms', () => {
    const a = leg('a', 0xa);
    const b = leg('b', 0xb);
    const { router, at } = setup([a, b]);
    send(router, a, 0x1111, 1, true, 10);
    const before = a.video.keyFrameRequests;
    at(300);
    router.onVideoKeyFrameRequest(b);
    at(400);
    router.onVideoKeyFrameRequest(b);
    expect(a.video.keyFrameRequests - before).toBe(1);
    at(600);
    router.onVideoKeyFrameRequest(b);
    expect(a.video.keyFrameRequests - before).toBe(2);
  });

  it('a source with neither nack pli nor ccm fir: the request becomes a video-keyframe-info event (SIP INFO, RFC 5168)', () => {
    const a = leg('a', 0xa, [VP8], NONE);
    const b = leg('b', 0xb);
    const { events } = setup([a, b]);
    expect(events).toContainEqual({ type: 'video-keyframe-info', legId: 'a' });
  });
});

describe('VideoRouter: three participants, active speaker (RFC 7667 3.5 media-switching mixer)', () => {
  it('each sees the speaker; the speaker keeps its view; a switch waits for the key frame and continues seq/ts', () => {
    const a = leg('a', 0xa);
    const b = leg('b', 0xb);
    const c = leg('c', 0xc);
    const { router } = setup([a, b, c]);
    // before anyone spoke each saw the first other leg: a and b see each other, c sees a
    expect([router.sourceOf(a), router.sourceOf(b), router.sourceOf(c)]).toEqual([b, a, a]);
    router.setSpeaker(b, 0);
    expect(router.sourceOf(c)).toBe(a); // until b's key frame
    for (let i = 1; i <= 3; i++) send(router, b, 0x2222, i, i === 1, i * 66);
    expect([router.sourceOf(a), router.sourceOf(c)]).toEqual([b, b]);
    expect(a.video.sent.map((s) => s.seq)).toEqual([1000, 1001, 1002]);

    const cBefore = c.video.keyFrameRequests;
    router.setSpeaker(c, 300);
    expect(c.video.keyFrameRequests - cBefore).toBe(1); // asked for a key frame at the switch
    send(router, c, 0x3333, 500, false, 310); // not a key frame: a still sees b
    send(router, b, 0x2222, 4, false, 320);
    expect(a.video.sent.at(-1)?.seq).toBe(1003);
    send(router, c, 0x3333, 501, true, 330); // key frame: switch
    const last = a.video.sent.at(-1);
    expect(last?.seq).toBe(1004); // continuous sequence, same SSRC toward a
    expect(last?.ssrc).toBe(0xa);
    expect(router.sourceOf(a)).toBe(c);
    send(router, b, 0x2222, 5, false, 340);
    expect(a.video.sent.length).toBe(5); // b no longer reaches a
    expect(router.sourceOf(c)).toBe(b); // the speaker keeps seeing whom it saw
    expect(router.sourceOf(b)).toBe(c); // no longer the speaker: sees the new one
  });

  it('a leg that leaves is forgotten by every receiver', () => {
    const a = leg('a', 0xa);
    const b = leg('b', 0xb);
    const c = leg('c', 0xc);
    const { router } = setup([a, b, c]);
    router.setSpeaker(b, 0);
    router.setLegs([a, c], 100);
    expect(router.sourceOf(a)).toBe(c);
    expect(b.video.sink).toBeNull();
  });
});

describe('video codec compatibility (RFC 6184 8.1, RFC 7741)', () => {
  const h = (pm: number, profile: string): VideoFormat => ({ pt: 1, name: 'H264', clockRate: 90000, packetizationMode: pm, h264Profile: profile });
  const CASES: readonly (readonly [string, VideoFormat, VideoFormat, boolean])[] = [
    ['VP8 to VP8 (case-insensitive name)', VP8, { ...VP8, name: 'vp8' }, true],
    ['VP8 to H.264', VP8, H264_CB_1, false],
    ['RFC 6184 8.1 packetization-mode 1 to mode 0', h(1, 'constrained-baseline'), h(0, 'constrained-baseline'), false],
    ['same profile and mode', h(1, 'high'), h(1, 'high'), true],
    ['Constrained Baseline source to a High receiver', h(1, 'constrained-baseline'), h(1, 'high'), true],
    ['High source to a Constrained Baseline receiver', h(1, 'high'), h(1, 'constrained-baseline'), false],
  ];
  for (const [name, src, dst, ok] of CASES) it(name, () => expect(receivable(src, dst)).toBe(ok));
});
