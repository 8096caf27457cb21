/**
 * Video forwarding in a room (issue 6). Every leg with a video stream (RoomLeg.video) receives
 * ONE video stream from the room, whoever its source (RFC 7667 3.5/3.7: a media-switching
 * middlebox; each outgoing stream has its own SSRC and continuous seq/ts, RtpStreamRewriter):
 *
 *   two participants   each sees the other
 *   three or more      each sees the active speaker (ActiveSpeakerDetector over the mix's
 *                      levels, media-room.ts); the speaker keeps seeing whom it saw before
 *
 * Browser guests with video slots (extra recvonly video m-lines in their offer, K of them,
 * src/web/guest-call.ts; video-slot-types.ts) get separate tracks instead: each slot carries ONE
 * other participant with its own SSRC and seq/ts (a rewriter per slot), assigned by
 * core/rtp/video-slots.ts: the K most recent speakers (the active speaker first), a participant
 * keeping its slot while it stays among them, a newcomer taking the lowest free slot (freed when
 * someone leaves). Only participants that have sent video get a slot (a browser without a
 * camera still has video m-lines); one that stops sending keeps its slot until it leaves or
 * falls out of the K most recent speakers. Their main sendrecv video m-line then carries nothing: every participant
 * appears once on the page, and no stream is sent twice. A guest without a camera offers its
 * main video m-line recvonly too (and one slot more): there the main stream is slot 0. Guests without slots (older pages,
 * plain SIP.js offers) keep the single stream above. No renegotiation per join: the slots are
 * in the browser's first offer.
 *
 * Switching (video-switch.ts, per stream: the main one and each slot): the new source is asked for a key frame and the receiver keeps
 * the old source until the new one's key frame starts (video-keyframe.ts), then the rewriter
 * continues seq/ts: the switch is seamless for the decoder.
 *
 * Key frame requests are terminated per leg, never forwarded as they came: a receiver's PLI,
 * FIR or SIP INFO picture_fast_update about OUR stream becomes the room's request to the source
 * it currently sees, in the source's SSRC space (PLI if it negotiated `nack pli`, else FIR if
 * `ccm fir`, else a 'video-keyframe-info' event: the call layer sends SIP INFO, RFC 5168).
 * Requests to one source are sent at most every MIN_REQUEST_INTERVAL_MS (INFO: every
 * MIN_INFO_INTERVAL_MS), and repeated while a receiver waits for the key frame.
 *
 * No transcoding: a receiver that negotiated none of a source's codecs gets no video from it
 * (video-format.ts); the pair is counted once and reported as an event, and the receiver keeps
 * the source it had.
 */
import { isKeyFrameStart, keyFrameCodecOf } from '../../core/rtp/video-keyframe.ts';
import { assignSlots, rankBySpeech } from '../../core/rtp/video-slots.ts';
import { VideoSwitch } from '../../core/rtp/video-switch.ts';
import type { VideoFormat } from '../../app/video-plan.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { countDrop, mediaVideoKeyFrameRequests, mediaVideoNoCommonCodec, mediaVideoSwitches } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import type { MediaEvent, RoomLeg, RoomVideo } from './media-types.ts';
import { anyReceivable, targetPayloadType } from './video-format.ts';
import { mainIsSlot, videoSlotsOf, type SlotVideoSink } from './video-slot-types.ts';

export const MIN_REQUEST_INTERVAL_MS = 250;
/** A SIP INFO is a SIP transaction: asked at most once a second. */
export const MIN_INFO_INTERVAL_MS = 1000;

/** One outgoing video stream of a receiver: its main stream, or one of its slots. */
interface Output {
  readonly sw: VideoSwitch<RoomLeg>;
  readonly formats: readonly VideoFormat[];
  /** Receiver PT per source leg and source PT: -2 not decided yet, -1 none. */
  readonly pts: Map<RoomLeg, Int16Array>;
  send(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean;
  reset(): void;
  /** Slots: the participant assigned (video-slots.ts); the switch follows it. */
  target: RoomLeg | null;
}

interface Member {
  readonly leg: RoomLeg;
  readonly video: RoomVideo;
  /** The main stream's switch (outputs[0]). */
  readonly sw: VideoSwitch<RoomLeg>;
  /** outputs[0] is the main stream, then one per slot. */
  readonly outputs: readonly Output[];
  readonly slots: readonly Output[];
  /** The outputs participants are assigned to: the slots, preceded by the main stream when it is receive-only (mainIsSlot). */
  readonly assignable: readonly Output[];
  /** The last source it saw other than itself (shown while it is the speaker). */
  lastSource: RoomLeg | null;
  /** It has sent video: only then does it get a slot (an audio-only browser has a video m-line too). */
  sending: boolean;
}

export interface VideoRouterOptions {
  readonly onEvent: (event: MediaEvent) => void;
  readonly clock: Clock;
  readonly retryMs?: number;
  readonly maxWaitMs?: number;
}

export class VideoRouter implements SlotVideoSink {
  private readonly members: Member[] = [];
  private readonly onEvent: (event: MediaEvent) => void;
  private readonly switchOptions: { retryMs?: number; maxWaitMs?: number };
  private legCount = 0;
  private speaker: RoomLeg | null = null;
  /** When each leg was last the active speaker (it became or stopped being it), for the slots. */
  private readonly lastSpoke = new Map<RoomLeg, number>();
  private readonly lastRequest = new Map<RoomLeg, number>();
  private readonly mismatches = new Set<string>();
  private readonly header = Buffer.alloc(12);
  private readonly clock: Clock;

