import { SdpParseError } from './errors.ts';
import { decodeBase64Lenient, encodeBase64 } from './base64.ts';
import type { CryptoAttribute, CryptoKeyParam, CryptoSessionParam } from './crypto-attribute.ts';
import type { MediaSection } from './model.ts';
import { ParsedSection } from './parsed-model.ts';

/**
 * SDES `a=crypto` (RFC 4568 9.1 grammar, SRTP key-params and session-params per 6.1-6.3):
 *
 *   a=crypto:<tag> <crypto-suite> <key-params> [<session-param>]*
 *   key-params = key-param *(";" key-param)
 *   key-param  = "inline:" key-salt ["|" lifetime] ["|" mki-value ":" mki-length]
 *
 * Lenient on input: runs of spaces/tabs between fields, whitespace around '|', ';' and ':'
 * inside key-params, unpadded base64, lowercase literals (ABNF literals are case-insensitive,
 * RFC 5234 2.3). Canonical on output (serializeCrypto). Errors carry a reason and the line
 * number but never any part of the key-params text.
 */

const MAX_LIFETIME_EXP = 64;
const ODD_SPACING = /\t|^ | $| [ |;:]|[|;:] /;
const MAX_KEYSALT_CHARS = 256;

function fail(reason: string, line: number | undefined): never {
  throw new SdpParseError('SDP_CRYPTO', `a=crypto: ${reason}`, line);
}

/** Parses the attribute value (text after `a=crypto:`). */
export function parseCrypto(value: string, line?: number): CryptoAttribute {
  return cryptoAt(value, 0, line);
}

/**
 * parseCrypto for the value starting at `start` of `text` (cryptoLines passes the whole line
 * value). Fast path for the usual single-spaced form, read in place by offsets; odd spacing is
 * normalised first and parsed from the normalised copy (parseCryptoNormalised).
 */
function cryptoAt(text: string, start: number, line: number | undefined): CryptoAttribute {
  if (start === 7 ? PLAIN_LINE.test(text) : start === 0 && PLAIN_VALUE.test(text)) return plainCrypto(text, start, line);
  if (oddSpacing(text, start)) return parseCryptoNormalised(text.slice(start), line);
  // Single spaces only, none leading or trailing: fields are exactly text.split(' ').
  const sp1 = text.indexOf(' ', start);
  const sp2 = sp1 === -1 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp2 === -1) fail('needs tag, crypto-suite and key-params (RFC 4568 9.1)', line);
  const sp3 = text.indexOf(' ', sp2 + 1);
  const keyEnd = sp3 === -1 ? text.length : sp3;
  const tag = decimalTag(text, start, sp1);
  if (tag === 0) fail('tag must be 1..999999999 (RFC 4568 9.1)', line);
  const suite = text.slice(sp1 + 1, sp2);
  if (!isSuiteToken(suite)) fail('crypto-suite must be letters, digits and "_" (RFC 4568 9.1)', line);
  const keyParams = parseKeyParamsAt(text, sp2 + 1, keyEnd, line);
  const sessionParams: CryptoSessionParam[] = [];
  if (sp3 !== -1) for (const p of text.slice(sp3 + 1).split(' ')) sessionParams.push(parseSessionParam(p, line));
  return { tag, suite, keyParams, sessionParams };
}

/**
 * The shape nearly every offer uses, `<tag> <suite> inline:<base64>` with single spaces and no
 * lifetime, MKI or session parameter, recognised by one regex (as a whole line value after
 * `crypto:`, or as a bare value). For such a value every check of the general path below holds
 * except the tag's value (not 0), the key-salt's length and its base64 padding, which
 * plainCrypto still checks, in the same order and with the same errors.
 */
const PLAIN_LINE = /^crypto:[0-9]{1,9} [A-Za-z0-9_]+ inline:[A-Za-z0-9+/]+={0,2}$/;
const PLAIN_VALUE = /^[0-9]{1,9} [A-Za-z0-9_]+ inline:[A-Za-z0-9+/]+={0,2}$/;

