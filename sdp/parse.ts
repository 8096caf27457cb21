import { SdpParseError, sdpError } from './errors.ts';
import { DEFAULT_SDP_LIMITS } from './model.ts';
import { ParsedDescription, ParsedMediaSection, ParsedSection } from './parsed-model.ts';
import type { Connection, MediaLine, MediaSection, Origin, SdpLimits, SdpLine, SessionDescription } from './model.ts';

/**
 * Parses an SDP text (RFC 8866). Accepts CRLF or bare LF line ends (RFC 8866 5: "a parser
 * SHOULD be tolerant and also accept records terminated with a single newline character").
 * Empty lines are skipped (some devices append an extra CRLF). Throws only SdpParseError.
 *
 * Structure enforced: first line `v=0`; exactly one `o=` and at least one `s=` before the first
 * `m=`; every line `<a-z>=<value>` without NUL or CR in the value; `o=`, `c=` and `m=` well
 * formed. Line order within a section is not enforced (real devices put `a=` before `t=`).
 */
export function parseSdp(text: string, limits?: Partial<SdpLimits>): SessionDescription {
  const lim: SdpLimits = limits === undefined ? DEFAULT_SDP_LIMITS : { ...DEFAULT_SDP_LIMITS, ...limits };
  if (typeof text !== 'string') throw sdpError('input is not text');
  if (text.length > lim.maxLength) throw new SdpParseError('SDP_LIMIT', `input longer than ${lim.maxLength} characters`);

  const sessionLines: SdpLine[] = [];
  let sessionConnection: Connection | null = null;
  const media: MediaSection[] = [];
  let current: SdpLine[] = sessionLines;
  let currentM: MediaLine | undefined;
  // First c= of the current media section (RFC 8866 5.7): parsed here anyway, kept for connection().
  let mediaConnection: Connection | null = null;
  let origin: Origin | undefined;
  let sawS = false;
  let sawV = false;
  let lineNo = 0;
  let count = 0;
  let pos = 0;
  const len = text.length;
  // NUL: one scan of the whole text; values are searched only when there is one. CR: the next
  // CR is tracked line by line, so a CR before a line's end is a CR inside its value (the only
  // CR a line may have is the one right before its LF).
  const hasNul = text.indexOf('\0') !== -1;
  let nextCr = text.indexOf('\r');

  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    // The line is text[start, stop); only its value is copied out (no string for the whole line).
    const start = pos;
    const crInside = nextCr !== -1 && nextCr < stop;
    while (nextCr !== -1 && nextCr <= end) nextCr = text.indexOf('\r', nextCr + 1);
    pos = end + 1;
    lineNo++;
    if (stop === start) continue;
    if (++count > lim.maxLines) throw new SdpParseError('SDP_LIMIT', `more than ${lim.maxLines} lines`, lineNo);
    if (stop - start > lim.maxLineLength) throw new SdpParseError('SDP_LIMIT', `line longer than ${lim.maxLineLength} characters`, lineNo);
    const t = text.charCodeAt(start);
    // charCodeAt(start + 1) is the line end (or NaN) for a one-character line: not '='.
    if (t < 97 || t > 122 || stop - start < 2 || text.charCodeAt(start + 1) !== 61) throw sdpError("expected '<type>=<value>' with a lowercase letter type", lineNo);
    const value = text.slice(start + 2, stop);
    if (crInside || (hasNul && value.indexOf('\0') !== -1)) throw sdpError('value contains CR or NUL', lineNo);
    const type = LINE_TYPES[t - 97] as string;
    const line: SdpLine = { type, value, lineNo };

    if (!sawV) {
      if (t !== 118) throw sdpError("first line must be 'v='", lineNo);
      if (value !== '0') throw sdpError("unsupported protocol version (RFC 8866 5.1: 'v=0')", lineNo);
      sawV = true;
    } else if (t === 118) {
      throw sdpError("'v=' may appear only once", lineNo);
    }

    switch (t) {
      case 109: {
        // m=
        if (origin === undefined) throw sdpError("'m=' before 'o='", lineNo);
        if (!sawS) throw sdpError("'m=' before 's='", lineNo);
        if (currentM !== undefined) media.push(new ParsedMediaSection(media.length, currentM, current, mediaConnection));
        if (media.length + 1 > lim.maxMedia) throw new SdpParseError('SDP_LIMIT', `more than ${lim.maxMedia} media sections`, lineNo);
        currentM = parseMediaLine(value, lineNo);
        current = [];
        mediaConnection = null;
        break;
      }
      case 111:
        // o=
        if (currentM !== undefined) throw sdpError("'o=' inside a media section", lineNo);
        if (origin !== undefined) throw sdpError("'o=' may appear only once", lineNo);
        origin = parseOrigin(value, lineNo);
        break;
      case 115:
        // s=
        if (currentM !== undefined) throw sdpError("'s=' inside a media section", lineNo);
        sawS = true;
        break;
      case 99: {
        // c=
        const c = parseConnection(value, lineNo);
        if (currentM === undefined) sessionConnection ??= Object.freeze(c);
        else mediaConnection ??= Object.freeze(c);
        break;
      }
      default:
        break;
    }
    current.push(line);
  }

  if (!sawV) throw sdpError("empty input (RFC 8866 5.1: 'v=0' required)");
  if (origin === undefined) throw sdpError("missing 'o=' line (RFC 8866 5.2)");
  if (!sawS) throw sdpError("missing 's=' line (RFC 8866 5.3)");
  if (currentM !== undefined) media.push(new ParsedMediaSection(media.length, currentM, current, mediaConnection));
  return new ParsedDescription(new ParsedSection(sessionLines, sessionConnection), media, origin);
}

