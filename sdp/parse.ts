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
export function parseSdp(text: string, limits: Partial<SdpLimits> = {}): SessionDescription {
  const lim: SdpLimits = { ...DEFAULT_SDP_LIMITS, ...limits };
  if (typeof text !== 'string') throw sdpError('input is not text');
  if (text.length > lim.maxLength) throw new SdpParseError('SDP_LIMIT', `input longer than ${lim.maxLength} characters`);

  const sessionLines: SdpLine[] = [];
  const media: MediaSection[] = [];
  let current: SdpLine[] = sessionLines;
  let currentM: MediaLine | undefined;
  let origin: Origin | undefined;
  let sawS = false;
  let sawV = false;
  let lineNo = 0;
  let count = 0;
  let pos = 0;
  const len = text.length;
  // One scan of the whole text instead of two per line: when there is no NUL and every CR ends
  // a line, no value can contain either (checked per line only otherwise, for the line number).
  const checkValues = text.indexOf('\0') !== -1 || hasStrayCr(text);

  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    const raw = text.slice(pos, stop);
    pos = end + 1;
    lineNo++;
    if (raw.length === 0) continue;
    if (++count > lim.maxLines) throw new SdpParseError('SDP_LIMIT', `more than ${lim.maxLines} lines`, lineNo);
    if (raw.length > lim.maxLineLength) throw new SdpParseError('SDP_LIMIT', `line longer than ${lim.maxLineLength} characters`, lineNo);
    const t = raw.charCodeAt(0);
    if (t < 97 || t > 122 || raw.charCodeAt(1) !== 61) throw sdpError("expected '<type>=<value>' with a lowercase letter type", lineNo);
    const value = raw.slice(2);
    if (checkValues && (value.indexOf('\r') !== -1 || value.indexOf('\0') !== -1)) throw sdpError('value contains CR or NUL', lineNo);
    const type = raw[0] as string;
    const line: SdpLine = { type, value, lineNo };

    if (!sawV) {
      if (type !== 'v') throw sdpError("first line must be 'v='", lineNo);
      if (value !== '0') throw sdpError("unsupported protocol version (RFC 8866 5.1: 'v=0')", lineNo);
      sawV = true;
    } else if (type === 'v') {
      throw sdpError("'v=' may appear only once", lineNo);
    }

    switch (type) {
      case 'm': {
        if (origin === undefined) throw sdpError("'m=' before 'o='", lineNo);
        if (!sawS) throw sdpError("'m=' before 's='", lineNo);
        if (currentM !== undefined) media.push(new ParsedMediaSection(media.length, currentM, current));
        if (media.length + 1 > lim.maxMedia) throw new SdpParseError('SDP_LIMIT', `more than ${lim.maxMedia} media sections`, lineNo);
        currentM = parseMediaLine(value, lineNo);
        current = [];
        break;
      }
      case 'o':
        if (currentM !== undefined) throw sdpError("'o=' inside a media section", lineNo);
        if (origin !== undefined) throw sdpError("'o=' may appear only once", lineNo);
        origin = parseOrigin(value, lineNo);
        break;
      case 's':
        if (currentM !== undefined) throw sdpError("'s=' inside a media section", lineNo);
        sawS = true;
        break;
      case 'c':
        parseConnection(value, lineNo);
        break;
      default:
        break;
    }
    current.push(line);
  }

  if (!sawV) throw sdpError("empty input (RFC 8866 5.1: 'v=0' required)");
  if (origin === undefined) throw sdpError("missing 'o=' line (RFC 8866 5.2)");
  if (!sawS) throw sdpError("missing 's=' line (RFC 8866 5.3)");
  if (currentM !== undefined) media.push(new ParsedMediaSection(media.length, currentM, current));
  return new ParsedDescription(new ParsedSection(sessionLines), media, origin);
}

/** A CR not directly followed by LF (the only CR a line may end with). */
function hasStrayCr(text: string): boolean {
  for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) if (text.charCodeAt(i + 1) !== 10) return true;
  return false;
}

const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const DIGITS = /^[0-9]+$/;

