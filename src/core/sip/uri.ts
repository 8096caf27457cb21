import { SipParseError } from './parse-error.ts';
import type { SipParam } from './params.ts';
import { HNV_CHARS, isIn, PARAM_CHARS, PASSWORD_CHARS, USER_CHARS } from './scanner.ts';

/**
 * URIs (RFC 3261 19.1, 25.1; RFC 3966 for tel). Escaped components (user, password, URI
 * parameters and headers) are stored %-decoded as binary strings (one char per octet), so
 * `%00` survives and re-escaping reproduces the octets exactly (RFC 4475 3.1.1.3, 3.1.1.4).
 */
export interface SipUri {
  readonly kind: 'sip';
  readonly scheme: 'sip' | 'sips';
  readonly user: string | null;
  readonly password: string | null;
  /** As written; an IPv6 reference keeps its brackets, e.g. `[2001:db8::1]`. */
  readonly host: string;
  readonly port: number | null;
  readonly params: readonly SipParam[];
  readonly headers: readonly SipParam[];
}

export interface TelUri {
  readonly kind: 'tel';
  readonly scheme: 'tel';
  readonly number: string;
  readonly params: readonly SipParam[];
}

/** Any other absoluteURI (RFC 4475 3.3.2-3.3.4): kept opaque. */
export interface OtherUri {
  readonly kind: 'other';
  /** Lower-cased. */
  readonly scheme: string;
  /** Everything after the first ':'. */
  readonly opaque: string;
}

export type Uri = SipUri | TelUri | OtherUri;

function fail(detail: string): never {
  throw new SipParseError('bad-header-value', `Malformed URI: ${detail}`);
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decode a component made of `allowed` chars and %HH escapes; throws on anything else. */
export function unescapeComponent(s: string, allowed: Uint8Array, what: string): string {
  if (s.indexOf('%') < 0) {
    for (let i = 0; i < s.length; i++) if (!isIn(allowed, s.charCodeAt(i))) fail(`bad character in ${what}`);
    return s;
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) fail(`bad escape in ${what}`);
      out += String.fromCharCode(h * 16 + l);
      i += 2;
    } else if (isIn(allowed, c)) out += s[i];
    else fail(`bad character in ${what}`);
  }
  return out;
}

const HEX = '0123456789ABCDEF';
const utf8 = new TextEncoder();

/** Escape everything outside `allowed`; chars above 0xFF (only from code, never from the parser) as UTF-8. */
export function escapeComponent(s: string, allowed: Uint8Array): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isIn(allowed, c)) out += s[i];
    else if (c <= 0xff) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else {
      const cp = s.codePointAt(i) ?? c;
      if (cp > 0xffff) i++;
      for (const b of utf8.encode(String.fromCodePoint(cp))) out += '%' + HEX[b >> 4] + HEX[b & 15];
    }
  }
  return out;
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// Underscores are outside RFC 3261 hostname but common in the wild (DNS SRV-style names); accepted.
const HOSTNAME_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;

function checkHost(host: string): void {
  if (host.startsWith('[')) {
    if (!IPV6_RE.test(host) || host.indexOf(':') < 0) fail('bad IPv6 reference');
  } else if (!HOSTNAME_RE.test(host)) fail('bad host');
}

function parseUriParams(s: string, what: string): SipParam[] {
  const out: SipParam[] = [];
  for (const part of s.split(';')) {
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    if (rawName === '') fail(`empty ${what} name`);
    const name = unescapeComponent(rawName, PARAM_CHARS, what);
    const value = eq < 0 ? null : unescapeComponent(part.slice(eq + 1), PARAM_CHARS, what);
    out.push({ name, value });
  }
  return out;
}

function parseUriHeaders(s: string): SipParam[] {
  const out: SipParam[] = [];
  for (const part of s.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) fail('bad URI header');
    out.push({ name: unescapeComponent(part.slice(0, eq), HNV_CHARS, 'URI header'), value: unescapeComponent(part.slice(eq + 1), HNV_CHARS, 'URI header') });
  }
  return out;
}

