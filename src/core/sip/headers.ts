import { headerKey, LIST_HEADERS } from './header-names.ts';
import { type CSeq, type MediaType, parseCallId, parseContentLength, parseCSeq, parseDeltaSeconds, parseMaxForwards, parseMediaType, parseTokenList } from './header-values.ts';
import type { SipHeader, SipMessage } from './message.ts';
import { type NameAddr, parseNameAddr } from './name-addr.ts';
import { getParam } from './params.ts';
import { SipParseError } from './parse-error.ts';
import { splitComma, trimWs } from './scanner.ts';
import { parseVia, type Via } from './via.ts';

/**
 * Typed, cached access to header values. A header object is immutable, so its parsed value is
 * cached in a WeakMap keyed by the object: parsing happens once, and only for headers someone
 * reads (the parser reads the core ones to validate them).
 */
const caches = { typed: new WeakMap<SipHeader, unknown>(), split: new WeakMap<SipHeader, unknown>() };

/** `kind` names the parse function: one header may be read as raw list and as typed values. */
function cached<T>(h: SipHeader, kind: 'typed' | 'split', parse: (v: string) => T): T {
  const cache = caches[kind];
  const hit = cache.get(h);
  if (hit !== undefined) return hit as T;
  const v = parse(h.value);
  cache.set(h, v);
  return v;
}

type HasHeaders = Pick<SipMessage, 'headers'>;

/** All header objects with this name (compact or long, any case), in order. */
export function findHeaders(msg: HasHeaders, name: string): SipHeader[] {
  const key = headerKey(name);
  return msg.headers.filter((h) => headerKey(h.name) === key);
}

/** First raw value, or undefined. */
export function getHeader(msg: HasHeaders, name: string): string | undefined {
  const key = headerKey(name);
  for (const h of msg.headers) if (headerKey(h.name) === key) return h.value;
  return undefined;
}

/** All values: list headers are comma-split (RFC 3261 7.3.1), others one entry per header line. */
export function getHeaderValues(msg: HasHeaders, name: string): string[] {
  const key = headerKey(name);
  const hs = findHeaders(msg, name);
  if (!LIST_HEADERS.has(key)) return hs.map((h) => h.value);
  return hs.flatMap((h) => cached(h, 'split', (v) => splitComma(v, `${h.name} header`)));
}

function missing(name: string): never {
  throw new SipParseError('missing-header', `Missing ${name} header`);
}

function single<T>(msg: HasHeaders, name: string, parse: (v: string) => T): T | null {
  const hs = findHeaders(msg, name);
  if (hs.length === 0) return null;
  if (hs.length > 1) throw new SipParseError('duplicate-header', `Multiple ${name} headers`);
  return cached(hs[0] as SipHeader, 'typed', parse);
}

function list<T>(msg: HasHeaders, name: string, parse: (v: string) => T[]): T[] {
  const hs = findHeaders(msg, name);
  if (hs.length === 1) return cached(hs[0] as SipHeader, 'typed', parse);
  return hs.flatMap((h) => cached(h, 'typed', parse));
}

const viaList = (v: string): Via[] => splitComma(v, 'Via header').map(parseVia);
const nameAddrList = (what: string) => (v: string): NameAddr[] => splitComma(v, what).map((e) => parseNameAddr(e, what));

export function getVias(msg: HasHeaders): Via[] {
  return list(msg, 'Via', viaList);
}

export function getTopVia(msg: HasHeaders): Via {
  const first = findHeaders(msg, 'Via')[0];
  if (first === undefined) missing('Via');
  return cached(first, 'typed', viaList)[0] as Via;
}

export function getFrom(msg: HasHeaders): NameAddr {
  return single(msg, 'From', (v) => parseNameAddr(v, 'From header')) ?? missing('From');
}

export function getTo(msg: HasHeaders): NameAddr {
  return single(msg, 'To', (v) => parseNameAddr(v, 'To header')) ?? missing('To');
}

export function getCallId(msg: HasHeaders): string {
  return single(msg, 'Call-ID', parseCallId) ?? missing('Call-ID');
}

export function getCSeq(msg: HasHeaders): CSeq {
  return single(msg, 'CSeq', parseCSeq) ?? missing('CSeq');
}

export function getMaxForwards(msg: HasHeaders): number | null {
  return single(msg, 'Max-Forwards', parseMaxForwards);
}

export function getContentLength(msg: HasHeaders): number | null {
  return single(msg, 'Content-Length', parseContentLength);
}

export function getContentType(msg: HasHeaders): MediaType | null {
  return single(msg, 'Content-Type', (v) => parseMediaType(v));
}

export function getExpires(msg: HasHeaders): number | null {
  return single(msg, 'Expires', (v) => parseDeltaSeconds(v, 'Expires header'));
}

const contactList = (v: string): NameAddr[] | '*' => {
  if (trimWs(v) === '*') return '*';
  const out = nameAddrList('Contact header')(v);
  for (const c of out) {
    const e = getParam(c.params, 'expires');
    if (e !== undefined && e !== null) parseDeltaSeconds(e, 'Contact header expires parameter');
  }
  return out;
};

/** Contact values; `'*'` for the REGISTER wildcard (RFC 3261 10.2.2). */
export function getContacts(msg: HasHeaders): NameAddr[] | '*' {
  const hs = findHeaders(msg, 'Contact');
  const all: NameAddr[] = [];
  for (const h of hs) {
    const v = cached(h, 'typed', contactList);
    if (v === '*') {
      if (hs.length > 1) throw new SipParseError('bad-header-value', "Malformed Contact header: '*' mixed with addresses");
      return '*';
    }
    all.push(...v);
  }
  return all;
}

/** First Contact URI holder, or null (wildcard counts as none). */
export function getContact(msg: HasHeaders): NameAddr | null {
  const c = getContacts(msg);
  return c === '*' ? null : (c[0] ?? null);
}

export function getRoutes(msg: HasHeaders): NameAddr[] {
  return list(msg, 'Route', nameAddrList('Route header'));
}

export function getRecordRoutes(msg: HasHeaders): NameAddr[] {
  return list(msg, 'Record-Route', nameAddrList('Record-Route header'));
}

export function getTokenList(msg: HasHeaders, name: string): string[] {
  return list(msg, name, (v) => parseTokenList(v, `${name} header`));
}

export const getRequire = (msg: HasHeaders): string[] => getTokenList(msg, 'Require');
export const getProxyRequire = (msg: HasHeaders): string[] => getTokenList(msg, 'Proxy-Require');
export const getSupported = (msg: HasHeaders): string[] => getTokenList(msg, 'Supported');
export const getAllow = (msg: HasHeaders): string[] => getTokenList(msg, 'Allow');

export function fromTag(msg: HasHeaders): string | null {
  return getParam(getFrom(msg).params, 'tag') ?? null;
}

export function toTag(msg: HasHeaders): string | null {
  return getParam(getTo(msg).params, 'tag') ?? null;
}

/**
 * Parse every typed header once (throws the first SipParseError). The parser calls this so a
 * malformed core header is rejected up front, not when someone happens to read it.
 */
export function validateHeaders(msg: HasHeaders): void {
  getVias(msg);
  getFrom(msg);
  getTo(msg);
  getCallId(msg);
  getCSeq(msg);
  getMaxForwards(msg);
  getContentLength(msg);
  getContentType(msg);
  getExpires(msg);
  getContacts(msg);
  getRoutes(msg);
  getRecordRoutes(msg);
  getRequire(msg);
  getProxyRequire(msg);
  getSupported(msg);
}
