import { attributeError } from './errors.ts';
import { parseConnection, parsePort } from './parse.ts';
import type { Connection, Direction, MediaSection, SdpLine, SdpSection, SessionDescription } from './model.ts';
import { ParsedSection } from './parsed-model.ts';

/**
 * Generic `a=` access (RFC 8866 5.13: `a=<attribute-name>[:<attribute-value>]`) and the typed
 * accessors for media-level attributes. Accessors throw SdpParseError (code SDP_ATTRIBUTE, with
 * the line number) when a known attribute is malformed; unknown attributes are never inspected.
 */

export interface AttributeLine {
  readonly name: string;
  /** Text after the first ':' ('' for a property attribute such as `a=rtcp-mux`). */
  readonly value: string;
  readonly lineNo: number;
}

export function splitAttribute(line: SdpLine): AttributeLine {
  const c = line.value.indexOf(':');
  return c === -1
    ? { name: line.value, value: '', lineNo: line.lineNo }
    : { name: line.value.slice(0, c), value: line.value.slice(c + 1), lineNo: line.lineNo };
}

/** All `a=<name>` lines of a section, in order. Names compare case-sensitively (RFC 8866 6). */
export function attributes(section: SdpSection, name: string): readonly AttributeLine[] {
  const out: AttributeLine[] = [];
  const n = name.length;
  // First character before startsWith: most lines differ there, and the builtin call costs more.
  const c0 = name.charCodeAt(0);
  for (const l of section.lines) {
    if (l.type !== 'a') continue;
    const v = l.value;
    if ((v.charCodeAt(0) === c0 || n === 0) && v.startsWith(name) && (v.length === n || v.charCodeAt(n) === 58)) out.push({ name, value: v.length === n ? '' : v.slice(n + 1), lineNo: l.lineNo });
  }
  return out;
}

export function firstAttribute(section: SdpSection, name: string): AttributeLine | undefined {
  // attributes(section, name)[0] without building the rest of the list.
  const n = name.length;
  const c0 = name.charCodeAt(0);
  for (const l of section.lines) {
    if (l.type !== 'a') continue;
    const v = l.value;
    if ((v.charCodeAt(0) === c0 || n === 0) && v.startsWith(name) && (v.length === n || v.charCodeAt(n) === 58)) return { name, value: v.length === n ? '' : v.slice(n + 1), lineNo: l.lineNo };
  }
  return undefined;
}

export function hasAttribute(section: SdpSection, name: string): boolean {
  return firstAttribute(section, name) !== undefined;
}

/** Media-level value if present, else session-level (RFC 8866 5: media overrides session). */
export function mediaOrSession(sdp: SessionDescription, media: MediaSection, name: string): readonly AttributeLine[] {
  const m = attributes(media, name);
  return m.length > 0 ? m : attributes(sdp.session, name);
}

/** mediaOrSession(sdp, media, name)[0], without building the lists. */
export function firstMediaOrSession(sdp: SessionDescription, media: MediaSection, name: string): AttributeLine | undefined {
  return firstAttribute(media, name) ?? firstAttribute(sdp.session, name);
}

// c= of a section: parseSdp keeps the first one it validated (sdp/parsed-model.ts); dual m-line
// detection and the hold check of every m= section ask for it. Parsed here for hand-built sections.
function sectionConnection(s: SdpSection): Connection | undefined {
  const parsed = ParsedSection.connection(s);
  if (parsed !== undefined) return parsed ?? undefined;
  for (const l of s.lines) if (l.type === 'c') return Object.freeze(parseConnection(l.value, l.lineNo));
  return undefined;
}

/** c= of the media section, else of the session (RFC 8866 5.7). */
export function connection(sdp: SessionDescription, media?: MediaSection): Connection | undefined {
  return (media === undefined ? undefined : sectionConnection(media)) ?? sectionConnection(sdp.session);
}

function isDirection(v: string): v is Direction {
  return v === 'sendrecv' || v === 'sendonly' || v === 'recvonly' || v === 'inactive';
}

