/**
 * RTCP packet model (RFC 3550 6.4-6.7, RFC 4585 6.1-6.3, RFC 5104 4.3.1) as plain data.
 * Binary fields that are not text by contract (SDES values, BYE reason) stay bytes so that
 * parse -> serialize -> parse is exact; `rtcpText()` decodes them for display.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;

/** RTPFB FMT values (RFC 4585 6.2). */
export const RTPFB_NACK = 1;
/** PSFB FMT values (RFC 4585 6.3, RFC 5104 4.3). */
export const PSFB_PLI = 1;
export const PSFB_FIR = 4;

/** SDES item types (RFC 3550 6.5). */
export const SDES_END = 0;
export const SDES_CNAME = 1;

export interface RtcpReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the previous report, fixed point /256 (RFC 3550 6.4.1). */
  readonly fractionLost: number;
  /** Cumulative number of packets lost, signed 24 bits. */
  readonly cumulativeLost: number;
  readonly highestSequence: number;
  readonly jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (LSR). */
  readonly lastSr: number;
  /** Delay since that SR in units of 1/65536 s (DLSR). */
  readonly delaySinceLastSr: number;
}

export interface RtcpSenderReport {
  readonly type: 'sr';
  readonly ssrc: number;
  readonly ntpSeconds: number;
  readonly ntpFraction: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly reports: readonly RtcpReportBlock[];
  /** Profile-specific extension (RFC 3550 6.4.1), a multiple of 4 octets; usually empty. */
  readonly profileExtension: Uint8Array;
}

export interface RtcpReceiverReport {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly RtcpReportBlock[];
  readonly profileExtension: Uint8Array;
}

export interface RtcpSdesItem {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface RtcpSdesChunk {
  readonly ssrc: number;
  readonly items: readonly RtcpSdesItem[];
}

export interface RtcpSdes {
  readonly type: 'sdes';
  readonly chunks: readonly RtcpSdesChunk[];
}

export interface RtcpBye {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason: Uint8Array | null;
}

export interface RtcpApp {
  readonly type: 'app';
  readonly subtype: number;
  readonly ssrc: number;
  /** Four octets, ASCII by RFC 3550 6.7; kept as latin1 text. */
  readonly name: string;
  readonly data: Uint8Array;
}

export interface RtcpNackItem {
  /** Packet ID: a lost sequence number. */
  readonly pid: number;
  /** Bitmask of following lost packets (bit i => pid + i + 1), RFC 4585 6.2.1. */
  readonly blp: number;
}

export interface RtcpNack {
  readonly type: 'nack';
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  readonly items: readonly RtcpNackItem[];
}

export interface RtcpPli {
  readonly type: 'pli';
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
}

export interface RtcpFirEntry {
  readonly ssrc: number;
  readonly sequenceNumber: number;
}

export interface RtcpFir {
  readonly type: 'fir';
  readonly senderSsrc: number;
  /** RFC 5104 4.3.1.2: SHALL be 0 (the targets are in the FCI entries). */
  readonly mediaSsrc: number;
  readonly entries: readonly RtcpFirEntry[];
}

/** Any other transport-layer (205) or payload-specific (206) feedback, FCI kept opaque. */
export interface RtcpFeedback {
  readonly type: 'rtpfb' | 'psfb';
  readonly fmt: number;
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  readonly fci: Uint8Array;
}

/** A packet type this parser does not model (XR 207, ...): body kept after the 4-octet header. */
export interface RtcpUnknown {
  readonly type: 'unknown';
  readonly packetType: number;
  readonly count: number;
  readonly body: Uint8Array;
}

export type RtcpPacket =
  | RtcpSenderReport
  | RtcpReceiverReport
  | RtcpSdes
  | RtcpBye
  | RtcpApp
  | RtcpNack
  | RtcpPli
  | RtcpFir
  | RtcpFeedback
  | RtcpUnknown;

export type RtcpParseReason =
  | 'empty' // zero octets
  | 'too-short' // fewer than 4 octets left for a packet header
  | 'bad-version' // V != 2 (RFC 3550 A.2)
  | 'length-overrun' // the length field runs past the end of the compound packet
  | 'bad-padding' // P set but the padding count is 0 or larger than the packet body
  | 'truncated-report' // SR/RR shorter than the report count requires
  | 'bad-sdes' // chunk/item runs past the packet or lacks its terminating null item
  | 'bad-bye' // SSRC list or reason runs past the packet
  | 'bad-app' // shorter than SSRC + name
  | 'bad-feedback'; // RTPFB/PSFB shorter than the two SSRCs, or FCI not a multiple of its entry size

export const RTCP_PARSE_REASONS: readonly RtcpParseReason[] = [
  'empty',
  'too-short',
  'bad-version',
  'length-overrun',
  'bad-padding',
  'truncated-report',
  'bad-sdes',
  'bad-bye',
  'bad-app',
  'bad-feedback',
];

export type RtcpParseResult =
  | { readonly ok: true; readonly packets: readonly RtcpPacket[] }
  | { readonly ok: false; readonly reason: RtcpParseReason; readonly offset: number };

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** SDES values and BYE reasons are UTF-8 (RFC 3550 6.5); decode leniently for display. */
export function rtcpText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** Expands NACK items into the list of lost sequence numbers (RFC 4585 6.2.1). */
export function nackLostSequences(items: readonly RtcpNackItem[]): number[] {
  const out: number[] = [];
  for (const { pid, blp } of items) {
    out.push(pid);
    for (let i = 0; i < 16; i++) if ((blp >>> i) & 1) out.push((pid + i + 1) & 0xffff);
  }
  return out;
}
