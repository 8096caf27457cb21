/**
 * A browser guest's video (issue 6): the sendrecv video transceiver of the guest's werift peer,
 * on the same DTLS transport as its audio (BUNDLE, RFC 8843; one DTLS-SRTP association keys
 * both, RFC 5764), as the RoomVideo of the guest's leg (webrtc-guest-leg.ts).
 *
 * Receive: werift decrypts (our SRTP core, werift-srtp-hook.ts) and routes the video RTP to
 * this transceiver's track; each packet is re-serialised as plain RTP without header
 * extensions (`plainRtpFromWerift`) and handed to the room. Send: the room's packet goes
 * through our RtpStreamRewriter (SSRC = our answer's a=ssrc for video, 90 kHz, no marker
 * games), is protected by the transport's core SRTP session and written to the ICE connection;
 * werift's RTCRtpSender is bypassed as for audio. RTCP: the browser's PLI/FIR about our video
 * SSRC (or a slot's) goes to the room; our PLI toward the browser names the SSRC it sends video with; our
 * sender/receiver reports come from LegRtcp in housekeeping().
 *
 * Slots (issue 6, separate tracks): the extra video m-lines the browser offered recvonly are
 * this video's `slots` (webrtc-guest-video-slot.ts), one participant each (VideoRouter); the
 * main stream above then carries nothing. Without slots it carries the room's one stream.
 */
import { PictureLossIndication, RtcpPayloadSpecificFeedback } from 'werift';
import type { RTCRtpTransceiver, RtcpPacket, RtpPacket } from 'werift';
import type { VideoFeedback, VideoFormat } from '../../app/video-plan.ts';
import { RtpHeaderView, parseRtpHeaderInto } from '../../core/rtp/rtp-packet.ts';
import type { Clock } from '../../ports/clock.ts';
import type { LegRtcp } from '../media/leg-rtcp.ts';
import type { RoomLeg, VideoSink } from '../media/media-types.ts';
import { isSlotSink, type SlottedVideo } from '../media/video-slot-types.ts';
import { GuestVideoSlot } from './webrtc-guest-video-slot.ts';
import type { CoreSrtcpSession, CoreSrtpSession } from './core-srtp-session.ts';
import { onReceivedRtp, plainRtpFromWerift } from './werift-received-rtp.ts';

export { plainRtpFromWerift } from './werift-received-rtp.ts';

/** Largest video RTP packet we take from werift (browsers packetise at ~1200 octets). */
const RX_SIZE = 1500;

/** What the guest leg lends its video: the transport's SRTP sessions once keyed, and the wire. */
export interface GuestTransportAccess {
  srtp(): CoreSrtpSession | null;
  srtcp(): CoreSrtcpSession | null;
  transmit(datagram: Buffer): void;
  /** Whether the leg is open and the peer receives (hold). */
  canSend(): boolean;
}

export class GuestVideo implements SlottedVideo {
  readonly ssrc: number;
  readonly formats: readonly VideoFormat[];
  readonly feedback: VideoFeedback;
  /** The main stream's RTCP: our sender reports and the receiver statistics of the camera. */
  readonly rtcp: LegRtcp;
  /** One per extra recvonly video m-line of the offer, in m-line order (empty: older pages). */
  readonly slots: readonly GuestVideoSlot[];
  /** The browser offered its camera m-line recvonly (werift: offerDirection 'sendonly'): no camera. */
  readonly mainReceiveOnly: boolean;
  private readonly owner: RoomLeg;
  private readonly io: GuestTransportAccess;
  private readonly clock: Clock;
  /** What we send on the main m-line: the same outgoing stream as a slot's (rewriter, SRTP, counts). */
  private readonly out: GuestVideoSlot;
  private readonly rx = Buffer.alloc(RX_SIZE);
  private readonly view = new RtpHeaderView();
  private sink: VideoSink | null = null;
  private remoteSsrc: number | null = null;
  private closed = false;
  rtpIn = 0;

