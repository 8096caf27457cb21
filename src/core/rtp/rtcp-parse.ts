/**
 * RTCP compound packet parser (RFC 3550 6.1, 6.4-6.7; RFC 4585 6.1-6.3; RFC 5104 4.3.1).
 *
 * Never throws on network input: a malformed compound packet yields the first reason found and
 * the octet offset of the sub-packet where it was found. Checks follow RFC 3550 A.2 (version,
 * lengths adding up to the datagram) except that the first packet is not required to be SR/RR:
 * reduced-size RTCP (RFC 5506), as sent by browsers for feedback, is accepted. Padding is
 * accepted on any sub-packet (A.2 says it should only be on the last) and stripped.
 */
import { readU16, readU32 } from './rtp-packet.ts';
import {
  PSFB_FIR,
  PSFB_PLI,
  RTCP_APP,
  RTCP_BYE,
  RTCP_PSFB,
  RTCP_RR,
  RTCP_RTPFB,
  RTCP_SDES,
  RTCP_SR,
  RTPFB_NACK,
  type RtcpPacket,
  type RtcpParseReason,
  type RtcpParseResult,
  type RtcpReportBlock,
  type RtcpSdesChunk,
  type RtcpSdesItem,
} from './rtcp-types.ts';

type Step = RtcpPacket | RtcpParseReason;

function reportBlocks(b: Uint8Array, o: number, count: number): RtcpReportBlock[] {
  const out: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    out.push({
      ssrc: readU32(b, o),
      fractionLost: b[o + 4] ?? 0,
      // signed 24-bit (RFC 3550 6.4.1: "cumulative number of packets lost" may be negative)
      cumulativeLost: (readU32(b, o + 4) << 8) >> 8,
      highestSequence: readU32(b, o + 8),
      jitter: readU32(b, o + 12),
      lastSr: readU32(b, o + 16),
      delaySinceLastSr: readU32(b, o + 20),
    });
  }
  return out;
}

