/**
 * RTCP terminated per leg (RFC 3550 6; RFC 7667 3.5 media-switching mixer): the reports a leg
 * sends describe only what THIS leg sent (its own SSRC, SenderStatistics) and received
 * (ReceiverStatistics per source SSRC on this leg). Nothing is copied across legs: the peers
 * live in different SSRC spaces. Incoming SR feed LSR/DLSR; PLI/FIR (RFC 4585 6.3.1, RFC 5104
 * 4.3.1) are reported to the room, which translates them toward the right sender.
 *
 * Report timing: RFC 3550 6.2 minimum interval 5 s, randomised to [0.5, 1.5] x interval (6.3.5)
 * so legs do not synchronise; the first report after half an interval (6.2 "initial delay"),
 * randomised the same way (6.3.5 applies to every interval): calls set up in a burst would
 * otherwise all report in the same housekeeping tick, a stall every leg's media waits behind.
 * The room's housekeeping timer asks `due()`.
 */
import { randomBytes } from 'node:crypto';
import { ReceiverStatistics } from '../../core/rtp/receiver-stats.ts';
import { buildRtcpReport } from '../../core/rtp/rtcp-report.ts';
import { parseRtcp } from '../../core/rtp/rtcp-parse.ts';
import { serializeRtcp, writeFir, writePli } from '../../core/rtp/rtcp-serialize.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { SenderStatistics } from '../../core/rtp/sender-stats.ts';

/** RFC 3550 6.2: "the recommended value for a fixed minimum interval is 5 seconds". */
export const RTCP_MIN_INTERVAL_MS = 5000;
/** Sources tracked per leg; more are counted as received but get no report block. */
const MAX_SOURCES = 16;

export class LegRtcp {
  readonly ssrc: number;
  /** RFC 7022: a random, per-leg CNAME (no user or host names leak). */
  readonly cname: string;
  readonly sender: SenderStatistics;
  private readonly intervalMs: number;
  private readonly sources = new Map<number, ReceiverStatistics>();
  private lastSource: ReceiverStatistics | null = null;
  private nextReportAt: number;
  reportsSent = 0;
  /** SR received from the peer, and the last report block the peer sent about our stream. */
  srReceived = 0;
  lastPeerLossFraction: number | null = null;

  constructor(ssrc: number, clockRate: number, nowMs: number, intervalMs = RTCP_MIN_INTERVAL_MS) {
    this.ssrc = ssrc >>> 0;
    this.cname = randomBytes(12).toString('base64url');
    this.sender = new SenderStatistics(ssrc, clockRate);
    this.intervalMs = intervalMs;
    this.nextReportAt = nowMs + (intervalMs / 2) * (0.5 + Math.random());
  }

  /** Receiver statistics for an RTP packet this leg received (RFC 3550 A.1, A.8). */
  onRtpReceived(view: RtpHeaderView, clockRate: number, nowMs: number): void {
    let s = this.lastSource;
    if (s === null || s.ssrc !== view.ssrc) {
      s = this.sources.get(view.ssrc) ?? null;
      if (s === null) {
        if (this.sources.size >= MAX_SOURCES) return;
        s = new ReceiverStatistics(view.ssrc, clockRate);
        this.sources.set(view.ssrc, s);
      }
      this.lastSource = s;
    }
    s.onPacket(view.sequenceNumber, view.timestamp, nowMs);
  }

  onRtpSent(rtpTimestamp: number, payloadOctets: number, nowMs: number): void {
    this.sender.onPacketSent(rtpTimestamp, payloadOctets, nowMs);
  }

  receivesFrom(ssrc: number): boolean {
    return this.sources.has(ssrc >>> 0);
  }

  /**
   * Handles a decrypted compound RTCP packet from the peer. Returns false when it does not
   * parse (the caller counts malformed-rtcp). `onKeyFrame` gets the media SSRC of each PLI/FIR.
   */
  onRtcp(plain: Uint8Array, nowMs: number, onKeyFrame: (mediaSsrc: number) => void): boolean {
    const parsed = parseRtcp(plain);
    if (!parsed.ok) return false;
    for (const p of parsed.packets) {
      if (p.type === 'sr') {
        this.srReceived++;
        this.sources.get(p.ssrc)?.onSenderReport(p.ntpSeconds, p.ntpFraction, nowMs);
        this.notePeerBlocks(p.reports);
      } else if (p.type === 'rr') {
        this.notePeerBlocks(p.reports);
      } else if (p.type === 'pli') {
        onKeyFrame(p.mediaSsrc);
      } else if (p.type === 'fir') {
        // RFC 5104 4.3.1.2: the targets are in the FCI entries; we translate FIR into PLI
        for (const e of p.entries) onKeyFrame(e.ssrc);
      }
    }
    return true;
  }

  private notePeerBlocks(blocks: readonly { readonly ssrc: number; readonly fractionLost: number }[]): void {
    for (const b of blocks) if (b.ssrc === this.ssrc) this.lastPeerLossFraction = b.fractionLost / 256;
  }

  due(nowMs: number): boolean {
    return nowMs >= this.nextReportAt;
  }

  /** Builds this leg's SR or RR + SDES CNAME (plain) and schedules the next one. */
  buildReport(nowMs: number, wallclockMs: number): Uint8Array {
    const packets = buildRtcpReport({
      ssrc: this.ssrc,
      cname: this.cname,
      sender: this.sender,
      sources: [...this.sources.values()],
      nowMs,
      wallclockMs,
      senderWindowMs: 2 * this.intervalMs,
    });
    this.nextReportAt = nowMs + this.intervalMs * (0.5 + Math.random());
    this.reportsSent++;
    return serializeRtcp(packets);
  }

  /**
   * A key-frame request about `mediaSsrc`: PLI (RFC 4585 6.3.1), or FIR (RFC 5104 4.3.1) with
   * this command sequence number. RFC 4585 3.1 / RFC 3550 6.1: feedback travels in a compound
   * packet that starts with a report, so this builds one (and schedules the next, as above).
   */
  buildKeyFrameRequest(nowMs: number, wallclockMs: number, mediaSsrc: number, firSequence?: number): Uint8Array {
    const report = this.buildReport(nowMs, wallclockMs);
    const out = new Uint8Array(report.length + (firSequence === undefined ? 12 : 20));
    out.set(report, 0);
    if (firSequence === undefined) writePli(out, report.length, this.ssrc, mediaSsrc);
    else writeFir(out, report.length, this.ssrc, [{ ssrc: mediaSsrc, sequenceNumber: firSequence & 0xff }]);
    return out;
  }
}