function plainCrypto(text: string, start: number, line: number | undefined): CryptoAttribute {
  const sp1 = text.indexOf(' ', start);
  const sp2 = text.indexOf(' ', sp1 + 1);
  const tag = decimalTag(text, start, sp1);
  if (tag === 0) fail('tag must be 1..999999999 (RFC 4568 9.1)', line);
  const keyStart = sp2 + 8; // after ' inline:'
  const keyLength = text.length - keyStart;
  if (keyLength > MAX_KEYSALT_CHARS) fail(`key-param 1: key-salt longer than ${MAX_KEYSALT_CHARS} characters`, line);
  const keySalt = decodeBase64Lenient(text, keyStart, text.length);
  if (keySalt === undefined) fail('key-param 1: key-salt is not valid base64 (RFC 4568 6.1)', line);
  return { tag, suite: text.slice(sp1 + 1, sp2), keyParams: [{ method: 'inline', keySalt }], sessionParams: [] };
}

/**
 * ODD_SPACING on text[start..]. For a whole `crypto:<value>` line value the prefix adds no
 * blank and ends in ':', so "space at the start of the value" is the `[|;:] ` case at the
 * prefix's ':' and ODD_SPACING_AFTER_COLON on the whole line gives the same answer without a
 * copy. (A regex, not a character loop: native scanning is several times faster here.)
 */
function oddSpacing(text: string, start: number): boolean {
  if (start === 0) return ODD_SPACING.test(text);
  if (start === 7 && text.startsWith('crypto:')) return ODD_SPACING_AFTER_COLON.test(text);
  return ODD_SPACING.test(text.slice(start));
}

const ODD_SPACING_AFTER_COLON = /\t| $| [ |;:]|[|;:] /;

function parseCryptoNormalised(value: string, line: number | undefined): CryptoAttribute {
  const norm = value.replace(/[ \t]*([|;])[ \t]*/g, '$1').replace(/(inline)[ \t]*:[ \t]*/gi, '$1:');
  const f = norm.split(/[ \t]+/).filter((s) => s.length > 0);
  if (f.length < 3) fail('needs tag, crypto-suite and key-params (RFC 4568 9.1)', line);
  const [tagText, suite, keyText] = f as [string, string, string];
  const tag = decimalTag(tagText, 0, tagText.length);
  if (tag === 0) fail('tag must be 1..999999999 (RFC 4568 9.1)', line);
  if (!isSuiteToken(suite)) fail('crypto-suite must be letters, digits and "_" (RFC 4568 9.1)', line);
  const keyParams = parseKeyParams(keyText, line);
  const sessionParams: CryptoSessionParam[] = [];
  for (let i = 3; i < f.length; i++) sessionParams.push(parseSessionParam(f[i] as string, line));
  return { tag, suite, keyParams, sessionParams };
}