function directionOf(section: SdpSection): Direction | undefined {
  // The last direction attribute wins if a peer sends several (seen in the wild).
  let found: Direction | undefined;
  for (const l of section.lines) if (l.type === 'a' && isDirection(l.value)) found = l.value;
  return found;
}

/** RFC 8866 6.7 / RFC 3264 5.1: media-level direction overrides session-level; default sendrecv. */
export function direction(sdp: SessionDescription, media: MediaSection): Direction {
  return directionOf(media) ?? directionOf(sdp.session) ?? 'sendrecv';
}

export interface RtpMap {
  readonly payloadType: number;
  readonly encodingName: string;
  readonly clockRate: number;
  /** Encoding parameters (channels for audio); undefined when omitted. */
  readonly channels: number | undefined;
}

/** RFC 8866 6.6 `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` */
export function parseRtpMap(a: AttributeLine): RtpMap {
  return rtpMapAt(a.value, 0, a.lineNo);
}

/**
 * parseRtpMap for the attribute value starting at `start` of `text` (the caller's whole line
 * value, so no slice is made per line); `start` past the end is an empty value.
 */
export function rtpMapAt(text: string, start: number, lineNo: number): RtpMap {
  const f = scanRtpMap(text, start);
  if (f === undefined) throw attributeError("malformed 'a=rtpmap' (RFC 8866 6.6)", lineNo);
  if (f.payloadType > 127) throw attributeError("'a=rtpmap' payload type above 127", lineNo);
  if (f.clockRate === 0) throw attributeError("'a=rtpmap' clock rate is 0", lineNo);
  if (f.channels === 0) throw attributeError("'a=rtpmap' channel count is 0", lineNo);
  return f;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Index after the decimal digits at `i` (i itself when there are none). */
function digitsEnd(v: string, i: number): number {
  let j = i;
  while (j < v.length) {
    const c = v.charCodeAt(j);
    if (c < 48 || c > 57) break;
    j++;
  }
  return j;
}

/** Value of the decimal digits v[i..j) (at most 10 digits: exact in a double). */
function digitsValue(v: string, i: number, j: number): number {
  let n = 0;
  for (let k = i; k < j; k++) n = n * 10 + (v.charCodeAt(k) - 48);
  return n;
}

/**
 * The rtpmap grammar as a scanner (one pass, no regex; rtpmap is the most frequent attribute):
 *   ^([0-9]{1,3})[ \t]+([^ \t/]+)\/([0-9]{1,10})(?:\/([0-9]{1,3}))?[ \t]*$
 * Every step is forced (the name stops at the first blank or '/'), so no backtracking is lost.
 */
function scanRtpMap(v: string, start: number): RtpMap | undefined {
  const n = v.length;
  const ptEnd = digitsEnd(v, start);
  if (ptEnd === start || ptEnd - start > 3 || ptEnd >= n || !isBlank(v.charCodeAt(ptEnd))) return undefined;
  let i = ptEnd;
  while (i < n && isBlank(v.charCodeAt(i))) i++;
  const nameStart = i;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (c === 47 || isBlank(c)) break;
    i++;
  }
  if (i === nameStart || i >= n || v.charCodeAt(i) !== 47) return undefined;
  const nameEnd = i;
  const rateEnd = digitsEnd(v, i + 1);
  if (rateEnd === i + 1 || rateEnd - (i + 1) > 10) return undefined;
  const clockRate = digitsValue(v, i + 1, rateEnd);
  i = rateEnd;
  let channels: number | undefined;
  if (i < n && v.charCodeAt(i) === 47) {
    const chEnd = digitsEnd(v, i + 1);
    if (chEnd === i + 1 || chEnd - (i + 1) > 3) return undefined;
    channels = digitsValue(v, i + 1, chEnd);
    i = chEnd;
  }
  while (i < n && isBlank(v.charCodeAt(i))) i++;
  if (i !== n) return undefined;
  return { payloadType: digitsValue(v, start, ptEnd), encodingName: v.slice(nameStart, nameEnd), clockRate, channels };
}

