/**
 * Demultiplexing on one UDP port.
 *
 * RFC 7983 section 7 (updating RFC 5764 5.1.2): the first octet decides the protocol.
 *   0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN channel, 128-191 RTP/RTCP, others dropped.
 * RFC 5761 section 4: with rtcp-mux, RTCP packet types 192-223 occupy the RTP M+PT octet as
 * PT 64-95 (either marker value), so a packet whose second octet & 0x7f is 64..95 is RTCP.
 * Payload types 64-95 must therefore not be used for RTP on a muxed port.
 */

export type FirstByteClass = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp-rtcp' | 'unknown';

export function classifyFirstByte(b: number): FirstByteClass {
  if (b <= 3) return 'stun';
  if (b >= 16 && b <= 19) return 'zrtp';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 64 && b <= 79) return 'turn-channel';
  if (b >= 128 && b <= 191) return 'rtp-rtcp';
  return 'unknown';
}

/** RFC 7983 class of a datagram ('unknown' for an empty one). */
export function classifyDatagram(datagram: Uint8Array): FirstByteClass {
  const b = datagram[0];
  return b === undefined ? 'unknown' : classifyFirstByte(b);
}

/** RFC 5761 section 4 test on an RTP/RTCP datagram of at least 2 octets. */
export function isRtcpPacket(datagram: Uint8Array): boolean {
  const pt = (datagram[1] ?? 0) & 0x7f;
  return datagram.length >= 2 && pt >= 64 && pt <= 95;
}

export type MuxedPacketKind = 'stun' | 'dtls' | 'rtp' | 'rtcp' | 'other';

/** One call for an rtcp-mux socket: RFC 7983 first, then RFC 5761 for the RTP/RTCP range. */
export function demuxPacket(datagram: Uint8Array): MuxedPacketKind {
  const c = classifyDatagram(datagram);
  if (c === 'stun' || c === 'dtls') return c;
  if (c === 'rtp-rtcp') return isRtcpPacket(datagram) ? 'rtcp' : 'rtp';
  return 'other';
}
