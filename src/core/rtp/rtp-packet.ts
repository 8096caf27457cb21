/**
 * RTP fixed header, CSRC list and header extension (RFC 3550 section 5.1 / 5.3.1).
 *
 * Two entry points:
 * - `parseRtpHeaderInto(packet, view)`: the relay's hot path. It fills a caller-owned
 *   `RtpHeaderView` with offsets and fields and allocates nothing; it returns `null` on success
 *   or a reason string (a constant, so no allocation either).
 * - `parseRtp(packet)`: a plain-data `RtpPacket` (copies nothing, but allocates the object and
 *   subarray views) for tests, tools and cold paths.
 *
 * Network input never throws: malformed packets come back as a specific `RtpParseReason`.
 * RFC 8285 extension elements inside the extension block are parsed separately
 * (`rtp-header-extension.ts`) so that an odd extension never costs the relay a packet.
 */

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_LENGTH = 12;

export type RtpParseReason =
  | 'too-short' // fewer than 12 octets (RFC 3550 5.1 fixed header)
  | 'bad-version' // V != 2
  | 'truncated-csrc' // CC says more CSRC identifiers than the packet holds
  | 'truncated-extension' // X set but the extension header or its data overruns the packet
  | 'bad-padding'; // P set but the last octet is 0 or counts more than the payload (RFC 3550 5.1)

export const RTP_PARSE_REASONS: readonly RtpParseReason[] = ['too-short', 'bad-version', 'truncated-csrc', 'truncated-extension', 'bad-padding'];

/** Mutable, reusable parse target: one per socket/leg so the hot path allocates nothing. */
export class RtpHeaderView {
  padding = false;
  hasExtension = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  /** "defined by profile" field of the extension (0xBEDE one-byte, 0x100X two-byte, RFC 8285). */
  extensionProfile = 0;
  /** Offset and length in octets of the extension data (after its 4-octet header). */
  extensionOffset = 0;
  extensionLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /** Number of padding octets at the end, including the count octet itself; 0 when P=0. */
  paddingLength = 0;

  /** The i-th CSRC of the packet this view was filled from. */
  csrc(packet: Uint8Array, i: number): number {
    return readU32(packet, RTP_FIXED_HEADER_LENGTH + 4 * i);
  }
}

export interface RtpHeaderExtensionBlock {
  readonly profile: number;
  /** Extension data, a multiple of 4 octets (RFC 3550 5.3.1: length counts 32-bit words). */
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtensionBlock | null;
  readonly payload: Uint8Array;
  /** 0 = no padding; otherwise the padding length including the count octet (1..255). */
  readonly paddingLength: number;
}

export type RtpParseResult = { readonly ok: true; readonly packet: RtpPacket } | { readonly ok: false; readonly reason: RtpParseReason };

export function readU16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function readU32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Hot-path parse into `view`. Returns null when the packet is well formed, else the reason. */
export function parseRtpHeaderInto(packet: Uint8Array, view: RtpHeaderView): RtpParseReason | null {
  const len = packet.length;
  if (len < RTP_FIXED_HEADER_LENGTH) return 'too-short';
  const b0 = packet[0] ?? 0;
  if (b0 >>> 6 !== RTP_VERSION) return 'bad-version';
  const b1 = packet[1] ?? 0;
  const cc = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_LENGTH + 4 * cc;
  if (offset > len) return 'truncated-csrc';
  const hasExtension = (b0 & 0x10) !== 0;
  let extensionProfile = 0;
  let extensionOffset = 0;
  let extensionLength = 0;
  if (hasExtension) {
    if (offset + 4 > len) return 'truncated-extension';
    extensionProfile = readU16(packet, offset);
    extensionLength = readU16(packet, offset + 2) * 4;
    extensionOffset = offset + 4;
    offset = extensionOffset + extensionLength;
    if (offset > len) return 'truncated-extension';
  }
  const padding = (b0 & 0x20) !== 0;
  let paddingLength = 0;
  if (padding) {
    // RFC 3550 5.1: the last octet counts the padding octets including itself.
    paddingLength = packet[len - 1] ?? 0;
    if (paddingLength === 0 || offset + paddingLength > len) return 'bad-padding';
  }
  view.padding = padding;
  view.hasExtension = hasExtension;
  view.csrcCount = cc;
  view.marker = (b1 & 0x80) !== 0;
  view.payloadType = b1 & 0x7f;
  view.sequenceNumber = readU16(packet, 2);
  view.timestamp = readU32(packet, 4);
  view.ssrc = readU32(packet, 8);
  view.extensionProfile = extensionProfile;
  view.extensionOffset = extensionOffset;
  view.extensionLength = extensionLength;
  view.payloadOffset = offset;
  view.paddingLength = paddingLength;
  view.payloadLength = len - offset - paddingLength;
  return null;
}