export function rtpMaps(media: MediaSection): RtpMap[] {
  return attributes(media, 'rtpmap').map(parseRtpMap);
}

export interface Fmtp {
  readonly format: string;
  /** Parameter text exactly as sent (answers echo it). */
  readonly raw: string;
  /** `key=value` pairs split on ';' with spaces trimmed; keys lowercased (RFC 6184 8.1 etc.). */
  readonly params: ReadonlyMap<string, string>;
}

/**
 * A parsed `a=fmtp`. The parameter map is built on first use: most formats an answer keeps
 * (PCMU, telephone-event, opus) only echo `raw`, and only H.264, VP9 and rtx read parameters
 * (sdp/codec-match.ts). Splitting cannot fail, so deferring it changes no validation.
 */
class FmtpLine implements Fmtp {
  readonly format: string;
  readonly raw: string;
  #params: ReadonlyMap<string, string> | undefined = undefined;

  constructor(format: string, raw: string) {
    this.format = format;
    this.raw = raw;
  }

  get params(): ReadonlyMap<string, string> {
    return (this.#params ??= fmtpParams(this.raw));
  }
}

function fmtpParams(raw: string): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  for (const part of raw.split(';')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    if (eq === -1) params.set(p.toLowerCase(), '');
    else params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return params;
}

/** RFC 8866 6.15 `a=fmtp:<format> <format specific parameters>` */
export function parseFmtp(a: AttributeLine): Fmtp {
  return fmtpAt(a.value, 0, a.lineNo);
}

/**
 * parseFmtp for the value starting at `start` of `text`. A scanner for the former regex
 *   ^([^ \t]+)(?:[ \t]+(.*))?$   with raw = group 2 trimmed
 * where `.` stops at line terminators: a value whose parameter part holds one is malformed.
 */
export function fmtpAt(text: string, start: number, lineNo: number): Fmtp {
  const n = text.length;
  let i = start;
  while (i < n && !isBlank(text.charCodeAt(i))) i++;
  if (i === start) throw attributeError("malformed 'a=fmtp' (RFC 8866 6.15)", lineNo);
  const format = text.slice(start, i);
  if (i === n) return new FmtpLine(format, '');
  for (let k = i; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) throw attributeError("malformed 'a=fmtp' (RFC 8866 6.15)", lineNo);
  }
  return new FmtpLine(format, text.slice(i).trim());
}

export function fmtps(media: MediaSection): Fmtp[] {
  return attributes(media, 'fmtp').map(parseFmtp);
}

export interface RtcpFb {
  /** A payload type number, or '*' for all formats (RFC 4585 4.2). */
  readonly payloadType: number | '*';
  /** `nack`, `nack pli`, `ccm fir`, `transport-cc`... everything after the payload type. */
  readonly feedback: string;
}

/** RFC 4585 4.2 `a=rtcp-fb:<payload type or *> <feedback type> [<parameters>]` */
export function parseRtcpFb(a: AttributeLine): RtcpFb {
  const m = /^(\*|[0-9]{1,3})[ \t]+(\S.*?)[ \t]*$/.exec(a.value);
  if (m === null) throw attributeError("malformed 'a=rtcp-fb' (RFC 4585 4.2)", a.lineNo);
  const pt = m[1] === '*' ? '*' : Number(m[1]);
  if (pt !== '*' && pt > 127) throw attributeError("'a=rtcp-fb' payload type above 127", a.lineNo);
  return { payloadType: pt, feedback: (m[2] as string).replace(/[ \t]+/g, ' ') };
}

export function rtcpFbs(media: MediaSection): RtcpFb[] {
  return attributes(media, 'rtcp-fb').map(parseRtcpFb);
}

/** RFC 5888 4 `a=mid:<identification-tag>` */
export function mid(media: MediaSection): string | undefined {
  const a = firstAttribute(media, 'mid');
  if (a === undefined) return undefined;
  if (a.value.length === 0 || /[ \t]/.test(a.value)) throw attributeError("malformed 'a=mid' (RFC 5888 4)", a.lineNo);
  return a.value;
}

