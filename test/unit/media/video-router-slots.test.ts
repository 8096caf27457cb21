/**
 * VideoRouter with video slots (issue 6: separate tracks to browsers): a receiver whose video
 * has slots (a browser guest that offered extra recvonly video m-lines) gets one participant
 * per slot, each on the slot's own SSRC with its own seq/ts, and nothing on its main stream.
 */
import { describe, expect, it } from 'vitest';
import type { VideoFeedback, VideoFormat } from '../../../src/app/video-plan.ts';
import { RtpHeaderView, parseRtpHeaderInto } from '../../../src/core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../../src/core/rtp/rtp-stream-rewriter.ts';
import type { RoomLeg, VideoSink } from '../../../src/adapters/media/media-types.ts';
import type { SlottedVideo, VideoSlot } from '../../../src/adapters/media/video-slot-types.ts';
import { VideoRouter } from '../../../src/adapters/media/video-router.ts';

const VP8: VideoFormat = { pt: 96, name: 'VP8', clockRate: 90000 };
const PLI: VideoFeedback = { pli: true, fir: false };

interface Sent {
  readonly pt: number;
  readonly seq: number;
  readonly ssrc: number;
  /** The source packet's sequence number (our test packets carry it in the payload). */
  readonly from: number;
}

/** One outgoing stream: a real RtpStreamRewriter, packets kept instead of sent. */
class RecordingStream implements VideoSlot {
  readonly ssrc: number;
  readonly formats: readonly VideoFormat[];
  readonly sent: Sent[] = [];
  private readonly rewriter: RtpStreamRewriter;

  constructor(ssrc: number, formats: readonly VideoFormat[]) {
    this.ssrc = ssrc;
    this.formats = formats;
    this.rewriter = new RtpStreamRewriter({ ssrc, clockRate: 90000, initialSequence: 1000, initialTimestamp: 5000 });
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    if (this.rewriter.rewrite(packet, view, nowMs) === 'stale') return false;
    this.sent.push({ pt: (packet[1] ?? 0) & 0x7f, seq: packet.readUInt16BE(2), ssrc: packet.readUInt32BE(8), from: packet.readUInt32BE(16) });
    return true;
  }

  resetSource(): void {
    this.rewriter.resetSource();
  }

  currentSource(): number | null {
    return this.rewriter.currentSource;
  }
}

class SlottedRecordingVideo extends RecordingStream implements SlottedVideo {
  readonly feedback: VideoFeedback = PLI;
  readonly slots: RecordingStream[];
  keyFrameRequests = 0;
  sink: VideoSink | null = null;

  constructor(ssrc: number, slots: number, slotPt = 96) {
    super(ssrc, [VP8]);
    this.slots = Array.from({ length: slots }, (_, i) => new RecordingStream(ssrc * 16 + i + 1, [{ ...VP8, pt: slotPt }]));
  }

  attach(sink: VideoSink | null): void {
    this.sink = sink;
  }

  requestKeyFrame(): boolean {
    this.keyFrameRequests++;
    return true;
  }

  housekeeping(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}

type TestLeg = RoomLeg & { video: SlottedRecordingVideo };

function leg(id: string, ssrc: number, slots = 0, slotPt = 96): TestLeg {
  return { id, video: new SlottedRecordingVideo(ssrc, slots, slotPt) } as unknown as TestLeg;
}

/** A VP8 packet (RFC 7741 descriptor S=1, key frame when P=0); payload octets 4-7 carry `seq`. */
function send(router: VideoRouter, from: RoomLeg, ssrc: number, seq: number, key: boolean, now: number): void {
  const packet = Buffer.alloc(24);
  packet[0] = 0x80;
  packet[1] = 0x80 | 96;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 3000, 4);
  packet.writeUInt32BE(ssrc, 8);
  packet[12] = 0x10;
  packet[13] = key ? 0x10 : 0x31;
  packet.writeUInt32BE(seq, 16);
  const view = new RtpHeaderView();
  if (parseRtpHeaderInto(packet, view) !== null) throw new Error('bad test packet');
  router.onVideoRtp(from, packet, view, now);
}

