/**
 * RTCP serializer and zero-allocation builders for the packets the gateway originates
 * (SR/RR RFC 3550 6.4, PLI RFC 4585 6.3.1, FIR RFC 5104 4.3.1).
 *
 * A body that is not a multiple of 4 octets (only possible for opaque data kept from a padded
 * input) is completed with RTCP padding (P bit, RFC 3550 6.4.1) so that parsing the output
 * gives back exactly the same data. Throws RangeError only on programming errors (counts over
 * 31, values out of range, buffer too small).
 */
import { writeU16, writeU32 } from './rtp-packet.ts';
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
  type RtcpFirEntry,
  type RtcpPacket,
  type RtcpReportBlock,
} from './rtcp-types.ts';

function checkCount(n: number, what: string): void {
  if (n > 31) throw new RangeError(`RTCP ${what} count ${n} exceeds 31 (5-bit field, RFC 3550 6.4)`);
}

function sdesChunkLength(items: readonly { readonly value: Uint8Array }[]): number {
  let n = 4;
  for (const it of items) {
    if (it.value.length > 255) throw new RangeError('SDES item longer than 255 octets');
    n += 2 + it.value.length;
  }
  return (n + 4) & ~3; // at least one null octet, then to the 32-bit boundary
}

/** Body length (after the 4-octet header) before any padding. */
function bodyLength(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return 24 + 24 * p.reports.length + p.profileExtension.length;
    case 'rr':
      return 4 + 24 * p.reports.length + p.profileExtension.length;
    case 'sdes':
      return p.chunks.reduce((n, c) => n + sdesChunkLength(c.items), 0);
    case 'bye':
      return 4 * p.ssrcs.length + (p.reason === null ? 0 : (1 + p.reason.length + 3) & ~3);
    case 'app':
      return 8 + p.data.length;
    case 'nack':
      return 8 + 4 * p.items.length;
    case 'pli':
      return 8;
    case 'fir':
      return 8 + 8 * p.entries.length;
    case 'rtpfb':
    case 'psfb':
      return 8 + p.fci.length;
    case 'unknown':
      return p.body.length;
  }
}

/** Octets `writeRtcpPacket` writes for `p`, header and padding included. */
export function rtcpPacketLength(p: RtcpPacket): number {
  return 4 + ((bodyLength(p) + 3) & ~3);
}

function writeHeader(out: Uint8Array, o: number, padded: boolean, count: number, pt: number, totalLength: number): void {
  out[o] = 0x80 | (padded ? 0x20 : 0) | (count & 0x1f);
  out[o + 1] = pt;
  writeU16(out, o + 2, totalLength / 4 - 1);
}

function writeReportBlocks(out: Uint8Array, o: number, reports: readonly RtcpReportBlock[]): number {
  for (const r of reports) {
    writeU32(out, o, r.ssrc);
    writeU32(out, o + 4, ((r.fractionLost & 0xff) << 24) | (r.cumulativeLost & 0xffffff));
    writeU32(out, o + 8, r.highestSequence);
    writeU32(out, o + 12, r.jitter);
    writeU32(out, o + 16, r.lastSr);
    writeU32(out, o + 20, r.delaySinceLastSr);
    o += 24;
  }
  return o;
}

function headerFields(p: RtcpPacket): [count: number, pt: number] {
  switch (p.type) {
    case 'sr':
      checkCount(p.reports.length, 'report');
      return [p.reports.length, RTCP_SR];
    case 'rr':
      checkCount(p.reports.length, 'report');
      return [p.reports.length, RTCP_RR];
    case 'sdes':
      checkCount(p.chunks.length, 'SDES chunk');
      return [p.chunks.length, RTCP_SDES];
    case 'bye':
      checkCount(p.ssrcs.length, 'BYE source');
      return [p.ssrcs.length, RTCP_BYE];
    case 'app':
      checkCount(p.subtype, 'APP subtype');
      return [p.subtype, RTCP_APP];
    case 'nack':
      return [RTPFB_NACK, RTCP_RTPFB];
    case 'pli':
      return [PSFB_PLI, RTCP_PSFB];
    case 'fir':
      return [PSFB_FIR, RTCP_PSFB];
    case 'rtpfb':
      checkCount(p.fmt, 'FMT');
      return [p.fmt, RTCP_RTPFB];
    case 'psfb':
      checkCount(p.fmt, 'FMT');
      return [p.fmt, RTCP_PSFB];
    case 'unknown':
      checkCount(p.count, 'count');
      return [p.count, p.packetType & 0xff];
  }
}

