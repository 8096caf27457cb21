import { parseFmtp, parseRtcpFb, parseRtpMap } from './attributes.ts';
import type { AttributeLine, Fmtp, RtpMap } from './attributes.ts';
import type { MediaSection } from './model.ts';

/** RTP payload formats offered in an m= section, resolved to names (RFC 3551 6 static table). */

export interface OfferedCodec {
  readonly payloadType: number;
  readonly name: string;
  readonly clockRate: number;
  /** Channels (audio); 1 when the rtpmap omits it (RFC 8866 6.6) or for video. */
  readonly channels: number;
  readonly fmtp: Fmtp | undefined;
  /** Feedback types for this PT, including `a=rtcp-fb:*` ones (RFC 4585 4.2). */
  readonly rtcpFb: readonly string[];
}

/** RFC 3551 table 4/5: static payload types usable without an rtpmap. */
const STATIC: ReadonlyMap<number, readonly [string, number, number]> = new Map([
  [0, ['PCMU', 8000, 1]],
  [3, ['GSM', 8000, 1]],
  [4, ['G723', 8000, 1]],
  [5, ['DVI4', 8000, 1]],
  [6, ['DVI4', 16000, 1]],
  [7, ['LPC', 8000, 1]],
  [8, ['PCMA', 8000, 1]],
  [9, ['G722', 8000, 1]],
  [10, ['L16', 44100, 2]],
  [11, ['L16', 44100, 1]],
  [12, ['QCELP', 8000, 1]],
  [13, ['CN', 8000, 1]],
  [14, ['MPA', 90000, 1]],
  [15, ['G728', 8000, 1]],
  [16, ['DVI4', 11025, 1]],
  [17, ['DVI4', 22050, 1]],
  [18, ['G729', 8000, 1]],
  [25, ['CelB', 90000, 1]],
  [26, ['JPEG', 90000, 1]],
  [28, ['nv', 90000, 1]],
  [31, ['H261', 90000, 1]],
  [32, ['MPV', 90000, 1]],
  [33, ['MP2T', 90000, 1]],
  [34, ['H263', 90000, 1]],
]);

/**
 * Codecs in offer order. A payload type listed in `m=` without rtpmap is resolved from the
 * static table; a dynamic one without rtpmap cannot be understood and is left out (RFC 8866
 * 6.6 requires an rtpmap for dynamic types). rtpmaps for PTs not in the m= line are ignored.
 */
export function offeredCodecs(media: MediaSection): OfferedCodec[] {
  // One scan for the three attributes (parsed in the same order as before: every rtpmap, then
  // every fmtp, then every rtcp-fb, so the first malformed one reported does not change).
  const rtpmapLines: AttributeLine[] = [];
  const fmtpLines: AttributeLine[] = [];
  const fbLines: AttributeLine[] = [];
  for (const l of media.lines) {
    if (l.type !== 'a') continue;
    // Same matching as attributes(): the name alone (empty value, then malformed) or name ':'.
    const v = l.value;
    if (isAttribute(v, 'rtpmap')) rtpmapLines.push({ name: 'rtpmap', value: v.slice(7), lineNo: l.lineNo });
    else if (isAttribute(v, 'fmtp')) fmtpLines.push({ name: 'fmtp', value: v.slice(5), lineNo: l.lineNo });
    else if (isAttribute(v, 'rtcp-fb')) fbLines.push({ name: 'rtcp-fb', value: v.slice(8), lineNo: l.lineNo });
  }
  // Payload types are 0..127 (parseRtpMap/parseRtcpFb enforce it): index arrays, not Maps. A
  // later line for the same PT or format wins, as before.
  const maps: (RtpMap | undefined)[] = [];
  for (const a of rtpmapLines) {
    const r = parseRtpMap(a);
    maps[r.payloadType] = r;
  }
  const fm = new Map<string, Fmtp>();
  for (const a of fmtpLines) {
    const f = parseFmtp(a);
    fm.set(f.format, f);
  }
  // Group feedback by payload type once: Chrome offers ~100 rtcp-fb lines for ~25 formats.
  const wildcard: string[] = [];
  const fbByPt: (string[] | undefined)[] = [];
  for (const a of fbLines) {
    const x = parseRtcpFb(a);
    if (x.payloadType === '*') {
      wildcard.push(x.feedback);
      continue;
    }
    const list = fbByPt[x.payloadType];
    if (list === undefined) fbByPt[x.payloadType] = [x.feedback];
    else list.push(x.feedback);
  }
  const out: OfferedCodec[] = [];
  const seen: boolean[] = [];
  for (const fmt of media.mLine.fmts) {
    const pt = smallDecimal(fmt);
    if (pt === undefined || pt > 127 || seen[pt] === true) continue;
    seen[pt] = true;
    const r = maps[pt];
    const st = STATIC.get(pt);
    let name: string;
    let clockRate: number;
    let channels: number;
    if (r !== undefined) {
      name = r.encodingName;
      clockRate = r.clockRate;
      channels = r.channels ?? 1;
    } else if (st !== undefined) {
      [name, clockRate, channels] = st;
    } else {
      continue;
    }
    const own = fbByPt[pt];
    const rtcpFb = wildcard.length === 0 ? (own ?? NO_FEEDBACK) : own === undefined ? wildcard : wildcard.concat(own);
    out.push({ payloadType: pt, name, clockRate, channels, fmtp: fmtpLines.length === 0 ? undefined : fm.get(fmt), rtcpFb });
  }
  return out;
}