/** Line type letters by char code - 97 (a..z): the type string without slicing the line. */
const LINE_TYPES: readonly string[] = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** Character classes as lookup tables (ASCII; anything else is outside every class). */
function charClass(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** RFC 8866 9 token-char: ^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$ */
const TOKEN_CHARS = charClass(`${ALNUM}!#$%&'*+-.^_\`{|}~`);
/** m= proto: ^[A-Za-z0-9_./+-]+$ */
const PROTO_CHARS = charClass(`${ALNUM}_./+-`);
const DIGIT_CHARS = charClass('0123456789');

/** Non-empty and every character in the class. */
function allIn(s: string, cls: Uint8Array): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || cls[c] !== 1) return false;
  }
  return true;
}

function isToken(s: string): boolean {
  return allIn(s, TOKEN_CHARS);
}

function isDigits(s: string): boolean {
  return allIn(s, DIGIT_CHARS);
}

function splitSpaces(value: string): string[] {
  // RFC 8866 uses single spaces: split on ' ' by indexOf (cheaper than split() for these short
  // values). A tab, or an empty field (a leading, trailing or doubled space), means hand-written
  // spacing: then split on runs of spaces/tabs and drop empty fields.
  if (value.indexOf('\t') === -1) {
    const out: string[] = [];
    let i = 0;
    for (let j = value.indexOf(' '); j !== -1; j = value.indexOf(' ', i)) {
      if (j === i) break;
      out.push(value.slice(i, j));
      i = j + 1;
    }
    if (i < value.length && value.indexOf(' ', i) === -1) {
      out.push(value.slice(i));
      return out;
    }
  }
  return value.split(/[ \t]+/).filter((s) => s.length > 0);
}