function setup(legs: RoomLeg[]) {
  let clock = 0;
  const router = new VideoRouter({ onEvent: () => undefined, clock: { now: () => clock } });
  router.setLegs(legs, 0);
  return { router, at: (t: number) => (clock = t) };
}

describe('VideoRouter: video slots (separate tracks to a browser guest, RFC 7667 3.7)', () => {
  it('each other participant on its own slot SSRC with its own seq; nothing on the main stream; SIP legs keep the speaker', () => {
    const g = leg('g', 0xa, 3, 100);
    const s = leg('s', 0xb);
    const t = leg('t', 0xc);
    const { router } = setup([g, s, t]);
    expect(router.slotSourcesOf(g)).toEqual([null, null, null]); // nobody sent video yet
    for (let i = 1; i <= 2; i++) {
      send(router, s, 0x1111, i, i === 1, i * 10);
      send(router, t, 0x2222, 100 + i, i === 1, i * 10 + 5);
    }
    const [slot1, slot2, slot3] = g.video.slots;
    expect(slot1?.sent.map((p) => [p.ssrc, p.seq, p.from, p.pt])).toEqual([[0xa1, 1000, 1, 100], [0xa1, 1001, 2, 100]]);
    expect(slot2?.sent.map((p) => [p.ssrc, p.seq, p.from])).toEqual([[0xa2, 1000, 101], [0xa2, 1001, 102]]);
    expect(slot3?.sent).toEqual([]);
    expect(g.video.sent).toEqual([]);
    // a SIP leg (no slots) keeps one stream: the active speaker
    router.setSpeaker(g, 30);
    send(router, g, 0x3333, 7, true, 40);
    expect(s.video.sent.at(-1)?.from).toBe(7);
    expect(router.sourceOf(s)).toBe(g);
  });

  it('asks each source for a key frame when it gets a slot, and a PLI on a slot goes to that slot\'s source', () => {
    const g = leg('g', 0xa, 2);
    const s = leg('s', 0xb);
    const t = leg('t', 0xc);
    const { router, at } = setup([g, s, t]);
    send(router, s, 0x1111, 1, false, 10);
    send(router, t, 0x2222, 1, false, 10);
    expect(router.slotSourcesOf(g)).toEqual([s, t]);
    const before = [s.video.keyFrameRequests, t.video.keyFrameRequests];
    expect(before.every((n) => n >= 1)).toBe(true);
    at(1000);
    router.onVideoSlotKeyFrameRequest(g, 1); // slot 2 shows t
    expect([s.video.keyFrameRequests, t.video.keyFrameRequests]).toEqual([before[0], (before[1] ?? 0) + 1]);
  });

  it('a leaving participant frees its slot; the next one to send video takes that slot', () => {
    const g = leg('g', 0xa, 3);
    const s = leg('s', 0xb);
    const t = leg('t', 0xc);
    const { router } = setup([g, s, t]);
    send(router, s, 0x1111, 1, true, 10);
    send(router, t, 0x2222, 1, true, 10);
    expect(router.slotSourcesOf(g)).toEqual([s, t, null]);
    router.setLegs([g, t], 100);
    expect(router.slotSourcesOf(g)).toEqual([null, t, null]);
    const u = leg('u', 0xd);
    router.setLegs([g, t, u], 200);
    expect(router.slotSourcesOf(g)).toEqual([null, t, null]); // until u sends video
    send(router, u, 0x4444, 1, true, 210);
    expect(router.slotSourcesOf(g)).toEqual([u, t, null]);
    expect(g.video.slots[0]?.sent.at(-1)).toMatchObject({ ssrc: 0xa1, from: 1 });
  });

  it('more participants than slots: the most recent speakers; a new speaker replaces the least recent one at its key frame', () => {
    const g = leg('g', 0xa, 2);
    const [b, c, d] = [leg('b', 0xb), leg('c', 0xc), leg('d', 0xd)];
    const { router } = setup([g, b, c, d]);
    send(router, b, 0x1111, 1, true, 10);
    send(router, c, 0x2222, 20, true, 10);
    send(router, d, 0x3333, 40, true, 10);
    expect(router.slotSourcesOf(g)).toEqual([b, c]); // nobody spoke: join order
    router.setSpeaker(c, 100);
    router.setSpeaker(d, 200); // c spoke more recently than b: b gives up its slot to d
    expect(router.slotSourcesOf(g)).toEqual([b, c]); // until d's key frame
    send(router, b, 0x1111, 2, false, 210);
    send(router, d, 0x3333, 50, false, 220); // not a key frame: the slot still shows b
    expect(g.video.slots[0]?.sent.map((p) => p.from)).toEqual([1, 2]);
    send(router, d, 0x3333, 51, true, 230);
    expect(router.slotSourcesOf(g)).toEqual([d, c]);
    const slot1 = g.video.slots[0]?.sent ?? [];
    expect(slot1.map((p) => [p.ssrc, p.seq, p.from])).toEqual([[0xa1, 1000, 1], [0xa1, 1001, 2], [0xa1, 1002, 51]]); // same SSRC, continuous seq
    send(router, b, 0x1111, 3, false, 240);
    expect(g.video.slots[0]?.sent).toHaveLength(3); // b no longer reaches g
  });
});