function writeBody(p: RtcpPacket, out: Uint8Array, o: number): void {
  switch (p.type) {
    case 'sr':
      writeU32(out, o, p.ssrc);
      writeU32(out, o + 4, p.ntpSeconds);
      writeU32(out, o + 8, p.ntpFraction);
      writeU32(out, o + 12, p.rtpTimestamp);
      writeU32(out, o + 16, p.packetCount);
      writeU32(out, o + 20, p.octetCount);
      out.set(p.profileExtension, writeReportBlocks(out, o + 24, p.reports));
      return;
    case 'rr':
      writeU32(out, o, p.ssrc);
      out.set(p.profileExtension, writeReportBlocks(out, o + 4, p.reports));
      return;
    case 'sdes':
      for (const c of p.chunks) {
        const chunkEnd = o + sdesChunkLength(c.items);
        writeU32(out, o, c.ssrc);
        o += 4;
        for (const it of c.items) {
          out[o] = it.type;
          out[o + 1] = it.value.length;
          out.set(it.value, o + 2);
          o += 2 + it.value.length;
        }
        out.fill(0, o, chunkEnd);
        o = chunkEnd;
      }
      return;
    case 'bye':
      for (const s of p.ssrcs) {
        writeU32(out, o, s);
        o += 4;
      }
      if (p.reason !== null) {
        if (p.reason.length > 255) throw new RangeError('BYE reason longer than 255 octets');
        out[o] = p.reason.length;
        out.set(p.reason, o + 1);
        out.fill(0, o + 1 + p.reason.length, o + ((1 + p.reason.length + 3) & ~3));
      }
      return;
    case 'app':
      writeU32(out, o, p.ssrc);
      for (let i = 0; i < 4; i++) out[o + 4 + i] = p.name.charCodeAt(i) & 0xff;
      out.set(p.data, o + 8);
      return;
    case 'nack':
      writeU32(out, o, p.senderSsrc);
      writeU32(out, o + 4, p.mediaSsrc);
      o += 8;
      for (const it of p.items) {
        writeU16(out, o, it.pid);
        writeU16(out, o + 2, it.blp);
        o += 4;
      }
      return;
    case 'pli':
      writeU32(out, o, p.senderSsrc);
      writeU32(out, o + 4, p.mediaSsrc);
      return;
    case 'fir':
      writeU32(out, o, p.senderSsrc);
      writeU32(out, o + 4, p.mediaSsrc);
      writeFirEntries(out, o + 8, p.entries);
      return;
    case 'rtpfb':
    case 'psfb':
      writeU32(out, o, p.senderSsrc);
      writeU32(out, o + 4, p.mediaSsrc);
      out.set(p.fci, o + 8);
      return;
    case 'unknown':
      out.set(p.body, o);
      return;
  }
}

function writeFirEntries(out: Uint8Array, o: number, entries: readonly RtcpFirEntry[]): void {
  for (const e of entries) {
    writeU32(out, o, e.ssrc);
    writeU32(out, o + 4, (e.sequenceNumber & 0xff) << 24); // seq nr, then 24 reserved bits
    o += 8;
  }
}

/** Writes one RTCP packet at `offset`; returns the octets written. */
export function writeRtcpPacket(p: RtcpPacket, out: Uint8Array, offset = 0): number {
  const [count, pt] = headerFields(p);
  const body = bodyLength(p);
  const total = 4 + ((body + 3) & ~3);
  if (total / 4 - 1 > 0xffff) throw new RangeError('RTCP packet longer than the 16-bit length field allows');
  if (offset + total > out.length) throw new RangeError(`RTCP packet needs ${total} octets, buffer has ${out.length - offset}`);
  const pad = total - 4 - body;
  writeHeader(out, offset, pad > 0, count, pt, total);
  writeBody(p, out, offset + 4);
  if (pad > 0) {
    out.fill(0, offset + 4 + body, offset + total - 1);
    out[offset + total - 1] = pad;
  }
  return total;
}

/** Writes a compound packet; returns the octets written. */
export function writeRtcpCompound(packets: readonly RtcpPacket[], out: Uint8Array, offset = 0): number {
  let o = offset;
  for (const p of packets) o += writeRtcpPacket(p, out, o);
  return o - offset;
}

/** Allocating convenience around `writeRtcpCompound`. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const out = new Uint8Array(packets.reduce((n, p) => n + rtcpPacketLength(p), 0));
  writeRtcpCompound(packets, out, 0);
  return out;
}

/** PLI (RFC 4585 6.3.1), 12 octets, written without allocating. */
export function writePli(out: Uint8Array, offset: number, senderSsrc: number, mediaSsrc: number): number {
  if (offset + 12 > out.length) throw new RangeError('PLI needs 12 octets');
  writeHeader(out, offset, false, PSFB_PLI, RTCP_PSFB, 12);
  writeU32(out, offset + 4, senderSsrc);
  writeU32(out, offset + 8, mediaSsrc);
  return 12;
}

/**
 * FIR (RFC 5104 4.3.1), written without allocating. The media source SSRC field SHALL be 0
 * (4.3.1.2); the command sequence number must grow by one per new request (4.3.1.1).
 */
export function writeFir(out: Uint8Array, offset: number, senderSsrc: number, entries: readonly RtcpFirEntry[]): number {
  const total = 12 + 8 * entries.length;
  if (offset + total > out.length) throw new RangeError(`FIR needs ${total} octets`);
  writeHeader(out, offset, false, PSFB_FIR, RTCP_PSFB, total);
  writeU32(out, offset + 4, senderSsrc);
  writeU32(out, offset + 8, 0);
  writeFirEntries(out, offset + 12, entries);
  return total;
}