  constructor(o: VideoRouterOptions) {
    this.onEvent = o.onEvent;
    this.clock = o.clock;
    this.switchOptions = { ...(o.retryMs === undefined ? {} : { retryMs: o.retryMs }), ...(o.maxWaitMs === undefined ? {} : { maxWaitMs: o.maxWaitMs }) };
  }

  /** The room's legs changed (join/leave): members with video, then every receiver's choice. */
  setLegs(legs: readonly RoomLeg[], nowMs: number): void {
    this.legCount = legs.length;
    for (let i = this.members.length - 1; i >= 0; i--) {
      const m = this.members[i] as Member;
      if (legs.includes(m.leg) && m.leg.video === m.video) continue;
      this.members.splice(i, 1);
      m.video.attach(null);
      this.lastRequest.delete(m.leg);
      this.lastSpoke.delete(m.leg);
      for (const r of this.members) {
        for (const o of r.outputs) {
          o.sw.forget(m.leg);
          o.pts.delete(m.leg);
          if (o.target === m.leg) o.target = null;
        }
        if (r.lastSource === m.leg) r.lastSource = null;
      }
    }
    for (const leg of legs) {
      const video = leg.video;
      if (video === null || video === undefined || this.members.some((m) => m.leg === leg)) continue;
      this.members.push(this.memberOf(leg, video));
      video.attach(this);
    }
    if (this.speaker !== null && !legs.includes(this.speaker)) this.speaker = null;
    this.update(nowMs);
  }

  private memberOf(leg: RoomLeg, video: RoomVideo): Member {
    const output = (formats: readonly VideoFormat[], send: Output['send'], reset: () => void): Output => ({ sw: new VideoSwitch(this.switchOptions), formats, pts: new Map(), send, reset, target: null });
    const main = output(video.formats, (p, v, now) => video.sendRtp(p, v, now), () => video.resetSource());
    const slots = videoSlotsOf(video).map((slot) => output(slot.formats, (p, v, now) => slot.sendRtp(p, v, now), () => slot.resetSource()));
    return { leg, video, sw: main.sw, outputs: [main, ...slots], slots, assignable: mainIsSlot(video) ? [main, ...slots] : slots, lastSource: null, sending: false };
  }

  /** The active speaker (rooms of three or more). */
  setSpeaker(leg: RoomLeg | null, nowMs: number): void {
    if (leg === this.speaker) return;
    if (this.speaker !== null) this.lastSpoke.set(this.speaker, nowMs);
    if (leg !== null) this.lastSpoke.set(leg, nowMs);
    this.speaker = leg;
    this.update(nowMs);
  }

  /** The source `leg` currently sees on its main stream (tests, admin), or null. */
  sourceOf(leg: RoomLeg): RoomLeg | null {
    return this.member(leg)?.sw.current ?? null;
  }

  /** The source each of `leg`'s video slots currently shows (tests, admin); [] without slots. */
  slotSourcesOf(leg: RoomLeg): (RoomLeg | null)[] {
    return this.member(leg)?.slots.map((o) => o.sw.current) ?? [];
  }

  private member(leg: RoomLeg): Member | undefined {
    for (const m of this.members) if (m.leg === leg) return m;
    return undefined;
  }

  private canSee(r: Member, s: Member): boolean {
    if (anyReceivable(s.video.formats, r.video.formats)) return true;
    const key = `${s.leg.id}>${r.leg.id}`;
    if (!this.mismatches.has(key)) {
      this.mismatches.add(key);
      mediaVideoNoCommonCodec.inc();
      this.onEvent({ type: 'video-no-common-codec', legId: r.leg.id, sourceLegId: s.leg.id });
    }
    return false;
  }

  private choose(r: Member): RoomLeg | null {
    const visible = (leg: RoomLeg | null): boolean => {
      if (leg === null || leg === r.leg) return false;
      const s = this.member(leg);
      return s !== undefined && this.canSee(r, s);
    };
    if (this.legCount <= 2) {
      for (const s of this.members) if (s !== r && visible(s.leg)) return s.leg;
      return null;
    }
    if (visible(this.speaker)) return this.speaker;
    if (visible(r.sw.pending)) return r.sw.pending;
    if (visible(r.sw.current)) return r.sw.current;
    if (visible(r.lastSource)) return r.lastSource;
    for (const s of this.members) if (s !== r && visible(s.leg)) return s.leg;
    return null;
  }

