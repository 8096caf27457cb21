/**
 * Builds the compound report a leg sends (RFC 3550 6.1, 6.4): an SR if it is an active sender,
 * else an RR, with one report block per validated source (extra RR packets past 31 sources,
 * 6.4.2), followed by SDES with the CNAME (required in every compound packet, 6.5.1).
 * RTCP is terminated per leg: the blocks describe what this leg received, never blocks copied
 * from another leg's SSRC space.
 */
import { ntpFromUnixMs } from './ntp-time.ts';
import type { ReceiverStatistics } from './receiver-stats.ts';
import { SDES_CNAME, type RtcpPacket, type RtcpReportBlock } from './rtcp-types.ts';
import type { SenderStatistics } from './sender-stats.ts';

const MAX_BLOCKS = 31;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export interface RtcpReportInput {
  /** SSRC this leg sends with (also used for RR when not sending). */
  readonly ssrc: number;
  readonly cname: string;
  readonly sender: SenderStatistics | null;
  readonly sources: readonly ReceiverStatistics[];
  /** Monotonic time, for DLSR and the SR's RTP timestamp. */
  readonly nowMs: number;
  /** Wall time (Unix ms) for the SR's NTP timestamp. */
  readonly wallclockMs: number;
  /**
   * A participant is a sender if it sent within this window (RFC 3550 6.3.8 uses two report
   * intervals; the caller knows its interval). Default 10 s = 2 x the 5 s minimum interval.
   */
  readonly senderWindowMs?: number;
}

export function buildRtcpReport(input: RtcpReportInput): RtcpPacket[] {
  const blocks: RtcpReportBlock[] = [];
  for (const s of input.sources) if (s.hasData) blocks.push(s.reportBlock(input.nowMs));
  const first = blocks.slice(0, MAX_BLOCKS);
  const packets: RtcpPacket[] = [];
  const sender = input.sender;
  const window = input.senderWindowMs ?? 10_000;
  if (sender !== null && sender.hasSent && input.nowMs - sender.lastSentMs <= window) {
    const ntp = ntpFromUnixMs(input.wallclockMs);
    packets.push({
      type: 'sr',
      ssrc: input.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: sender.rtpTimestampAt(input.nowMs),
      packetCount: sender.packetCount,
      octetCount: sender.octetCount,
      reports: first,
      profileExtension: EMPTY,
    });
  } else {
    packets.push({ type: 'rr', ssrc: input.ssrc, reports: first, profileExtension: EMPTY });
  }
  for (let i = MAX_BLOCKS; i < blocks.length; i += MAX_BLOCKS) {
    packets.push({ type: 'rr', ssrc: input.ssrc, reports: blocks.slice(i, i + MAX_BLOCKS), profileExtension: EMPTY });
  }
  const cname = encoder.encode(input.cname).subarray(0, 255);
  packets.push({ type: 'sdes', chunks: [{ ssrc: input.ssrc, items: [{ type: SDES_CNAME, value: cname }] }] });
  return packets;
}
