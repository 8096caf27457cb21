/**
 * Extra outgoing video streams of one leg (issue 6: separate tracks to browsers). A browser
 * guest whose offer carries extra recvonly video m-lines gets one VideoSlot per m-line
 * (webrtc-guest-video.ts); the VideoRouter puts one other participant on each slot
 * (core/rtp/video-slots.ts) and leaves the leg's main video stream without a source then.
 * Legs without slots (SIP legs, older pages) keep the single stream of RoomVideo.
 *
 * Kept apart from media-types.ts' RoomVideo on purpose: only guest video has slots, and the
 * router asks for them with `videoSlotsOf`.
 */
import type { VideoFormat } from '../../app/video-plan.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import type { RoomLeg, RoomVideo, VideoSink } from './media-types.ts';

export interface VideoSlot {
  /** Our SSRC on this slot's m-line (its a=ssrc in the answer). */
  readonly ssrc: number;
  /** What the receiver negotiated on this m-line (PT mapping per slot). */
  readonly formats: readonly VideoFormat[];
  /** Rewrites (SSRC/seq/ts per slot), protects and sends; PT already set. */
  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean;
  /** Starts a new rewriter epoch at the next packet (the slot switched source). */
  resetSource(): void;
}

export interface SlottedVideo extends RoomVideo {
  readonly slots: readonly VideoSlot[];
  /**
   * The leg offered its main video m-line receive-only (a guest without a camera; the join
   * page then offers one slot more, src/web/video-slots.ts): it sends nothing there, so the
   * main stream carries one participant like a slot instead of staying empty.
   */
  readonly mainReceiveOnly?: boolean;
}

/** A sink that also takes key frame requests about one slot's stream. */
export interface SlotVideoSink extends VideoSink {
  /** `leg` asked (PLI/FIR naming the slot's SSRC) for a key frame of slot `slot`. */
  onVideoSlotKeyFrameRequest(leg: RoomLeg, slot: number): void;
}

export function videoSlotsOf(video: RoomVideo): readonly VideoSlot[] {
  return (video as Partial<SlottedVideo>).slots ?? [];
}

/** True when the leg's main video stream is used as one more slot (see SlottedVideo). */
export function mainIsSlot(video: RoomVideo): boolean {
  const v = video as Partial<SlottedVideo>;
  return (v.slots?.length ?? 0) > 0 && v.mainReceiveOnly === true;
}

export function isSlotSink(sink: VideoSink): sink is SlotVideoSink {
  return typeof (sink as Partial<SlotVideoSink>).onVideoSlotKeyFrameRequest === 'function';
}