function parseSdes(b: Uint8Array, start: number, end: number, count: number): Step {
  const chunks: RtcpSdesChunk[] = [];
  let o = start;
  for (let c = 0; c < count; c++) {
    if (o + 4 > end) return 'bad-sdes';
    const ssrc = readU32(b, o);
    o += 4;
    const items: RtcpSdesItem[] = [];
    for (;;) {
      if (o >= end) return 'bad-sdes'; // no null item terminating the chunk (RFC 3550 6.5)
      const type = b[o] ?? 0;
      if (type === 0) {
        // null item, then null octets up to the next 32-bit boundary of the packet
        o = start + ((o - start + 4) & ~3);
        if (o > end) return 'bad-sdes';
        break;
      }
      if (o + 2 > end) return 'bad-sdes';
      const len = b[o + 1] ?? 0;
      if (o + 2 + len > end) return 'bad-sdes';
      items.push({ type, value: b.slice(o + 2, o + 2 + len) });
      o += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return { type: 'sdes', chunks };
}

function parseBye(b: Uint8Array, start: number, end: number, count: number): Step {
  if (start + 4 * count > end) return 'bad-bye';
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(readU32(b, start + 4 * i));
  let o = start + 4 * count;
  let reason: Uint8Array | null = null;
  if (o < end) {
    const len = b[o] ?? 0;
    if (o + 1 + len > end) return 'bad-bye';
    // A zero-length reason octet followed by padding is treated as "no reason".
    if (len > 0) reason = b.slice(o + 1, o + 1 + len);
    o += 1 + len;
  }
  return { type: 'bye', ssrcs, reason };
}

function parseFeedback(b: Uint8Array, pt: number, fmt: number, start: number, end: number): Step {
  if (start + 8 > end) return 'bad-feedback';
  const senderSsrc = readU32(b, start);
  const mediaSsrc = readU32(b, start + 4);
  const fciStart = start + 8;
  const fciLen = end - fciStart;
  if (pt === RTCP_RTPFB && fmt === RTPFB_NACK) {
    if (fciLen % 4 !== 0) return 'bad-feedback';
    const items = [];
    for (let o = fciStart; o < end; o += 4) items.push({ pid: readU16(b, o), blp: readU16(b, o + 2) });
    return { type: 'nack', senderSsrc, mediaSsrc, items };
  }
  if (pt === RTCP_PSFB && fmt === PSFB_PLI && fciLen === 0) return { type: 'pli', senderSsrc, mediaSsrc };
  if (pt === RTCP_PSFB && fmt === PSFB_FIR) {
    if (fciLen % 8 !== 0) return 'bad-feedback';
    const entries = [];
    for (let o = fciStart; o < end; o += 8) entries.push({ ssrc: readU32(b, o), sequenceNumber: b[o + 4] ?? 0 });
    return { type: 'fir', senderSsrc, mediaSsrc, entries };
  }
  return { type: pt === RTCP_RTPFB ? 'rtpfb' : 'psfb', fmt, senderSsrc, mediaSsrc, fci: b.slice(fciStart, end) };
}

function parseOne(b: Uint8Array, pt: number, count: number, start: number, end: number): Step {
  switch (pt) {
    case RTCP_SR: {
      const reportsEnd = start + 24 + 24 * count;
      if (reportsEnd > end) return 'truncated-report';
      return {
        type: 'sr',
        ssrc: readU32(b, start),
        ntpSeconds: readU32(b, start + 4),
        ntpFraction: readU32(b, start + 8),
        rtpTimestamp: readU32(b, start + 12),
        packetCount: readU32(b, start + 16),
        octetCount: readU32(b, start + 20),
        reports: reportBlocks(b, start + 24, count),
        profileExtension: b.slice(reportsEnd, end),
      };
    }
    case RTCP_RR: {
      const reportsEnd = start + 4 + 24 * count;
      if (reportsEnd > end) return 'truncated-report';
      return { type: 'rr', ssrc: readU32(b, start), reports: reportBlocks(b, start + 4, count), profileExtension: b.slice(reportsEnd, end) };
    }
    case RTCP_SDES:
      return parseSdes(b, start, end, count);
    case RTCP_BYE:
      return parseBye(b, start, end, count);
    case RTCP_APP: {
      if (start + 8 > end) return 'bad-app';
      const name = String.fromCharCode(b[start + 4] ?? 0, b[start + 5] ?? 0, b[start + 6] ?? 0, b[start + 7] ?? 0);
      return { type: 'app', subtype: count, ssrc: readU32(b, start), name, data: b.slice(start + 8, end) };
    }
    case RTCP_RTPFB:
    case RTCP_PSFB:
      return parseFeedback(b, pt, count, start, end);
    default:
      return { type: 'unknown', packetType: pt, count, body: b.slice(start, end) };
  }
}

/** Parses a whole (decrypted) compound RTCP datagram. */
export function parseRtcp(datagram: Uint8Array): RtcpParseResult {
  if (datagram.length === 0) return { ok: false, reason: 'empty', offset: 0 };
  const packets: RtcpPacket[] = [];
  let o = 0;
  while (o < datagram.length) {
    if (o + 4 > datagram.length) return { ok: false, reason: 'too-short', offset: o };
    const b0 = datagram[o] ?? 0;
    if (b0 >>> 6 !== 2) return { ok: false, reason: 'bad-version', offset: o };
    const pt = datagram[o + 1] ?? 0;
    const next = o + 4 + 4 * readU16(datagram, o + 2);
    if (next > datagram.length) return { ok: false, reason: 'length-overrun', offset: o };
    let end = next;
    if (b0 & 0x20) {
      const pad = datagram[next - 1] ?? 0;
      if (pad === 0 || o + 4 + pad > next) return { ok: false, reason: 'bad-padding', offset: o };
      end = next - pad;
    }
    const step = parseOne(datagram, pt, b0 & 0x1f, o + 4, end);
    if (typeof step === 'string') return { ok: false, reason: step, offset: o };
    packets.push(step);
    o = next;
  }
  return { ok: true, packets };
}