function splitSpaces(value: string): string[] {
  // RFC 8866 uses single spaces (the fast path); tolerate runs of spaces/tabs from hand-written SDP.
  const n = value.length;
  if (n > 0 && value.charCodeAt(0) !== 32 && value.charCodeAt(n - 1) !== 32 && value.indexOf('\t') === -1 && value.indexOf('  ') === -1) return value.split(' ');
  return value.split(/[ \t]+/).filter((s) => s.length > 0);
}

export function parseOrigin(value: string, lineNo: number): Origin {
  const f = splitSpaces(value);
  if (f.length !== 6) throw sdpError("'o=' needs 6 fields: username sess-id sess-version nettype addrtype address", lineNo);
  const [username, sessionId, sessionVersion, netType, addrType, address] = f as [string, string, string, string, string, string];
  if (!DIGITS.test(sessionId)) throw sdpError("'o=' sess-id must be digits", lineNo);
  if (!DIGITS.test(sessionVersion)) throw sdpError("'o=' sess-version must be digits", lineNo);
  if (!TOKEN.test(netType) || !TOKEN.test(addrType)) throw sdpError("'o=' nettype/addrtype must be tokens", lineNo);
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

export function parseMediaLine(value: string, lineNo: number): MediaLine {
  const f = splitSpaces(value);
  if (f.length < 3) throw sdpError("'m=' needs media, port and proto", lineNo);
  const [mediaType, portField, proto] = f as [string, string, string];
  if (!TOKEN.test(mediaType)) throw sdpError("'m=' media must be a token", lineNo);
  const slash = portField.indexOf('/');
  const portText = slash === -1 ? portField : portField.slice(0, slash);
  const port = parsePort(portText);
  if (port === undefined) throw sdpError("'m=' port must be 0..65535", lineNo);
  let portCount: number | undefined;
  if (slash !== -1) {
    const c = portField.slice(slash + 1);
    if (!DIGITS.test(c) || c.length > 5 || Number(c) < 1) throw sdpError("'m=' number of ports must be a positive integer", lineNo);
    portCount = Number(c);
  }
  if (!/^[A-Za-z0-9_./+-]+$/.test(proto)) throw sdpError("'m=' proto must be a token", lineNo);
  const fmts = f.slice(3);
  // RFC 8866 5.14 requires at least one fmt; rejected lines (port 0) from some devices omit it.
  if (fmts.length === 0 && port !== 0) throw sdpError("'m=' needs at least one format", lineNo);
  for (const fmt of fmts) if (!TOKEN.test(fmt)) throw sdpError("'m=' format must be a token", lineNo);
  return { media: mediaType, port, portCount, proto, fmts };
}

export function parsePort(text: string): number | undefined {
  if (!DIGITS.test(text) || text.length > 5) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

export function parseConnection(value: string, lineNo: number): Connection {
  const f = splitSpaces(value);
  if (f.length !== 3) throw sdpError("'c=' needs nettype addrtype address", lineNo);
  const [netType, addrType, addrField] = f as [string, string, string];
  if (!TOKEN.test(netType) || !TOKEN.test(addrType)) throw sdpError("'c=' nettype/addrtype must be tokens", lineNo);
  const parts = addrField.split('/');
  const address = parts[0] ?? '';
  if (address.length === 0) throw sdpError("'c=' address is empty", lineNo);
  if (parts.length > 3) throw sdpError("'c=' address has too many '/' parts", lineNo);
  const nums = parts.slice(1).map((p) => (DIGITS.test(p) && p.length <= 5 ? Number(p) : Number.NaN));
  if (nums.some((n) => Number.isNaN(n))) throw sdpError("'c=' TTL/count must be integers", lineNo);
  if (addrType === 'IP4' && address.includes(':')) throw sdpError("'c=' IP4 address contains ':'", lineNo);
  if (addrType === 'IP6' && !address.includes(':') && /^[0-9.]+$/.test(address)) throw sdpError("'c=' IP6 address is an IPv4 literal", lineNo);
  // RFC 8866 5.7: IP4 multicast is addr/ttl[/count]; IP6 has no TTL, so addr/count.
  if (addrType === 'IP6') return { netType, addrType, address, ttl: undefined, count: nums[0] };
  return { netType, addrType, address, ttl: nums[0], count: nums[1] };
}