export interface Group {
  readonly semantics: string;
  readonly mids: readonly string[];
}

/** RFC 5888 5 `a=group:<semantics> *(SP <identification-tag>)`, e.g. BUNDLE (RFC 8843). */
export function groups(sdp: SessionDescription): Group[] {
  return attributes(sdp.session, 'group').map((a) => {
    const f = a.value.split(/[ \t]+/).filter((s) => s.length > 0);
    if (f.length === 0) throw attributeError("malformed 'a=group' (RFC 5888 5)", a.lineNo);
    return { semantics: f[0] as string, mids: f.slice(1) };
  });
}

export function bundleGroups(sdp: SessionDescription): Group[] {
  return groups(sdp).filter((g) => g.semantics.toUpperCase() === 'BUNDLE');
}

/** RFC 5761 5.1.1 `a=rtcp-mux` */
export function rtcpMux(media: MediaSection): boolean {
  return hasAttribute(media, 'rtcp-mux');
}

export interface RtcpAttribute {
  readonly port: number;
  readonly connection: Connection | undefined;
}

/** RFC 3605 2.1 `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` */
export function rtcp(media: MediaSection): RtcpAttribute | undefined {
  const a = firstAttribute(media, 'rtcp');
  if (a === undefined) return undefined;
  const m = /^([0-9]{1,5})(?:[ \t]+(.+))?$/.exec(a.value.trim());
  const port = m === null ? undefined : parsePort(m[1] as string);
  if (m === null || port === undefined) throw attributeError("malformed 'a=rtcp' (RFC 3605 2.1)", a.lineNo);
  return { port, connection: m[2] === undefined ? undefined : parseConnection(m[2], a.lineNo) };
}

export interface SsrcAttribute {
  readonly ssrc: number;
  readonly attribute: string;
  readonly value: string | undefined;
}

/** RFC 5576 4.1 `a=ssrc:<ssrc-id> <attribute>[:<value>]` */
export function ssrcs(media: MediaSection): SsrcAttribute[] {
  return attributes(media, 'ssrc').map((a) => {
    const m = /^([0-9]{1,10})[ \t]+([^:]+?)(?::(.*))?$/.exec(a.value);
    const ssrc = m === null ? Number.NaN : Number(m[1]);
    if (m === null || !(ssrc <= 0xffffffff)) throw attributeError("malformed 'a=ssrc' (RFC 5576 4.1)", a.lineNo);
    return { ssrc, attribute: m[2] as string, value: m[3] };
  });
}

export interface SsrcGroup {
  readonly semantics: string;
  readonly ssrcs: readonly number[];
}

/** RFC 5576 4.2 `a=ssrc-group:<semantics> *(SP <ssrc-id>)` */
export function ssrcGroups(media: MediaSection): SsrcGroup[] {
  return attributes(media, 'ssrc-group').map((a) => {
    const f = a.value.split(/[ \t]+/).filter((s) => s.length > 0);
    const ids = f.slice(1).map((s) => (/^[0-9]{1,10}$/.test(s) ? Number(s) : Number.NaN));
    if (f.length === 0 || ids.some((n) => !(n <= 0xffffffff))) throw attributeError("malformed 'a=ssrc-group' (RFC 5576 4.2)", a.lineNo);
    return { semantics: f[0] as string, ssrcs: ids };
  });
}

/** `a=ptime` (RFC 8866 6.4) in milliseconds, if present. */
export function ptime(media: MediaSection): number | undefined {
  const a = firstAttribute(media, 'ptime');
  if (a === undefined) return undefined;
  const v = a.value.trim();
  if (!/^[0-9]{1,5}(\.[0-9]+)?$/.test(v)) throw attributeError("malformed 'a=ptime' (RFC 8866 6.4)", a.lineNo);
  return Number(v);
}
