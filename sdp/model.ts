/**
 * Plain-data SDP model (RFC 8866). Every input line is kept, in order, exactly as received
 * (minus its line terminator), so unknown attributes and odd-but-legal formatting round-trip
 * byte for byte. Typed views (sdp/attributes.ts, sdp/media.ts, ...) are computed from the lines.
 *
 * Only the structural lines the parser must understand to split the description are validated
 * and stored typed: `v=`, `o=`, `m=`, `c=` (RFC 8866 5.1, 5.2, 5.14, 5.7).
 */

export interface SdpLine {
  /** One lowercase letter (RFC 8866 5: `<type>=<value>`). */
  readonly type: string;
  /** Everything after `=`, unchanged. */
  readonly value: string;
  /** 1-based line number in the parsed text (0 for lines made by code). */
  readonly lineNo: number;
}

export interface SdpSection {
  readonly lines: readonly SdpLine[];
}

/** RFC 8866 5.2 `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` */
export interface Origin {
  readonly username: string;
  /** Kept as text: often larger than 2^53 (Chrome uses 64-bit ids). */
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
}

/** RFC 8866 5.14 `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` */
export interface MediaLine {
  readonly media: string;
  readonly port: number;
  readonly portCount: number | undefined;
  readonly proto: string;
  readonly fmts: readonly string[];
}

export interface MediaSection extends SdpSection {
  /** Position among the m= sections, from 0. */
  readonly index: number;
  readonly mLine: MediaLine;
}

export interface SessionDescription {
  /** Lines from `v=` up to (not including) the first `m=`. */
  readonly session: SdpSection;
  readonly media: readonly MediaSection[];
  readonly origin: Origin;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** RFC 8866 5.7 `c=<nettype> <addrtype> <connection-address>` */
export interface Connection {
  readonly netType: string;
  readonly addrType: 'IP4' | 'IP6' | string;
  readonly address: string;
  /** IPv4 multicast TTL (`/ttl`). */
  readonly ttl: number | undefined;
  /** Number of addresses (`/count`). */
  readonly count: number | undefined;
}

export interface SdpLimits {
  /** Maximum input length in UTF-16 code units (= bytes for ASCII SDP). */
  readonly maxLength: number;
  readonly maxLines: number;
  readonly maxMedia: number;
  readonly maxLineLength: number;
}

/**
 * Defaults sized for real traffic: a Chrome offer with simulcast and many codecs is ~10 kB /
 * ~250 lines; room systems with BFCP and several video streams stay far below. Generous but
 * bounded, so a hostile peer cannot make us build huge arrays.
 */
export const DEFAULT_SDP_LIMITS: SdpLimits = {
  maxLength: 65_536,
  maxLines: 2_000,
  maxMedia: 32,
  maxLineLength: 4_096,
};
