/**
 * The few RTP/RTCP header facts the SRTP transforms need (RFC 3550 s5.1, s6.4.1), read
 * without allocating. Returns -1 rather than throwing: a malformed packet from the network is
 * a drop reason, not an exception.
 */

/** Length of the RTP header incl. CSRCs and extension, or -1 when the packet cannot hold it. */
export function rtpHeaderLength(p: Uint8Array): number {
  if (p.length < 12) return -1;
  const b0 = p[0] ?? 0;
  let len = 12 + (b0 & 0x0f) * 4;
  if ((b0 & 0x10) !== 0) {
    // header extension: 16-bit profile, 16-bit length in 32-bit words (RFC 3550 s5.3.1)
    if (p.length < len + 4) return -1;
    len += 4 + (((p[len + 2] ?? 0) << 8) | (p[len + 3] ?? 0)) * 4;
  }
  return p.length < len ? -1 : len;
}

export function rtpVersionOk(p: Uint8Array): boolean {
  return ((p[0] ?? 0) & 0xc0) === 0x80;
}

export function readU16(p: Uint8Array, o: number): number {
  return ((p[o] ?? 0) << 8) | (p[o + 1] ?? 0);
}

export function readU32(p: Uint8Array, o: number): number {
  return (((p[o] ?? 0) << 24) | ((p[o + 1] ?? 0) << 16) | ((p[o + 2] ?? 0) << 8) | (p[o + 3] ?? 0)) >>> 0;
}
