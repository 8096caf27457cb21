/**
 * Plain data the media plane is configured with and the events it reports. The call layer
 * fills these from the negotiated SDP (sdp/, crypto-policy/); nothing here parses SDP.
 */
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import type { MediaLegKind } from '../../metrics/media.ts';
import type { VideoFeedback, VideoFormat } from '../../app/video-plan.ts';

/**
 * The direction attribute of the PEER's SDP for this m-line (RFC 3264 6.1, RFC 8866 6.7), as
 * the endpoint declared it:
 *   sendrecv  peer sends and receives: media timeout armed
 *   sendonly  peer holds the call (it may send music on hold; we send it nothing): no timeout
 *   recvonly  peer only receives: we send, it is not expected to send: no timeout
 *   inactive  hold in both directions: nothing sent, no timeout
 */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export function peerSends(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

export function peerReceives(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

/** One negotiated payload type (a=rtpmap, or the RFC 3551 static table). */
export interface PayloadFormat {
  readonly pt: number;
  /** Encoding name as in a=rtpmap (case-insensitive): PCMU, PCMA, G722, opus, telephone-event, CN. */
  readonly name: string;
  readonly clockRate: number;
  readonly channels?: number;
}

/** Where the peer said it receives (c= and m= port, a=rtcp or port + 1, RFC 3605). */
export interface RemoteEndpoint {
  readonly address: string;
  readonly rtpPort: number;
  /** Equal to rtpPort with rtcp-mux (RFC 5761). */
  readonly rtcpPort: number;
}

/** Symmetric-RTP latching parameters (docs/media-latching.md). */
export interface LatchingOptions {
  /** 'symmetric' (default): latch per the documented rules; 'strict': only the SDP address. */
  readonly mode?: 'symmetric' | 'strict';
  /** Authenticated packets a new source must send before we move to it. Default 8. */
  readonly relatchPackets?: number;
  /** Silence of the current source required before moving. Default 500 ms. */
  readonly relatchSilenceMs?: number;
  /** Unprotect attempts per second spent on packets from other sources. Default 100. */
  readonly probesPerSecond?: number;
}

export type MediaEvent =
  | { readonly type: 'media-timeout'; readonly legId: string; readonly silentForMs: number }
  | {
      readonly type: 'source-latched';
      readonly legId: string;
      readonly proto: 'rtp' | 'rtcp';
      /** 'first': first authenticated packet came from elsewhere than the SDP; 'moved': relatched. */
      readonly how: 'first' | 'moved';
      readonly address: string;
      readonly port: number;
    }
  | { readonly type: 'dtmf'; readonly legId: string; readonly event: number; readonly end: boolean }
  /**
   * A key frame is needed from this leg's video and it negotiated neither `nack pli` nor
   * `ccm fir`: the call layer sends it SIP INFO picture_fast_update (RFC 5168).
   */
  | { readonly type: 'video-keyframe-info'; readonly legId: string }
  /** `legId` gets no video from `sourceLegId`: no common video codec (no transcoding). Once per pair. */
  | { readonly type: 'video-no-common-codec'; readonly legId: string; readonly sourceLegId: string };

/** What a leg hands to the room it is attached to. */
export interface LegSink {
  /**
   * A decrypted, validated RTP packet. `packet` is the leg's receive buffer: valid only during
   * the call; the sink may modify it in place (PT, and the rewriter's SSRC/seq/ts).
   * `arrivedAt` is the performance.now() at socket handler entry (latency metric).
   */
  onRtp(leg: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number, arrivedAt: number): void;
  /** PLI (RFC 4585 6.3.1) or FIR (RFC 5104 4.3.1) received for `mediaSsrc` (one of our SSRCs). */
  onKeyFrameRequest(leg: RoomLeg, mediaSsrc: number): void;
  /** Latching decisions (the room forwards them as MediaEvents). */
  onLatched(leg: RoomLeg, proto: 'rtp' | 'rtcp', how: 'first' | 'moved', address: string, port: number): void;
  /** The leg's video stream went away while the leg stays (RFC 3264 8.2, port 0 in a re-INVITE). */
  onVideoGone?(leg: RoomLeg): void;
}

/**
 * A room participant's media as the room sees it. SDES SIP legs (media-leg.ts), DTLS-SRTP SIP
 * legs (webrtc/dtls-udp-leg.ts) and browser guests (webrtc/webrtc-guest-leg.ts) implement it,
 * on what they share in room-leg-base.ts.
 */
export interface RoomLeg {
  readonly id: string;
  readonly kind: MediaLegKind;
  /** Our SSRC toward this leg (the outgoing stream after rewriting). */
  readonly ssrc: number;
  readonly direction: MediaDirection;
  /** Negotiated payload types by number. */
  format(pt: number): PayloadFormat | undefined;
  /** The format we send audio with (first codec of the answer). */
  readonly sendFormat: PayloadFormat;
  /** telephone-event PT at the send codec's clock rate, or null if not negotiated. */
  readonly telephoneEventPt: number | null;
  attach(sink: LegSink | null): void;
  /**
   * Sends a plain RTP packet (PT already set for this leg): rewrites SSRC/seq/ts into this leg's
   * outgoing stream, protects and sends. `view` was parsed from `packet` and holds the SOURCE
   * SSRC/seq/ts. Returns false when the packet was dropped (counted).
   */
  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean;
  /** The source SSRC currently feeding this leg's outgoing stream, or null. */
  currentSource(): number | null;
  /** Asks the sender of `sourceSsrc` (a stream this leg receives) for a key frame (PLI). */
  requestKeyFrame(sourceSsrc: number): void;
  /** Whether this leg received RTP from `ssrc`. */
  receivesFrom(ssrc: number): boolean;
  /** Periodic work driven by the room's housekeeping timer: RTCP reports when due. */
  housekeeping(nowMs: number, wallclockMs: number): void;
  /**
   * How long the leg has been silent, once, when its media timeout fires (no authenticated RTP
   * for the configured time while the peer is sendrecv); null otherwise.
   */
  mediaTimeout(nowMs: number): number | null;
  updateDirection(direction: MediaDirection, nowMs: number): void;
  close(): Promise<void>;
  /** The leg's video stream, when its offer's video m-line was accepted (src/app/video-plan.ts). */
  readonly video?: RoomVideo | null;
}

/** What a leg's video stream hands to the room (video-router.ts). */
export interface VideoSink {
  /** A decrypted video RTP packet of `leg` (same buffer rules as LegSink.onRtp). */
  onVideoRtp(leg: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number): void;
  /**
   * `leg` asked for a key frame of the video we send it: PLI (RFC 4585 6.3.1), FIR (RFC 5104
   * 4.3.1) naming our video SSRC, or SIP INFO picture_fast_update (RFC 5168).
   */
  onVideoKeyFrameRequest(leg: RoomLeg): void;
}

/**
 * A leg's one video stream as the room sees it: SDES SIP legs have a second SRTP stream on
 * their own ports (sdes-video.ts), browser guests a video transceiver on the bundled DTLS
 * transport (webrtc-guest-video.ts). Forwarded only; never decoded.
 */
export interface RoomVideo {
  /** Our SSRC toward this leg's video (one outgoing stream, whoever the source). */
  readonly ssrc: number;
  readonly formats: readonly VideoFormat[];
  readonly feedback: VideoFeedback;
  attach(sink: VideoSink | null): void;
  /** Rewrites (SSRC/seq/ts, no marker) into our stream, protects and sends; PT already set. */
  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean;
  /** The source SSRC feeding our outgoing video, or null. */
  currentSource(): number | null;
  /** Starts a new rewriter epoch at the next packet even if its SSRC is unchanged. */
  resetSource(): void;
  /**
   * Asks the peer for a key frame of the video it sends (PLI, else FIR). False when it
   * negotiated neither: the caller asks by SIP INFO instead.
   */
  requestKeyFrame(): boolean;
  /** Hold/resume (RFC 3264 8.4): a re-INVITE's direction applies to the video stream too. */
  updateDirection?(direction: MediaDirection, nowMs: number): void;
  housekeeping(nowMs: number, wallclockMs: number): void;
  close(): Promise<void>;
}
