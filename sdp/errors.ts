import { GatehouseError } from '../src/core/errors.ts';

/**
 * Malformed SDP (RFC 8866) or a malformed attribute inside it.
 *
 * SIP mapping: 400 Bad Request. RFC 3261 21.4.1 uses 400 for "malformed syntax"; 488 Not
 * Acceptable Here (21.4.26) is for a well-formed session description whose *content* cannot be
 * accepted (codecs, transports, crypto policy). Keeping the two apart lets operators tell broken
 * peers from policy refusals. The SIP layer may still choose 488 for a malformed body of a
 * re-INVITE if it prefers to keep the dialog; that is its call, not the parser's.
 *
 * Messages name the line number and the rule that failed, never the line's content: a line may
 * be an `a=crypto` line carrying key material (DESIGN.md: no key ever in a log).
 */
export class SdpParseError extends GatehouseError {
  /** 1-based line number in the input, or undefined when the error is about the whole text. */
  readonly line: number | undefined;
  /** Human-readable rule that failed (no input content). */
  readonly reason: string;

  constructor(code: SdpErrorCode, reason: string, line?: number) {
    const where = line === undefined ? 'SDP' : `SDP line ${line}`;
    super('parse', code, `${where}: ${reason}`, { sipStatus: 400, sipReason: `Malformed SDP${line === undefined ? '' : ` (line ${line})`}: ${reason}` });
    this.name = 'SdpParseError';
    this.line = line;
    this.reason = reason;
  }
}

/** Stable codes (DESIGN.md convention 5). */
export type SdpErrorCode =
  | 'SDP_LIMIT' // size / line-count / media-count limit exceeded
  | 'SDP_SYNTAX' // RFC 8866 line or structure rule broken
  | 'SDP_ATTRIBUTE' // a known attribute has a malformed value
  | 'SDP_CRYPTO'; // a=crypto (RFC 4568) malformed

export function sdpError(reason: string, line?: number): SdpParseError {
  return new SdpParseError('SDP_SYNTAX', reason, line);
}

export function attributeError(reason: string, line?: number): SdpParseError {
  return new SdpParseError('SDP_ATTRIBUTE', reason, line);
}
