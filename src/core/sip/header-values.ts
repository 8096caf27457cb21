import { SipParseError } from './parse-error.ts';
import { formatGenericParams, parseGenericParams, type SipParam } from './params.ts';
import { isIn, isToken, parseDecimal, Scanner, splitComma, trimWs, WORD } from './scanner.ts';

/** Scalar and small structured header values (RFC 3261 section 20 / 25.1). */

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** RFC 4475 3.1.2.4: a CSeq number above 2**32-1 is malformed. */
export const MAX_CSEQ = 0xffff_ffff;

export function parseCSeq(value: string): CSeq {
  const sc = new Scanner(value, 'CSeq header');
  sc.skipWs();
  const start = sc.i;
  while (!sc.eof() && sc.peek() >= 0x30 && sc.peek() <= 0x39) sc.i++;
  const seq = parseDecimal(value.slice(start, sc.i), MAX_CSEQ, 'CSeq header');
  const before = sc.i;
  sc.skipWs();
  if (sc.i === before) sc.fail('expected LWS after sequence number');
  const method = sc.token();
  sc.skipWs();
  if (!sc.eof()) sc.fail('trailing characters');
  return { seq, method };
}

export function formatCSeq(c: CSeq): string {
  return `${String(c.seq)} ${c.method}`;
}

/** callid = word [ "@" word ] (RFC 3261 25.1). */
export function parseCallId(value: string): string {
  const v = trimWs(value);
  const at = v.indexOf('@');
  const parts = at < 0 ? [v] : [v.slice(0, at), v.slice(at + 1)];
  for (const p of parts) {
    if (p === '') throw new SipParseError('bad-header-value', 'Malformed Call-ID header: empty word');
    for (let i = 0; i < p.length; i++) if (!isIn(WORD, p.charCodeAt(i))) throw new SipParseError('bad-header-value', 'Malformed Call-ID header: bad character');
  }
  return v;
}

/** Max-Forwards: 1*DIGIT, at most 255 (RFC 4475 3.1.2.4). Leading zeros are fine (RFC 4475 3.1.1.1). */
export function parseMaxForwards(value: string): number {
  return parseDecimal(trimWs(value), 255, 'Max-Forwards header');
}

/** delta-seconds, at most 2**32-1 (RFC 4475 3.1.2.4). */
export function parseDeltaSeconds(value: string, what: string): number {
  return parseDecimal(trimWs(value), 0xffff_ffff, what);
}

export function parseContentLength(value: string): number {
  return parseDecimal(trimWs(value), 0xffff_ffff, 'Content-Length header');
}

export interface MediaType {
  /** Lower-cased. */
  readonly type: string;
  /** Lower-cased. */
  readonly subtype: string;
  readonly params: readonly SipParam[];
}

/** media-type = m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 20.15). */
export function parseMediaType(value: string, what = 'Content-Type header'): MediaType {
  const sc = new Scanner(value, what);
  sc.skipWs();
  const type = sc.token().toLowerCase();
  sc.expect('/');
  const subtype = sc.token().toLowerCase();
  const params = parseGenericParams(sc);
  sc.skipWs();
  if (!sc.eof()) sc.fail('trailing characters');
  return { type, subtype, params };
}

export function formatMediaType(m: MediaType): string {
  return `${m.type}/${m.subtype}${formatGenericParams(m.params)}`;
}

/** A comma list of tokens: Require, Supported, Allow, Unsupported, Proxy-Require (RFC 3261 20.32...). */
export function parseTokenList(value: string, what: string): string[] {
  if (trimWs(value) === '') return []; // "Supported:" with no value is legal (RFC 3261 20.37: *option-tag)
  const out = splitComma(value, what);
  for (const t of out) if (!isToken(t)) throw new SipParseError('bad-header-value', `Malformed ${what}: '${t}' is not a token`);
  return out;
}