/** Plain-data parse; the payload and extension data are views into `packet` (no copy). */
export function parseRtp(packet: Uint8Array): RtpParseResult {
  const view = new RtpHeaderView();
  const reason = parseRtpHeaderInto(packet, view);
  if (reason !== null) return { ok: false, reason };
  const csrcs: number[] = [];
  for (let i = 0; i < view.csrcCount; i++) csrcs.push(view.csrc(packet, i));
  return {
    ok: true,
    packet: {
      marker: view.marker,
      payloadType: view.payloadType,
      sequenceNumber: view.sequenceNumber,
      timestamp: view.timestamp,
      ssrc: view.ssrc,
      csrcs,
      extension: view.hasExtension
        ? { profile: view.extensionProfile, data: packet.subarray(view.extensionOffset, view.extensionOffset + view.extensionLength) }
        : null,
      payload: packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength),
      paddingLength: view.paddingLength,
    },
  };
}

/** Octets `writeRtp` will write for `p`. */
export function rtpPacketLength(p: RtpPacket): number {
  return RTP_FIXED_HEADER_LENGTH + 4 * p.csrcs.length + (p.extension === null ? 0 : 4 + p.extension.data.length) + p.payload.length + p.paddingLength;
}

/**
 * Writes `p` into `out` at `offset` and returns the octets written. Throws a RangeError only on
 * programming errors (values out of range, buffer too small), never on anything parsed above.
 */
export function writeRtp(p: RtpPacket, out: Uint8Array, offset = 0): number {
  const total = rtpPacketLength(p);
  if (p.csrcs.length > 15) throw new RangeError('RTP allows at most 15 CSRC identifiers (RFC 3550 5.1)');
  if (p.payloadType < 0 || p.payloadType > 127) throw new RangeError('RTP payload type must be 0..127');
  if (p.paddingLength < 0 || p.paddingLength > 255) throw new RangeError('RTP padding length must be 0..255');
  if (p.extension !== null && (p.extension.data.length % 4 !== 0 || p.extension.data.length > 0xffff * 4)) {
    throw new RangeError('RTP header extension data must be a multiple of 4 octets (RFC 3550 5.3.1)');
  }
  if (offset + total > out.length) throw new RangeError(`RTP packet needs ${total} octets, buffer has ${out.length - offset}`);
  out[offset] = (RTP_VERSION << 6) | (p.paddingLength > 0 ? 0x20 : 0) | (p.extension !== null ? 0x10 : 0) | p.csrcs.length;
  out[offset + 1] = (p.marker ? 0x80 : 0) | p.payloadType;
  writeU16(out, offset + 2, p.sequenceNumber);
  writeU32(out, offset + 4, p.timestamp);
  writeU32(out, offset + 8, p.ssrc);
  let o = offset + RTP_FIXED_HEADER_LENGTH;
  for (const c of p.csrcs) {
    writeU32(out, o, c);
    o += 4;
  }
  if (p.extension !== null) {
    writeU16(out, o, p.extension.profile);
    writeU16(out, o + 2, p.extension.data.length / 4);
    out.set(p.extension.data, o + 4);
    o += 4 + p.extension.data.length;
  }
  out.set(p.payload, o);
  o += p.payload.length;
  if (p.paddingLength > 0) {
    out.fill(0, o, o + p.paddingLength - 1);
    out[o + p.paddingLength - 1] = p.paddingLength;
    o += p.paddingLength;
  }
  return o - offset;
}

/** Allocating convenience around `writeRtp`. */
export function serializeRtp(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(rtpPacketLength(p));
  writeRtp(p, out, 0);
  return out;
}
