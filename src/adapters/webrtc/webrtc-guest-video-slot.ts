/**
 * One video slot of a browser guest (issue 6: separate tracks per participant): an extra video
 * m-line the browser offered recvonly (src/web/guest-call.ts adds K of them to its first
 * offer), answered sendonly by the guest's werift peer with its own a=ssrc and a=msid, so the
 * browser demultiplexes it by SSRC on the bundled transport (RFC 8843 9.2, no MID header
 * extension on our packets) and makes one remote track of it.
 *
 * Send only: the room's packet goes through this slot's own RtpStreamRewriter (SSRC = the
 * slot's a=ssrc, continuous seq/ts across the participants the slot shows over time), is
 * protected by the transport's core SRTP session (one session, any number of SSRCs) and
 * written to the ICE connection; werift's RTCRtpSender is bypassed as for the main stream.
 * RTCP: the browser's PLI/FIR naming the slot's SSRC (taken off the transport by
 * webrtc-guest-video.ts) goes to the room as a request about this slot (VideoRouter asks the
 * participant the slot shows); our sender reports come from the
 * slot's LegRtcp in housekeeping().
 *
 * The guest's main video stream sends through one of these too (webrtc-guest-video.ts, index -1),
 * its RTCP driven by GuestVideo (it also receives the camera).
 */
import { randomInt } from 'node:crypto';
import type { RTCRtpTransceiver } from 'werift';
import { videoFormatOf, type VideoFormat } from '../../app/video-plan.ts';
import { readU32, type RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../core/rtp/rtp-stream-rewriter.ts';
import { LegRtcp } from '../media/leg-rtcp.ts';
import type { VideoSlot } from '../media/video-slot-types.ts';
import type { GuestTransportAccess } from './webrtc-guest-video.ts';

/** VP8 and H.264 payload types werift negotiated on a video m-line. */
export function guestVideoFormats(transceiver: RTCRtpTransceiver): VideoFormat[] {
  return transceiver.codecs
    .filter((c) => ['vp8', 'h264'].includes((c.mimeType.split('/')[1] ?? '').toLowerCase()))
    .map((c) => videoFormatOf({ payloadType: c.payloadType, name: c.mimeType.split('/')[1] ?? c.mimeType, clockRate: c.clockRate, channels: 1, fmtp: c.parameters, rtcpFb: [] }));
}

export class GuestVideoSlot implements VideoSlot {
  readonly index: number;
  readonly ssrc: number;
  readonly formats: readonly VideoFormat[];
  readonly rtcp: LegRtcp;
  private readonly io: GuestTransportAccess;
  private readonly rewriter: RtpStreamRewriter;
  private closed = false;
  rtpOut = 0;

  constructor(index: number, transceiver: RTCRtpTransceiver, io: GuestTransportAccess, nowMs: number, rtcpIntervalMs?: number) {
    this.index = index;
    this.io = io;
    this.formats = guestVideoFormats(transceiver);
    this.ssrc = transceiver.sender.ssrc;
    this.rewriter = new RtpStreamRewriter({ ssrc: this.ssrc, clockRate: 90000, initialSequence: randomInt(0, 0x10000), initialTimestamp: randomInt(0, 0xffffffff) });
    this.rtcp = new LegRtcp(this.ssrc, 90000, nowMs, rtcpIntervalMs);
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    const srtp = this.io.srtp();
    if (this.closed || srtp === null || !this.io.canSend()) return false;
    if (this.rewriter.rewrite(packet, view, nowMs) === 'stale') return false;
    const r = srtp.outbound.protectRtp(packet);
    if (!r.ok) return false;
    this.io.transmit(r.out);
    this.rtpOut++;
    this.rtcp.onRtpSent(readU32(packet, 4), view.payloadLength, nowMs);
    return true;
  }

  resetSource(): void {
    this.rewriter.resetSource();
  }

  currentSource(): number | null {
    return this.rewriter.currentSource;
  }

  /** RFC 3550 6.4.1: a sender report for this slot's SSRC once it has sent. */
  housekeeping(nowMs: number, wallclockMs: number): void {
    if (this.closed || this.rtpOut === 0 || !this.rtcp.due(nowMs)) return;
    const srtcp = this.io.srtcp();
    if (srtcp === null) return;
    const r = srtcp.outbound.protectRtcp(this.rtcp.buildReport(nowMs, wallclockMs));
    if (r.ok) this.io.transmit(r.out);
  }

  close(): void {
    this.closed = true;
  }
}