/** `^[0-9]{1,9}$` on s[start, end) as a number; 0 when not (0 itself is no valid tag either). */
function decimalTag(s: string, start: number, end: number): number {
  if (end === start || end - start > 9) return 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return 0;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** `^[A-Za-z0-9_]+$` (RFC 4568 9.1 srtp-crypto-suite); a regex: native scanning is cheaper here. */
function isSuiteToken(s: string): boolean {
  return SUITE_TOKEN.test(s);
}

const SUITE_TOKEN = /^[A-Za-z0-9_]+$/;

function parseKeyParams(text: string, line: number | undefined): CryptoKeyParam[] {
  return parseKeyParamsAt(text, 0, text.length, line);
}

/** key-params in text[start, end). */
function parseKeyParamsAt(text: string, start: number, end: number, line: number | undefined): CryptoKeyParam[] {
  const out: CryptoKeyParam[] = [];
  const semi = text.indexOf(';', start);
  if (semi === -1 || semi >= end) {
    // One key-param, the usual case (several need MKIs, RFC 4568 6.1).
    if (end === start) fail('empty key-param (RFC 4568 9.1)', line);
    out.push(parseKeyParamAt(text, start, end, 1, line));
    return out;
  }
  for (const kp of text.slice(start, end).split(';')) {
    if (kp.length === 0) fail('empty key-param (RFC 4568 9.1)', line);
    out.push(parseKeyParam(kp, out.length + 1, line));
  }
  return out;
}

/**
 * One key-param in text[start, end). The usual `inline:<key||salt>` (no lifetime, no MKI) is
 * read in place; anything with a '|' goes to parseKeyParam on its own copy.
 */
function parseKeyParamAt(text: string, start: number, end: number, n: number, line: number | undefined): CryptoKeyParam {
  const pipe = text.indexOf('|', start);
  if (pipe !== -1 && pipe < end) return parseKeyParam(text.slice(start, end), n, line);
  const colon = text.indexOf(':', start);
  if (colon !== start + 6 || colon >= end || !(text.startsWith('inline', start) || text.slice(start, start + 6).toLowerCase() === 'inline')) fail(`key-param ${n}: key method must be "inline" (RFC 4568 6.1)`, line);
  const keyLength = end - (start + 7);
  if (keyLength === 0) fail(`key-param ${n}: empty key-salt (RFC 4568 6.1)`, line);
  if (keyLength > MAX_KEYSALT_CHARS) fail(`key-param ${n}: key-salt longer than ${MAX_KEYSALT_CHARS} characters`, line);
  const keySalt = decodeBase64Lenient(text, start + 7, end);
  if (keySalt === undefined) fail(`key-param ${n}: key-salt is not valid base64 (RFC 4568 6.1)`, line);
  return { method: 'inline', keySalt };
}

function parseKeyParam(text: string, n: number, line: number | undefined): CryptoKeyParam {
  const colon = text.indexOf(':');
  if (colon !== 6 || !(text.startsWith('inline') || text.slice(0, 6).toLowerCase() === 'inline')) fail(`key-param ${n}: key method must be "inline" (RFC 4568 6.1)`, line);
  const rest = text.slice(7);
  const parts = rest.indexOf('|') === -1 ? [rest] : rest.split('|');
  const keyText = parts[0] ?? '';
  if (keyText.length === 0) fail(`key-param ${n}: empty key-salt (RFC 4568 6.1)`, line);
  if (keyText.length > MAX_KEYSALT_CHARS) fail(`key-param ${n}: key-salt longer than ${MAX_KEYSALT_CHARS} characters`, line);
  const keySalt = decodeBase64Lenient(keyText);
  if (keySalt === undefined) fail(`key-param ${n}: key-salt is not valid base64 (RFC 4568 6.1)`, line);
  if (parts.length > 3) fail(`key-param ${n}: too many "|" fields (RFC 4568 9.1)`, line);
  let lifetime: bigint | undefined;
  let mki: { value: bigint; length: number } | undefined;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p.includes(':')) {
      if (mki !== undefined) fail(`key-param ${n}: MKI given twice`, line);
      mki = parseMki(p, n, line);
    } else {
      if (lifetime !== undefined) fail(`key-param ${n}: lifetime given twice`, line);
      if (mki !== undefined) fail(`key-param ${n}: lifetime must come before MKI (RFC 4568 9.1)`, line);
      lifetime = parseLifetime(p, n, line);
    }
  }
  const kp: { method: 'inline'; keySalt: Uint8Array; lifetime?: bigint; mki?: { value: bigint; length: number } } = { method: 'inline', keySalt };
  if (lifetime !== undefined) kp.lifetime = lifetime;
  if (mki !== undefined) kp.mki = mki;
  return kp;
}