function parseSip(scheme: 'sip' | 'sips', rest: string): SipUri {
  // userinfo ends at the first '@': '@' is not allowed unescaped anywhere else in a SIP-URI.
  let user: string | null = null;
  let password: string | null = null;
  const at = rest.indexOf('@');
  let hostPart = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const rawUser = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (rawUser === '') fail('empty user');
    user = unescapeComponent(rawUser, USER_CHARS, 'user');
    if (colon >= 0) password = unescapeComponent(userinfo.slice(colon + 1), PASSWORD_CHARS, 'password');
  }
  let headers: SipParam[] = [];
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headers = parseUriHeaders(hostPart.slice(q + 1));
    hostPart = hostPart.slice(0, q);
  }
  let params: SipParam[] = [];
  const semi = hostPart.indexOf(';');
  if (semi >= 0) {
    params = parseUriParams(hostPart.slice(semi + 1), 'URI parameter');
    hostPart = hostPart.slice(0, semi);
  }
  let host = hostPart;
  let port: number | null = null;
  const close = hostPart.lastIndexOf(']');
  const colon = hostPart.lastIndexOf(':');
  if (colon > close) {
    host = hostPart.slice(0, colon);
    const p = hostPart.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(p) || Number(p) > 65535) fail('bad port');
    port = Number(p);
  }
  checkHost(host);
  return { kind: 'sip', scheme, user, password, host, port, params, headers };
}

/** Parse a URI with no surrounding whitespace or brackets. */
export function parseUri(s: string): Uri {
  const colon = s.indexOf(':');
  if (colon <= 0) fail('missing scheme');
  const scheme = s.slice(0, colon).toLowerCase();
  if (!SCHEME_RE.test(scheme)) fail('bad scheme');
  const rest = s.slice(colon + 1);
  if (rest === '') fail('empty after scheme');
  if (/[\s<>"\\]/.test(rest)) fail('illegal character');
  if (scheme === 'sip' || scheme === 'sips') return parseSip(scheme, rest);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const number = semi < 0 ? rest : rest.slice(0, semi);
    if (!/^[0-9A-Fa-f*#+().-]+$/.test(number)) fail('bad telephone number');
    const params = semi < 0 ? [] : parseUriParams(rest.slice(semi + 1), 'tel parameter');
    return { kind: 'tel', scheme: 'tel', number, params };
  }
  return { kind: 'other', scheme, opaque: rest };
}

function formatUriParams(params: readonly SipParam[]): string {
  let out = '';
  for (const p of params) out += ';' + escapeComponent(p.name, PARAM_CHARS) + (p.value === null ? '' : '=' + escapeComponent(p.value, PARAM_CHARS));
  return out;
}

export function formatUri(u: Uri): string {
  if (u.kind === 'other') return `${u.scheme}:${u.opaque}`;
  if (u.kind === 'tel') return `tel:${u.number}${formatUriParams(u.params)}`;
  let out = u.scheme + ':';
  if (u.user !== null) {
    out += escapeComponent(u.user, USER_CHARS);
    if (u.password !== null) out += ':' + escapeComponent(u.password, PASSWORD_CHARS);
    out += '@';
  }
  out += u.host;
  if (u.port !== null) out += ':' + String(u.port);
  out += formatUriParams(u.params);
  if (u.headers.length > 0) {
    out += '?' + u.headers.map((h) => escapeComponent(h.name, HNV_CHARS) + '=' + escapeComponent(h.value ?? '', HNV_CHARS)).join('&');
  }
  return out;
}

/** Host without IPv6 brackets, for socket calls. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Host as written in a URI/Via: IPv6 addresses get brackets (RFC 3261 25.1 IPv6reference). */
export function uriHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

export function isSipUri(u: Uri): u is SipUri {
  return u.kind === 'sip';
}