export function parseOrigin(value: string, lineNo: number): Origin {
  const f = splitSpaces(value);
  if (f.length !== 6) throw sdpError("'o=' needs 6 fields: username sess-id sess-version nettype addrtype address", lineNo);
  // Indexed reads, not array destructuring (which goes through the iterator protocol).
  const username = f[0] as string;
  const sessionId = f[1] as string;
  const sessionVersion = f[2] as string;
  const netType = f[3] as string;
  const addrType = f[4] as string;
  const address = f[5] as string;
  if (!isDigits(sessionId)) throw sdpError("'o=' sess-id must be digits", lineNo);
  if (!isDigits(sessionVersion)) throw sdpError("'o=' sess-version must be digits", lineNo);
  if (!isToken(netType) || !isToken(addrType)) throw sdpError("'o=' nettype/addrtype must be tokens", lineNo);
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

export function parseMediaLine(value: string, lineNo: number): MediaLine {
  const f = splitSpaces(value);
  if (f.length < 3) throw sdpError("'m=' needs media, port and proto", lineNo);
  const mediaType = f[0] as string;
  const portField = f[1] as string;
  const proto = f[2] as string;
  if (!isToken(mediaType)) throw sdpError("'m=' media must be a token", lineNo);
  const slash = portField.indexOf('/');
  const portText = slash === -1 ? portField : portField.slice(0, slash);
  const port = parsePort(portText);
  if (port === undefined) throw sdpError("'m=' port must be 0..65535", lineNo);
  let portCount: number | undefined;
  if (slash !== -1) {
    const c = portField.slice(slash + 1);
    if (!isDigits(c) || c.length > 5 || Number(c) < 1) throw sdpError("'m=' number of ports must be a positive integer", lineNo);
    portCount = Number(c);
  }
  if (!allIn(proto, PROTO_CHARS)) throw sdpError("'m=' proto must be a token", lineNo);
  const fmts = f.slice(3);
  // RFC 8866 5.14 requires at least one fmt; rejected lines (port 0) from some devices omit it.
  if (fmts.length === 0 && port !== 0) throw sdpError("'m=' needs at least one format", lineNo);
  for (const fmt of fmts) if (!isToken(fmt)) throw sdpError("'m=' format must be a token", lineNo);
  return { media: mediaType, port, portCount, proto, fmts };
}

export function parsePort(text: string): number | undefined {
  if (!isDigits(text) || text.length > 5) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

export function parseConnection(value: string, lineNo: number): Connection {
  const f = splitSpaces(value);
  if (f.length !== 3) throw sdpError("'c=' needs nettype addrtype address", lineNo);
  const netType = f[0] as string;
  const addrType = f[1] as string;
  const addrField = f[2] as string;
  if (!isToken(netType) || !isToken(addrType)) throw sdpError("'c=' nettype/addrtype must be tokens", lineNo);
  // Unicast (no '/') is the usual case: no TTL or count to split off.
  const slash = addrField.indexOf('/');
  const parts = slash === -1 ? undefined : addrField.split('/');
  const address = parts === undefined ? addrField : (parts[0] ?? '');
  if (address.length === 0) throw sdpError("'c=' address is empty", lineNo);
  let n1: number | undefined;
  let n2: number | undefined;
  if (parts !== undefined) {
    if (parts.length > 3) throw sdpError("'c=' address has too many '/' parts", lineNo);
    const nums = parts.slice(1).map((p) => (isDigits(p) && p.length <= 5 ? Number(p) : Number.NaN));
    if (nums.some((n) => Number.isNaN(n))) throw sdpError("'c=' TTL/count must be integers", lineNo);
    n1 = nums[0];
    n2 = nums[1];
  }
  if (addrType === 'IP4' && address.includes(':')) throw sdpError("'c=' IP4 address contains ':'", lineNo);
  if (addrType === 'IP6' && !address.includes(':') && /^[0-9.]+$/.test(address)) throw sdpError("'c=' IP6 address is an IPv4 literal", lineNo);
  // RFC 8866 5.7: IP4 multicast is addr/ttl[/count]; IP6 has no TTL, so addr/count.
  if (addrType === 'IP6') return { netType, addrType, address, ttl: undefined, count: n1 };
  return { netType, addrType, address, ttl: n1, count: n2 };
}