const NO_FEEDBACK: readonly string[] = Object.freeze([]);

function isAttribute(value: string, name: string): boolean {
  return value.startsWith(name) && (value.length === name.length || value.charCodeAt(name.length) === 58);
}

/** `^[0-9]{1,3}$` as a number, else undefined. */
function smallDecimal(s: string): number | undefined {
  if (s.length === 0 || s.length > 3) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Formats that carry no media of their own (RFC 4733, RFC 3389, RFC 4588, RFC 2198, RFC 5109). */
const AUXILIARY = new Set(['telephone-event', 'cn', 'rtx', 'red', 'ulpfec', 'flexfec', 'flexfec-03']);

export function isAuxiliary(name: string): boolean {
  return AUXILIARY.has(name.toLowerCase());
}

/** isAuxiliary for a name already lowercased by the caller. */
export function isAuxiliaryLower(lowerName: string): boolean {
  return AUXILIARY.has(lowerName);
}

/**
 * Intersection of two RFC 4733 event lists ("0-15,66,70"); undefined when either is not a valid
 * list. Used to answer telephone-event with the events both sides support (RFC 4733 7.1.1).
 */
export function intersectEvents(a: string, b: string): string | undefined {
  const common = eventBits(a);
  const eb = eventBits(b);
  if (common === undefined || eb === undefined) return undefined;
  for (let w = 0; w < 8; w++) common[w] = (common[w] as number) & (eb[w] as number);
  let out = '';
  for (let e = 0; e < 256; ) {
    if ((common[e >>> 5] as number) === 0) {
      e = (e | 31) + 1; // skip a word with no common event
      continue;
    }
    if (!hasEvent(common, e)) {
      e++;
      continue;
    }
    let last = e;
    while (last + 1 < 256 && hasEvent(common, last + 1)) last++;
    out += `${out.length === 0 ? '' : ','}${last === e ? String(e) : `${e}-${last}`}`;
    e = last + 1;
  }
  return out;
}

function hasEvent(bits: Uint32Array, e: number): boolean {
  return ((bits[e >>> 5] as number) & (1 << (e & 31))) !== 0;
}

const EVENT_RANGE = /^\s*([0-9]{1,3})(?:-([0-9]{1,3}))?\s*$/;

/** Events 0..255 of an RFC 4733 list as a 256-bit set; undefined when the list is invalid. */
function eventBits(list: string): Uint32Array | undefined {
  const bits = new Uint32Array(8);
  let start = 0;
  for (;;) {
    let end = list.indexOf(',', start);
    if (end === -1) end = list.length;
    const range = eventRange(list, start, end);
    if (range === undefined) return undefined;
    for (let e = range.lo; e <= range.hi; e++) bits[e >>> 5] = (bits[e >>> 5] as number) | (1 << (e & 31));
    if (end === list.length) return bits;
    start = end + 1;
  }
}

/** One `lo[-hi]` part, whitespace around it allowed; hi <= 255 and lo <= hi. */
function eventRange(list: string, start: number, end: number): { lo: number; hi: number } | undefined {
  // Fast path for the usual bare digits: accepts exactly what EVENT_RANGE accepts without
  // whitespace; anything else (spaces, odd characters) goes to the regex.
  let i = start;
  let lo = 0;
  while (i < end && i - start < 4) {
    const c = list.charCodeAt(i);
    if (c < 48 || c > 57) break;
    lo = lo * 10 + (c - 48);
    i++;
  }
  let hi = lo;
  let fast = i > start && i - start <= 3;
  if (fast && i < end) {
    if (list.charCodeAt(i) !== 45) fast = false;
    else {
      const h = ++i;
      hi = 0;
      while (i < end && i - h < 4) {
        const c = list.charCodeAt(i);
        if (c < 48 || c > 57) break;
        hi = hi * 10 + (c - 48);
        i++;
      }
      fast = i === end && i > h && i - h <= 3;
    }
  }
  if (!fast) {
    const m = EVENT_RANGE.exec(list.slice(start, end));
    if (m === null) return undefined;
    lo = Number(m[1]);
    hi = m[2] === undefined ? lo : Number(m[2]);
  }
  return hi < lo || hi > 255 ? undefined : { lo, hi };
}