  private update(nowMs: number): void {
    for (const r of this.members) {
      if (r.slots.length > 0) {
        this.updateSlots(r, nowMs);
        continue;
      }
      const src = this.choose(r);
      if (src !== null) r.lastSource = src;
      if (r.sw.want(src, nowMs) === 'request' && src !== null) this.requestKeyFrame(src, 'switch', nowMs);
    }
  }

  /**
   * A receiver with slots: one participant per slot (video-slots.ts), nothing on its main
   * stream, unless that is receive-only (a guest without a camera): then it is the first slot.
   */
  private updateSlots(r: Member, nowMs: number): void {
    if (r.assignable[0] !== r.outputs[0]) r.sw.want(null, nowMs);
    const others: RoomLeg[] = [];
    for (const s of this.members) if (s !== r && s.sending && this.canSee(r, s)) others.push(s.leg);
    const targets = assignSlots(
      r.assignable.map((o) => o.target),
      rankBySpeech(others, this.speaker, this.lastSpoke),
    );
    r.assignable.forEach((o, i) => {
      const t = targets[i] ?? null;
      o.target = t;
      // a slot (re)assigned asks its new source for a key frame and switches at it
      if (o.sw.want(t, nowMs) === 'request' && t !== null) this.requestKeyFrame(t, 'switch', nowMs);
    });
  }

  private requestKeyFrame(source: RoomLeg, cause: 'switch' | 'receiver', nowMs: number): void {
    const s = this.member(source);
    if (s === undefined) return;
    const last = this.lastRequest.get(source);
    // one key frame serves every receiver waiting for it
    const byRtcp = s.video.feedback.pli || s.video.feedback.fir;
    if (last !== undefined && nowMs - last < (byRtcp ? MIN_REQUEST_INTERVAL_MS : MIN_INFO_INTERVAL_MS)) return;
    this.lastRequest.set(source, nowMs);
    if (s.video.requestKeyFrame()) {
      mediaVideoKeyFrameRequests.inc({ cause, via: s.video.feedback.pli ? 'pli' : 'fir' });
      return;
    }
    mediaVideoKeyFrameRequests.inc({ cause, via: 'info' });
    this.onEvent({ type: 'video-keyframe-info', legId: source.id });
  }

  onVideoRtp(from: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number): void {
    const s = this.member(from);
    if (s === undefined) return;
    if (!s.sending) {
      s.sending = true;
      if (this.members.some((r) => r.slots.length > 0)) this.update(nowMs); // it can have a slot now
    }
    let key: boolean | null = null;
    packet.copy(this.header, 0, 0, 12);
    for (const r of this.members) {
      if (r === s) continue;
      for (const o of r.outputs) {
        if (key === null && o.sw.wantsKeyFrame(from)) key = this.keyFrameStart(s, packet, view);
        const verdict = o.sw.onPacket(from, key === true, nowMs);
        if (verdict === 'drop') continue;
        if (verdict === 'switch') {
          o.reset();
          mediaVideoSwitches.inc();
        }
        const pt = this.targetPt(s, o, view.payloadType);
        if (pt < 0) {
          countDrop('no-route');
          continue;
        }
        packet[1] = ((this.header[1] ?? 0) & 0x80) | pt;
        o.send(packet, view, nowMs);
        this.header.copy(packet, 0, 0, 12); // the next stream's rewriter starts from the source header
      }
    }
  }

  private keyFrameStart(s: Member, packet: Buffer, view: RtpHeaderView): boolean {
    const f = s.video.formats.find((x) => x.pt === view.payloadType);
    const codec = f === undefined ? null : keyFrameCodecOf(f.name);
    return codec !== null && isKeyFrameStart(codec, packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength));
  }

  private targetPt(s: Member, o: Output, pt: number): number {
    let table = o.pts.get(s.leg);
    if (table === undefined) {
      table = new Int16Array(128).fill(-2);
      o.pts.set(s.leg, table);
    }
    let t = table[pt] ?? -1;
    if (t === -2) {
      t = targetPayloadType(s.video.formats, pt, o.formats) ?? -1;
      table[pt] = t;
    }
    return t;
  }

  /** `leg` asked for a key frame of the video we send it: ask its current source. */
  onVideoKeyFrameRequest(leg: RoomLeg): void {
    const src = this.member(leg)?.sw.current;
    if (src !== null && src !== undefined) this.requestKeyFrame(src, 'receiver', this.clock.now());
  }

  /** `leg` asked for a key frame of its slot `slot`: ask the source that slot shows. */
  onVideoSlotKeyFrameRequest(leg: RoomLeg, slot: number): void {
    const src = this.member(leg)?.slots[slot]?.sw.current;
    if (src !== null && src !== undefined) this.requestKeyFrame(src, 'receiver', this.clock.now());
  }

  /** Repeats key frame requests to sources a receiver waits for. */
  housekeeping(nowMs: number): void {
    for (const r of this.members) {
      for (const o of r.outputs) {
        const p = o.sw.due(nowMs);
        if (p !== null) this.requestKeyFrame(p, 'switch', nowMs);
      }
    }
  }

  close(): void {
    for (const m of this.members) m.video.attach(null);
    this.members.length = 0;
  }
}