/** RFC 4568 6.1: lifetime = ["2^"] 1*(DIGIT), number of SRTP packets. */
function parseLifetime(p: string, n: number, line: number | undefined): bigint {
  const pow = /^2\^([0-9]{1,3})$/.exec(p);
  if (pow !== null) {
    const e = Number(pow[1]);
    if (e > MAX_LIFETIME_EXP) fail(`key-param ${n}: lifetime exponent above ${MAX_LIFETIME_EXP}`, line);
    return 1n << BigInt(e);
  }
  if (!/^[0-9]{1,20}$/.test(p)) fail(`key-param ${n}: lifetime must be "2^n" or a decimal number (RFC 4568 6.1)`, line);
  const v = BigInt(p);
  if (v === 0n) fail(`key-param ${n}: lifetime is 0`, line);
  if (v > 1n << BigInt(MAX_LIFETIME_EXP)) fail(`key-param ${n}: lifetime above 2^${MAX_LIFETIME_EXP}`, line);
  return v;
}

/** RFC 4568 6.1: mki = mki-value ":" mki-length; mki-length 1..128 bytes. */
function parseMki(p: string, n: number, line: number | undefined): { value: bigint; length: number } {
  const m = /^([0-9]{1,39}):([0-9]{1,3})$/.exec(p);
  if (m === null) fail(`key-param ${n}: MKI must be "<value>:<length>" in decimal (RFC 4568 6.1)`, line);
  const length = Number(m[2]);
  if (length < 1 || length > 128) fail(`key-param ${n}: MKI length must be 1..128 (RFC 4568 6.1)`, line);
  const value = BigInt(m[1] as string);
  if (length < 16 && value >= 1n << BigInt(8 * length)) fail(`key-param ${n}: MKI value does not fit in MKI length`, line);
  return { value, length };
}

/** RFC 4568 6.3 SRTP session parameters. */
function parseSessionParam(p: string, line: number | undefined): CryptoSessionParam {
  const eq = p.indexOf('=');
  const name = (eq === -1 ? p : p.slice(0, eq)).toUpperCase();
  const val = eq === -1 ? undefined : p.slice(eq + 1);
  const flag = (kind: 'UNENCRYPTED_SRTP' | 'UNENCRYPTED_SRTCP' | 'UNAUTHENTICATED_SRTP'): CryptoSessionParam => {
    if (val !== undefined) fail(`${kind} takes no value (RFC 4568 6.3)`, line);
    return { kind };
  };
  switch (name) {
    case 'UNENCRYPTED_SRTP':
    case 'UNENCRYPTED_SRTCP':
    case 'UNAUTHENTICATED_SRTP':
      return flag(name);
    case 'KDR': {
      // RFC 4568 6.3.1: KDR=1*2DIGIT, the exponent of the key derivation rate, 0..24.
      if (val === undefined || !/^[0-9]{1,2}$/.test(val) || Number(val) > 24) fail('KDR must be 0..24 (RFC 4568 6.3.1)', line);
      return { kind: 'KDR', value: Number(val) };
    }
    case 'FEC_ORDER': {
      const v = (val ?? '').toUpperCase();
      if (v !== 'FEC_SRTP' && v !== 'SRTP_FEC') fail('FEC_ORDER must be FEC_SRTP or SRTP_FEC (RFC 4568 6.3.4)', line);
      return { kind: 'FEC_ORDER', value: v };
    }
    case 'FEC_KEY': {
      if (val === undefined || val.length === 0) fail('FEC_KEY needs key-params (RFC 4568 6.3.5)', line);
      return { kind: 'FEC_KEY', keyParams: parseKeyParams(val, line) };
    }
    case 'WSH': {
      // RFC 4568 6.3.6: window size hint, minimum 64.
      if (val === undefined || !/^[0-9]{2,9}$/.test(val) || Number(val) < 64) fail('WSH must be a number >= 64 (RFC 4568 6.3.6)', line);
      return { kind: 'WSH', value: Number(val) };
    }
    default:
      // RFC 4568 9.1 srtp-session-extension = ["-"] 1*(VCHAR): kept, the policy decides.
      if (!/^[\x21-\x7e]+$/.test(p)) fail('session parameter contains non-printable characters', line);
      return { kind: 'unknown', text: p };
  }
}

