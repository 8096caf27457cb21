/**
 * The video stream of an SDES SIP leg: a second SdesMediaLeg (`stream: 'video'`) on its own
 * ports with its own keys (the video m-line's own a=crypto, RFC 4568 6), wrapped as the
 * RoomVideo of the audio leg. Receive, SRTP, latching and RTCP reports are the SdesMediaLeg's;
 * this adds what the room needs for video: the packets and key frame requests reported on
 * behalf of the audio leg (the participant), the SSRC the peer sends video with, and PLI/FIR
 * toward it by what it negotiated (RFC 4585 4.2 a=rtcp-fb).
 */
import type { VideoFeedback, VideoFormat } from '../../app/video-plan.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import type { LegStreamRekey } from '../../ports/media-plane.ts';
import type { SrtpSuiteName } from '../../core/srtp/index.ts';
import type { SdesMediaLeg } from './media-leg.ts';
import type { LegSink, MediaDirection, RoomLeg, RoomVideo, VideoSink } from './media-types.ts';

export class SdesVideo implements RoomVideo {
  readonly formats: readonly VideoFormat[];
  readonly feedback: VideoFeedback;
  private readonly owner: RoomLeg;
  private readonly leg: SdesMediaLeg;
  private sink: VideoSink | null = null;
  private remoteSsrc: number | null = null;
  /** RFC 5104 4.3.1.1: FIR command sequence number, one more per new request. */
  private firSequence = 0;
  /** A key frame was asked for before the peer's SSRC was known: sent with its first packet. */
  private keyFramePending = false;

  /** `leg` carries the video m-line; `owner` is the participant's audio leg the room knows. */
  /** The peer's video stream's SRTP index (takeover: CallLeg.inbound, with the audio's). */
  inboundIndexes(): { ssrc: number; index: number }[] {
    return this.leg.inboundIndexes();
  }

  primeInbound(streams: readonly { readonly ssrc: number; readonly index: number }[]): void {
    this.leg.primeInbound(streams);
  }

  constructor(owner: RoomLeg, leg: SdesMediaLeg, formats: readonly VideoFormat[], feedback: VideoFeedback) {
    this.owner = owner;
    this.leg = leg;
    this.formats = formats;
    this.feedback = feedback;
    const sink: LegSink = {
      onRtp: (_l, packet, view, nowMs) => {
        this.remoteSsrc = view.ssrc;
        if (this.keyFramePending) {
          this.keyFramePending = false;
          this.requestKeyFrame();
        }
        this.sink?.onVideoRtp(this.owner, packet, view, nowMs);
      },
      onKeyFrameRequest: (_l, mediaSsrc) => {
        if (mediaSsrc >>> 0 === this.leg.ssrc) this.sink?.onVideoKeyFrameRequest(this.owner);
      },
      onLatched: () => {},
    };
    leg.attach(sink);
  }

  get ssrc(): number {
    return this.leg.ssrc;
  }

  /** Our RTP port of the video m-line (for the answer). */
  get localRtpPort(): number {
    return this.leg.localRtpPort;
  }

  /** The SDES leg underneath (tests, counters). */
  get stream(): SdesMediaLeg {
    return this.leg;
  }

  attach(sink: VideoSink | null): void {
    this.sink = sink;
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    return this.leg.sendRtp(packet, view, nowMs);
  }

  currentSource(): number | null {
    return this.leg.currentSource();
  }

  resetSource(): void {
    this.leg.resetSource();
  }

  requestKeyFrame(): boolean {
    if (!this.feedback.pli && !this.feedback.fir) return false;
    // before the first packet the SSRC is unknown and RFC 4585 6.3.1 needs one: asked with the
    // first packet (a stream taken over mid-call starts between key frames)
    if (this.remoteSsrc === null) {
      this.keyFramePending = true;
      return true;
    }
    if (this.feedback.pli) this.leg.requestKeyFrame(this.remoteSsrc);
    else this.leg.requestKeyFrame(this.remoteSsrc, this.firSequence++);
    return true;
  }

  /**
   * A re-INVITE changed the video m-line's keys and/or address (src/app/reinvite-video.ts):
   * the stream switches like an audio leg does, with the same grace window (leg-rekey.ts).
   */
  rekey(u: LegStreamRekey, gracePackets?: number): void {
    this.leg.rekey(u, gracePackets);
  }

  /** The suite the video stream protects and verifies with now. */
  get srtpSuite(): SrtpSuiteName {
    return this.leg.srtpSuite;
  }

  updateDirection(direction: MediaDirection, nowMs: number): void {
    this.leg.updateDirection(direction, nowMs);
  }

  housekeeping(nowMs: number, wallclockMs: number): void {
    this.leg.housekeeping(nowMs, wallclockMs);
  }

  close(): Promise<void> {
    this.sink = null;
    return this.leg.close();
  }
}
