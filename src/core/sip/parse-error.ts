import { GatehouseError } from '../errors.ts';
import type { SipHeader } from './message.ts';

/**
 * Stable reasons a SIP message is refused (issue 5 "Bad input": counted by reason). Adapters use
 * `reason` as a metric label; the set is closed so label cardinality stays bounded.
 */
export type SipParseReason =
  | 'too-large'
  | 'too-many-headers'
  | 'line-too-long'
  | 'bad-start-line'
  | 'bad-request-uri'
  | 'bad-version'
  | 'bad-status-code'
  | 'bad-header-line'
  | 'missing-header'
  | 'duplicate-header'
  | 'bad-header-value'
  | 'cseq-method-mismatch'
  | 'bad-content-length'
  | 'body-too-short'
  | 'body-too-long'
  | 'empty';

/**
 * What is left of a request that failed to parse: enough to build the error response
 * (RFC 3261 8.2.6: Via, From, To, Call-ID and CSeq are copied verbatim).
 */
export interface PartialRequest {
  readonly method: string;
  readonly headers: readonly SipHeader[];
}

export interface SipParseErrorOptions {
  /** 400 by default; 505 for an unsupported SIP version (RFC 3261 8.2.1 / RFC 4475 3.1.2.16). */
  readonly sipStatus?: number;
  /** The request, when it was one and its Via could be read: then a response can be routed. */
  readonly partial?: PartialRequest;
  readonly cause?: unknown;
}

/**
 * The only error the SIP parser throws. `sipReason` is the full reason phrase to send, e.g.
 * "Bad Request - Missing Call-ID header" (issue 5: a 400 says what is wrong).
 */
export class SipParseError extends GatehouseError {
  readonly reason: SipParseReason;
  /** Set when the input was a request whose top Via parsed: a 400 can be sent back. */
  readonly partial: PartialRequest | undefined;

  constructor(reason: SipParseReason, detail: string, options: SipParseErrorOptions = {}) {
    const status = options.sipStatus ?? 400;
    const phrase = status === 505 ? 'Version Not Supported' : 'Bad Request';
    super('parse', `SIP_PARSE_${reason.toUpperCase().replaceAll('-', '_')}`, detail, {
      sipStatus: status,
      sipReason: `${phrase} - ${detail}`,
      cause: options.cause,
    });
    this.name = 'SipParseError';
    this.reason = reason;
    this.partial = options.partial;
  }

  /** True when a response can be sent (the request's Via was readable); otherwise drop silently. */
  get responseRoutable(): boolean {
    return this.partial !== undefined;
  }

  /** Same error, now knowing the request it belongs to (the parser adds this on the way out). */
  withPartial(partial: PartialRequest): SipParseError {
    const e = new SipParseError(this.reason, this.message, { sipStatus: this.sipStatus ?? 400, partial, cause: this.cause });
    return e;
  }
}
