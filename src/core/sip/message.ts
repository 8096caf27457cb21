import type { Uri } from './uri.ts';

/**
 * SIP message model. One source of truth: the start line, the header fields as raw (unfolded)
 * strings in wire order, and the body bytes. Typed values (Via, From, CSeq, ...) are read through
 * the accessors in `headers.ts`, which parse a header once and cache by header object, so
 * unknown headers cost nothing and are forwarded unchanged (RFC 3261 7.3, RFC 4475 3.1.1.1).
 *
 * Messages are immutable values: to change one, build a new headers array.
 */
export interface SipHeader {
  /** Canonical long spelling for known/compact names ('Call-ID' for 'i'); unknown names as received. */
  readonly name: string;
  /** Value with folding replaced by single spaces and surrounding LWS trimmed. */
  readonly value: string;
}

export interface SipRequest {
  readonly kind: 'request';
  /** Case-sensitive (RFC 3261 7.1). */
  readonly method: string;
  readonly uri: Uri;
  readonly headers: readonly SipHeader[];
  readonly body: Uint8Array;
}

export interface SipResponse {
  readonly kind: 'response';
  readonly status: number;
  /** UTF-8, may be empty (RFC 4475 3.1.1.13). */
  readonly reason: string;
  readonly headers: readonly SipHeader[];
  readonly body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

export const EMPTY_BODY: Uint8Array = new Uint8Array(0);

/** Methods this stack knows (RFC 3261 + RFC 3262, 3311, 3428, 3515, 6086, 6665). */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'MESSAGE', 'REFER',
  'NOTIFY', 'SUBSCRIBE', 'PUBLISH',
];
