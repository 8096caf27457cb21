import { randomBytes } from 'node:crypto';
import { headerKey } from './header-names.ts';
import { getTo } from './headers.ts';
import type { SipHeader, SipResponse } from './message.ts';
import { formatNameAddr } from './name-addr.ts';
import { hasParam, setParam } from './params.ts';
import type { SipParseError } from './parse-error.ts';
import { reasonPhrase } from './reason-phrases.ts';

export interface ResponseOptions {
  /** To tag for a UAS response without one (RFC 3261 8.2.6.2); random if omitted. */
  readonly toTag?: string;
  readonly body?: Uint8Array;
}

/** A new random tag / branch id: 64 bits is far above RFC 3261 19.3's 32-bit minimum. */
export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * Build a response to a request (or to what a failed parse kept of it): RFC 3261 8.2.6 copies
 * every Via (in order), From, Call-ID, CSeq and To, adding a To tag unless the status is 100 or
 * the To already has one; a 100 also echoes Timestamp (8.2.6.1). Headers missing from a broken
 * request are simply absent. `extraHeaders` go after the copied ones.
 */
export function createResponse(
  req: { readonly headers: readonly SipHeader[] },
  status: number,
  reason?: string,
  extraHeaders: readonly SipHeader[] = [],
  options: ResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  const copy = new Set(['via', 'from', 'call-id', 'cseq']);
  if (status === 100) copy.add('timestamp');
  for (const h of req.headers) {
    const key = headerKey(h.name);
    if (copy.has(key)) headers.push(h);
    else if (key === 'to') headers.push(status === 100 ? h : addToTag(h, options.toTag));
  }
  headers.push(...extraHeaders);
  return { kind: 'response', status, reason: reason ?? reasonPhrase(status), headers, body: options.body ?? new Uint8Array(0) };
}

function addToTag(h: SipHeader, tag: string | undefined): SipHeader {
  let to;
  try {
    to = getTo({ headers: [h] });
  } catch {
    return h; // malformed To (we are answering a 400): copy verbatim
  }
  if (hasParam(to.params, 'tag')) return h;
  return { name: 'To', value: formatNameAddr({ ...to, params: setParam(to.params, 'tag', tag ?? randomToken()) }) };
}

/**
 * The response to a request that failed to parse, or null when none may be sent: not a request,
 * no readable Via, or an ACK (RFC 3261 17: an ACK is never answered).
 */
export function createErrorResponse(err: SipParseError, options: ResponseOptions = {}): SipResponse | null {
  const p = err.partial;
  if (p === undefined || p.method === 'ACK') return null;
  const status = err.sipStatus ?? 400;
  return createResponse(p, status, err.sipReason, [], options);
}