describe('VideoRouter: a guest without a camera (main video m-line offered recvonly)', () => {
  it('its main stream is slot 0: one participant more than it has slots, each shown once', () => {
    const g = leg('g', 0xa, 3);
    Object.assign(g.video, { mainReceiveOnly: true });
    const [b, c, d, e] = [leg('b', 0xb), leg('c', 0xc), leg('d', 0xd), leg('e', 0xe)];
    const { router, at } = setup([g, b, c, d, e]);
    send(router, b, 0x1111, 1, true, 10);
    send(router, c, 0x2222, 20, true, 10);
    send(router, d, 0x3333, 40, true, 10);
    send(router, e, 0x4444, 60, true, 10);
    // four senders, three slots: the first on the main stream, the others on slots 1-3
    expect(router.sourceOf(g)).toBe(b);
    expect(router.slotSourcesOf(g)).toEqual([c, d, e]);
    expect(g.video.sent.map((p) => [p.ssrc, p.from])).toEqual([[0xa, 1]]);
    expect(g.video.slots.map((sl) => sl.sent.map((p) => p.from))).toEqual([[20], [40], [60]]);
    // a PLI about the main stream asks its source, b
    at(1000);
    const before = [b, c, d, e].map((x) => x.video.keyFrameRequests);
    router.onVideoKeyFrameRequest(g);
    expect([b, c, d, e].map((x) => x.video.keyFrameRequests)).toEqual([(before[0] ?? 0) + 1, ...before.slice(1)]);
    // b leaves: the main stream is free until the next sender takes it
    router.setLegs([g, c, d, e], 100);
    expect(router.sourceOf(g)).toBeNull();
    expect(router.slotSourcesOf(g)).toEqual([c, d, e]);
  });

  it('a guest WITH a camera keeps its main stream empty (no participant shown twice)', () => {
    const g = leg('g', 0xa, 1);
    const [b, c] = [leg('b', 0xb), leg('c', 0xc)];
    const { router } = setup([g, b, c]);
    send(router, b, 0x1111, 1, true, 10);
    send(router, c, 0x2222, 20, true, 10);
    expect(router.sourceOf(g)).toBeNull();
    expect(router.slotSourcesOf(g)).toEqual([b]);
    expect(g.video.sent).toEqual([]);
  });
});
