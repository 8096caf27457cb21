import { SipParseError } from './parse-error.ts';

/**
 * Lexical helpers for the RFC 3261 section 25.1 grammar. All input here is already unfolded
 * (section 7.3.1), so LWS is just spaces and tabs.
 */

function charSet(chars: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  }
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** token (RFC 3261 25.1). */
export const TOKEN = charSet("-.!%*_+`'~");
/** word (Call-ID): token chars plus ( ) < > : \ " / [ ] ? { }. */
export const WORD = charSet("-.!%*_+`'~()<>:\\\"/[]?{}");
/** unreserved = alphanum / mark. */
export const UNRESERVED = charSet("-_.!~*'()");
/** Characters allowed unescaped in a URI user part: unreserved / user-unreserved. */
export const USER_CHARS = charSet("-_.!~*'()&=+$,;?/");
/** password: unreserved / "&" / "=" / "+" / "$" / ",". */
export const PASSWORD_CHARS = charSet("-_.!~*'()&=+$,");
/** paramchar: param-unreserved / unreserved. */
export const PARAM_CHARS = charSet("-_.!~*'()[]/:&+$");
/** hname/hvalue: hnv-unreserved / unreserved. */
export const HNV_CHARS = charSet("-_.!~*'()[]/?:+$");
/** hostname / IPv4 / IPv6 reference characters. */
export const HOST_CHARS = charSet('-.[]:');

export function isIn(set: Uint8Array, code: number): boolean {
  return code < 128 && set[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isIn(TOKEN, s.charCodeAt(i))) return false;
  return true;
}

export function isWs(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Trim SP/HTAB only (String.trim would also eat CR, LF, NUL-adjacent Unicode spaces). */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** A cursor over one header value; throws SipParseError('bad-header-value') with `what` context. */
export class Scanner {
  readonly s: string;
  i: number;
  readonly what: string;

  constructor(s: string, what: string, start = 0) {
    this.s = s;
    this.i = start;
    this.what = what;
  }

  fail(detail: string): never {
    throw new SipParseError('bad-header-value', `Malformed ${this.what}: ${detail}`);
  }

  eof(): boolean {
    return this.i >= this.s.length;
  }

  peek(): number {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  skipWs(): void {
    while (this.i < this.s.length && isWs(this.s.charCodeAt(this.i))) this.i++;
  }

  /** Consume `ch` (after optional LWS, and LWS after it: SEMI/COLON/EQUAL/COMMA are SWS x SWS). */
  eat(ch: string): boolean {
    const save = this.i;
    this.skipWs();
    if (this.s[this.i] === ch) {
      this.i++;
      this.skipWs();
      return true;
    }
    this.i = save;
    return false;
  }

  expect(ch: string): void {
    if (!this.eat(ch)) this.fail(`expected '${ch}' at offset ${this.i}`);
  }

  /** Read a run of characters from `set` (may be empty). */
  run(set: Uint8Array): string {
    const start = this.i;
    while (this.i < this.s.length && isIn(set, this.s.charCodeAt(this.i))) this.i++;
    return this.s.slice(start, this.i);
  }

  token(): string {
    const t = this.run(TOKEN);
    if (t === '') this.fail(`expected a token at offset ${this.i}`);
    return t;
  }

  /**
   * quoted-string: returns the raw text including the quotes (for verbatim round trips).
   * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) (RFC 3261 25.1).
   */
  quotedRaw(): string {
    const start = this.i;
    if (this.s[this.i] !== '"') this.fail(`expected '"' at offset ${this.i}`);
    this.i++;
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated quoted string');
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return this.s.slice(start, this.i);
      }
      if (c === 0x5c) {
        const n = this.s.charCodeAt(this.i + 1);
        if (Number.isNaN(n) || n === 0x0a || n === 0x0d || n > 0x7f) this.fail('bad quoted-pair');
        this.i += 2;
        continue;
      }
      // qdtext excludes the controls other than LWS.
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) this.fail('control character in quoted string');
      this.i++;
    }
  }
}

/** Remove quotes and quoted-pair escapes from a raw quoted-string. */
export function unquote(raw: string): string {
  if (raw.length < 2 || raw[0] !== '"' || raw[raw.length - 1] !== '"') return raw;
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const ch = raw[i] as string;
    if (ch === '\\' && i + 1 < raw.length - 1) {
      out += raw[i + 1];
      i++;
    } else out += ch;
  }
  return out;
}

/** Quote a string as a quoted-string, escaping `"` and `\` (and the controls quoted-pair allows). */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\' || (c < 0x20 && c !== 0x09) || c === 0x7f) out += '\\' + ch;
    else out += ch;
  }
  return out + '"';
}

/**
 * Split a header value on top-level commas (RFC 3261 7.3.1), ignoring commas inside quoted
 * strings and <...>. Empty elements are an error (RFC 4475 3.1.2.1).
 */
export function splitComma(value: string, what: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (inQuote) throw new SipParseError('bad-header-value', `Malformed ${what}: unterminated quoted string`);
  parts.push(value.slice(start));
  const out = parts.map(trimWs);
  if (out.some((p) => p === '')) throw new SipParseError('bad-header-value', `Malformed ${what}: empty list element`);
  return out;
}

/** Parse a non-negative decimal of at most `max` (RFC 4475 3.1.2.4: overlarge scalars are errors). */
export function parseDecimal(s: string, max: number, what: string): number {
  if (s.length === 0) throw new SipParseError('bad-header-value', `Malformed ${what}: not a number`);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) throw new SipParseError('bad-header-value', `Malformed ${what}: not a number`);
    n = n * 10 + c;
  }
  // Doubles stay exact up to 2**53, far above any `max` used here; a longer number is just "too large".
  if (n > max) throw new SipParseError('bad-header-value', `Malformed ${what}: value too large`);
  return n;
}