  constructor(owner: RoomLeg, transceiver: RTCRtpTransceiver, io: GuestTransportAccess, clock: Clock, rtcpIntervalMs?: number, slots: readonly RTCRtpTransceiver[] = []) {
    this.owner = owner;
    this.io = io;
    this.clock = clock;
    this.out = new GuestVideoSlot(-1, transceiver, io, clock.now(), rtcpIntervalMs);
    this.formats = this.out.formats;
    this.ssrc = this.out.ssrc;
    this.rtcp = this.out.rtcp;
    this.slots = slots.map((t, i) => new GuestVideoSlot(i, t, io, clock.now(), rtcpIntervalMs));
    this.mainReceiveOnly = transceiver.offerDirection === 'sendonly';
    const fb = transceiver.codecs.flatMap((c) => c.rtcpFeedback.map((f) => `${f.type} ${f.parameter ?? ''}`.trim()));
    this.feedback = { pli: fb.includes('nack pli'), fir: fb.includes('ccm fir') };
    onReceivedRtp(transceiver, (rtp) => this.onWeriftRtp(rtp));
    // Key frame requests are taken off the transport, not werift's routing: werift hands a
    // PSFB to the sender or receiver its SENDER SSRC names first (router.ts routeRtcp), and a
    // browser's feedback carries its own camera's SSRC there, so requests about our slots
    // (and about the main stream) would reach the camera's receiver instead.
    transceiver.dtlsTransport.onRtcp.subscribe((p) => this.onTransportRtcp(p));
  }

  /** RFC 4585 6.3.1 PLI (media SSRC) / RFC 5104 4.3.1 FIR (FCI SSRCs) naming one of our video SSRCs. */
  private onTransportRtcp(p: RtcpPacket): void {
    if (this.closed || !(p instanceof RtcpPayloadSpecificFeedback)) return;
    const fb: unknown = p.feedback;
    let named: readonly number[] = [];
    if (fb instanceof PictureLossIndication) named = [fb.mediaSsrc];
    else if (typeof fb === 'object' && fb !== null && 'fir' in fb && Array.isArray(fb.fir)) named = (fb.fir as { ssrc?: unknown }[]).map((e) => (typeof e.ssrc === 'number' ? e.ssrc : -1));
    for (const ssrc of named) {
      if (ssrc === this.ssrc) this.sink?.onVideoKeyFrameRequest(this.owner);
      const slot = this.slots.findIndex((x) => x.ssrc === ssrc);
      if (slot >= 0) this.onSlotKeyFrameRequest(slot);
    }
  }

  private onSlotKeyFrameRequest(slot: number): void {
    const sink = this.sink;
    if (sink !== null && isSlotSink(sink)) sink.onVideoSlotKeyFrameRequest(this.owner, slot);
  }

  private onWeriftRtp(rtp: RtpPacket): void {
    if (this.closed) return;
    const len = plainRtpFromWerift(rtp, this.rx);
    if (len < 0) return;
    const packet = this.rx.subarray(0, len);
    if (parseRtpHeaderInto(packet, this.view) !== null) return;
    if (!this.formats.some((f) => f.pt === this.view.payloadType)) return;
    const now = this.clock.now();
    this.rtpIn++;
    this.remoteSsrc = this.view.ssrc;
    this.rtcp.onRtpReceived(this.view, 90000, now);
    this.sink?.onVideoRtp(this.owner, packet, this.view, now);
  }

  attach(sink: VideoSink | null): void {
    this.sink = sink;
  }

  get rtpOut(): number {
    return this.out.rtpOut;
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    return this.out.sendRtp(packet, view, nowMs);
  }

  currentSource(): number | null {
    return this.out.currentSource();
  }

  resetSource(): void {
    this.out.resetSource();
  }

  private sendRtcp(plain: Uint8Array): void {
    const srtcp = this.io.srtcp();
    if (this.closed || srtcp === null) return;
    const r = srtcp.outbound.protectRtcp(plain);
    if (r.ok) this.io.transmit(r.out);
  }

  requestKeyFrame(): boolean {
    // WebRTC endpoints must support PLI (RFC 8834 5.1.2)
    if (this.remoteSsrc === null) return true;
    this.sendRtcp(this.rtcp.buildKeyFrameRequest(this.clock.now(), Date.now(), this.remoteSsrc));
    return true;
  }

  housekeeping(nowMs: number, wallclockMs: number): void {
    if (!this.closed && this.rtcp.due(nowMs)) this.sendRtcp(this.rtcp.buildReport(nowMs, wallclockMs));
    for (const s of this.slots) s.housekeeping(nowMs, wallclockMs);
  }

  close(): Promise<void> {
    this.closed = true;
    this.out.close();
    for (const s of this.slots) s.close();
    this.sink = null;
    return Promise.resolve();
  }
}