function serializeKeyParam(kp: CryptoKeyParam): string {
  let s = `inline:${encodeBase64(kp.keySalt)}`;
  if (kp.lifetime !== undefined) s += `|${lifetimeText(kp.lifetime)}`;
  if (kp.mki !== undefined) s += `|${kp.mki.value}:${kp.mki.length}`;
  return s;
}

function lifetimeText(v: bigint): string {
  // Canonical: powers of two as 2^n (the common form, RFC 4568 6.1 example "2^20"), else decimal.
  if (v > 0n && (v & (v - 1n)) === 0n) return `2^${v.toString(2).length - 1}`;
  return v.toString();
}

function serializeSessionParam(p: CryptoSessionParam): string {
  switch (p.kind) {
    case 'UNENCRYPTED_SRTP':
    case 'UNENCRYPTED_SRTCP':
    case 'UNAUTHENTICATED_SRTP':
      return p.kind;
    case 'KDR':
    case 'WSH':
      return `${p.kind}=${p.value}`;
    case 'FEC_ORDER':
      return `FEC_ORDER=${p.value}`;
    case 'FEC_KEY':
      return `FEC_KEY=${p.keyParams.map(serializeKeyParam).join(';')}`;
    case 'unknown':
      return p.text;
  }
}

/** Canonical attribute value (without `a=crypto:`); contains key material: never log it. */
export function serializeCrypto(c: CryptoAttribute): string {
  // `tag suite key-params [session-params]`, space separated; key-params joined by ';'.
  let s = `${c.tag} ${c.suite} `;
  const kps = c.keyParams;
  for (let i = 0; i < kps.length; i++) s += i === 0 ? serializeKeyParam(kps[i] as CryptoKeyParam) : `;${serializeKeyParam(kps[i] as CryptoKeyParam)}`;
  for (const p of c.sessionParams) s += ` ${serializeSessionParam(p)}`;
  return s;
}

export type CryptoLine =
  | { readonly ok: true; readonly lineNo: number; readonly attribute: CryptoAttribute }
  | { readonly ok: false; readonly lineNo: number; readonly error: SdpParseError };

/**
 * Every `a=crypto` line of a media section, each parsed on its own. A malformed line does not
 * make the others unusable: RFC 4568 7.1.2 lets the answerer pick any acceptable line, so the
 * policy sees each line's outcome (and the error's reason for its explanation). The result is
 * shared by every caller for the same section (frozen; the attributes are read-only data).
 */
export function cryptoLines(media: MediaSection): readonly CryptoLine[] {
  // Parsed once per parsed section: the policy (crypto-policy/sdp-bridge.ts) and the offer/answer
  // engine (sdp/security-offer.ts) both read the lines of the same offer (sdp/parsed-model.ts).
  const memo = ParsedSection.memo(media);
  if (memo?.cryptoLines !== undefined) return memo.cryptoLines;
  const out: CryptoLine[] = [];
  for (const l of media.lines) {
    // attributes(media, 'crypto') without its per-line objects: the value starts at offset 7.
    const v = l.value;
    if (l.type !== 'a' || !v.startsWith('crypto') || (v.length !== 6 && v.charCodeAt(6) !== 58)) continue;
    try {
      out.push({ ok: true, lineNo: l.lineNo, attribute: cryptoAt(v, 7, l.lineNo) });
    } catch (e) {
      if (e instanceof SdpParseError) out.push({ ok: false, lineNo: l.lineNo, error: e });
      else throw e;
    }
  }
  const lines = Object.freeze(out);
  if (memo !== undefined) memo.cryptoLines = lines;
  return lines;
}
