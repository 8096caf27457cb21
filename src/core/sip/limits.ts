/**
 * Parser limits (issue 5 "Protection"): every bound the parser enforces is a parameter so that
 * the operator config decides, not a constant buried in the parser.
 */
export interface SipLimits {
  /** Whole message (start line + headers + body) in bytes. RFC 3261 18.1.1: UDP is <= 65535 anyway. */
  readonly maxMessageBytes: number;
  /** Number of header lines (after unfolding). */
  readonly maxHeaders: number;
  /** Length of one physical line in bytes, and of one unfolded header field. */
  readonly maxLineLength: number;
}

export const DEFAULT_SIP_LIMITS: SipLimits = Object.freeze({
  maxMessageBytes: 65_535,
  maxHeaders: 128,
  maxLineLength: 8_192,
});

/**
 * How the message arrived; decides the Content-Length rules (RFC 3261 18.3):
 * - `datagram`: Content-Length optional; a longer datagram is truncated to it; a shorter one is an error.
 * - `stream`: Content-Length mandatory; the body must be exactly that long (the framer cut it).
 */
export type SipFraming = 'datagram' | 'stream';
