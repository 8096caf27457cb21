import { fmtpAt, parseRtcpFb, rtpMapAt } from './attributes.ts';
import type { Fmtp, RtpMap } from './attributes.ts';
import type { MediaSection, SdpLine } from './model.ts';

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

/** RFC 3551 table 4/5: static payload types usable without an rtpmap, indexed by payload type. */
const STATIC: readonly (readonly [string, number, number] | undefined)[] = (() => {
  const t: (readonly [string, number, number] | undefined)[] = [];
  const rows: readonly (readonly [number, string, number, number])[] = [
    [0, 'PCMU', 8000, 1],
    [3, 'GSM', 8000, 1],
    [4, 'G723', 8000, 1],
    [5, 'DVI4', 8000, 1],
    [6, 'DVI4', 16000, 1],
    [7, 'LPC', 8000, 1],
    [8, 'PCMA', 8000, 1],
    [9, 'G722', 8000, 1],
    [10, 'L16', 44100, 2],
    [11, 'L16', 44100, 1],
    [12, 'QCELP', 8000, 1],
    [13, 'CN', 8000, 1],
    [14, 'MPA', 90000, 1],
    [15, 'G728', 8000, 1],
    [16, 'DVI4', 11025, 1],
    [17, 'DVI4', 22050, 1],
    [18, 'G729', 8000, 1],
    [25, 'CelB', 90000, 1],
    [26, 'JPEG', 90000, 1],
    [28, 'nv', 90000, 1],
    [31, 'H261', 90000, 1],
    [32, 'MPV', 90000, 1],
    [33, 'MP2T', 90000, 1],
    [34, 'H263', 90000, 1],
  ];
  for (let pt = 0; pt < 128; pt++) t.push(undefined);
  for (const [pt, name, rate, channels] of rows) t[pt] = [name, rate, channels];
  return Object.freeze(t);
})();

/**
 * Codecs in offer order. A payload type listed in `m=` without rtpmap is resolved from the
 * static table; a dynamic one without rtpmap cannot be understood and is left out (RFC 8866
 * 6.6 requires an rtpmap for dynamic types). rtpmaps for PTs not in the m= line are ignored.
 */
export function offeredCodecs(media: MediaSection): OfferedCodec[] {
  try {
    return collectCodecs(media);
  } finally {
    // Drop references into this SDP held by the scratch tables (also after a parse error).
    for (let i = 0; i < scratch.count; i++) {
      const pt = scratch.pts[i] as number;
      scratch.rtpmap[pt] = undefined;
      scratch.feedback[pt] = undefined;
    }
    scratch.count = 0;
  }
}

/**
 * Per-call scratch tables indexed by payload type (0..127, enforced by rtpMapAt/parseRtcpFb). A
 * fresh sparse array per call would grow a backing store past the largest PT (~170 slots for PT
 * 101) several times over. offeredCodecs never re-enters; `pts` lists the slots set in this
 * call (each PT once), which it clears before returning.
 */
const scratch = {
  rtpmap: new Array<RtpMap | undefined>(128).fill(undefined),
  feedback: new Array<string[] | undefined>(128).fill(undefined),
  pts: new Uint8Array(256),
  count: 0,
  seen: new Uint8Array(128),
};

function touch(pt: number): void {
  if (scratch.rtpmap[pt] === undefined && scratch.feedback[pt] === undefined) scratch.pts[scratch.count++] = pt;
}

function collectCodecs(media: MediaSection): OfferedCodec[] {
  // One scan for the three attributes. Errors come in the same order as parsing every rtpmap,
  // then every fmtp, then every rtcp-fb: rtpmaps are parsed during the scan (an rtpmap error
  // is reported before any fmtp is looked at), fmtp and rtcp-fb lines after it. Values are
  // read in place (offset past `name:`), no per-line attribute objects.
  const maps = scratch.rtpmap;
  let fmtpLines: SdpLine[] | undefined;
  let fbLines: SdpLine[] | undefined;
  for (const l of media.lines) {
    if (l.type !== 'a') continue;
    // Same matching as attributes(): the name alone (empty value, then malformed) or name ':'.
    const v = l.value;
    const c = v.charCodeAt(0);
    if (c === 114) {
      if (isAttribute(v, 'rtpmap')) {
        const r = rtpMapAt(v, 7, l.lineNo);
        touch(r.payloadType);
        maps[r.payloadType] = r; // a later line for the same PT wins, as before
      } else if (isAttribute(v, 'rtcp-fb')) (fbLines ??= []).push(l);
    } else if (c === 102 && isAttribute(v, 'fmtp')) (fmtpLines ??= []).push(l);
  }
  const fm: Fmtp[] = [];
  if (fmtpLines !== undefined) for (const l of fmtpLines) fm.push(fmtpAt(l.value, 5, l.lineNo));
  // Group feedback by payload type once: Chrome offers ~100 rtcp-fb lines for ~25 formats.
  let wildcard: string[] | undefined;
  const fbByPt = scratch.feedback;
  if (fbLines !== undefined) {
    for (const l of fbLines) {
      const x = parseRtcpFb({ name: 'rtcp-fb', value: l.value.slice(8), lineNo: l.lineNo });
      if (x.payloadType === '*') {
        (wildcard ??= []).push(x.feedback);
        continue;
      }
      const list = fbByPt[x.payloadType];
      if (list === undefined) {
        touch(x.payloadType);
        fbByPt[x.payloadType] = [x.feedback];
      }
      else list.push(x.feedback);
    }
  }
  const out: OfferedCodec[] = [];
  const seen = scratch.seen;
  seen.fill(0);
  for (const fmt of media.mLine.fmts) {
    const pt = smallDecimal(fmt);
    if (pt === undefined || pt > 127 || seen[pt] === 1) continue;
    seen[pt] = 1;
    const r = maps[pt];
    let name: string;
    let clockRate: number;
    let channels: number;
    if (r !== undefined) {
      name = r.encodingName;
      clockRate = r.clockRate;
      channels = r.channels ?? 1;
    } else {
      const st = STATIC[pt];
      if (st === undefined) continue;
      name = st[0];
      clockRate = st[1];
      channels = st[2];
    }
    const own = fbByPt[pt];
    const rtcpFb = wildcard === undefined ? (own ?? NO_FEEDBACK) : own === undefined ? wildcard : wildcard.concat(own);
    out.push({ payloadType: pt, name, clockRate, channels, fmtp: fmtpFor(fm, fmt), rtcpFb });
  }
  return out;
}

/** The last a=fmtp for `format` (a later line wins, as with a Map); a few lines: a linear scan. */
function fmtpFor(fm: readonly Fmtp[], format: string): Fmtp | undefined {
  for (let i = fm.length - 1; i >= 0; i--) {
    const f = fm[i] as Fmtp;
    if (f.format === format) return f;
  }
  return undefined;
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
export function isAuxiliary(name: string): boolean {
  return isAuxiliaryLower(name.toLowerCase());
}

/** isAuxiliary for a name already lowercased by the caller. */
export function isAuxiliaryLower(lowerName: string): boolean {
  // A switch, not a Set: the names come fresh from toLowerCase, and hashing each costs more
  // than these few length-first comparisons.
  switch (lowerName) {
    case 'telephone-event':
    case 'cn':
    case 'rtx':
    case 'red':
    case 'ulpfec':
    case 'flexfec':
    case 'flexfec-03':
      return true;
    default:
      return false;
  }
}

/**
 * Intersection of two RFC 4733 event lists ("0-15,66,70"); undefined when either is not a valid
 * list. Used to answer telephone-event with the events both sides support (RFC 4733 7.1.1).
 */
export function intersectEvents(a: string, b: string): string | undefined {
  // The usual case is one range each ("0-15" against "0-16"): their overlap, no bit sets.
  if (a.indexOf(',') === -1 && b.indexOf(',') === -1) {
    const ra = eventRange(a, 0, a.length);
    const rb = eventRange(b, 0, b.length);
    if (ra < 0 || rb < 0) return undefined;
    const lo = Math.max(ra & 255, rb & 255);
    const hi = Math.min(ra >>> 8, rb >>> 8);
    return lo > hi ? '' : lo === hi ? String(lo) : `${lo}-${hi}`;
  }
  // Two 256-bit sets in one scratch array (words 0-7: a, 8-15: b); the function never
  // re-enters and the words are cleared before use, so nothing leaks between calls.
  const bits = SCRATCH;
  bits.fill(0);
  if (!eventBits(a, bits, 0) || !eventBits(b, bits, 8)) return undefined;
  for (let w = 0; w < 8; w++) bits[w] = (bits[w] as number) & (bits[w + 8] as number);
  let out = '';
  for (let e = 0; e < 256; ) {
    if ((bits[e >>> 5] as number) === 0) {
      e = (e | 31) + 1; // skip a word with no common event
      continue;
    }
    if (!hasEvent(bits, e)) {
      e++;
      continue;
    }
    let last = e;
    while (last + 1 < 256 && hasEvent(bits, last + 1)) last++;
    const range = last === e ? String(e) : `${e}-${last}`;
    out = out.length === 0 ? range : `${out},${range}`;
    e = last + 1;
  }
  return out;
}

const SCRATCH = new Uint32Array(16);

function hasEvent(bits: Uint32Array, e: number): boolean {
  return ((bits[e >>> 5] as number) & (1 << (e & 31))) !== 0;
}

const EVENT_RANGE = /^\s*([0-9]{1,3})(?:-([0-9]{1,3}))?\s*$/;

/** Sets events 0..255 of an RFC 4733 list into bits[at..at+8); false when the list is invalid. */
function eventBits(list: string, bits: Uint32Array, at: number): boolean {
  let start = 0;
  for (;;) {
    let end = list.indexOf(',', start);
    if (end === -1) end = list.length;
    const range = eventRange(list, start, end);
    if (range < 0) return false;
    const hi = range >>> 8;
    for (let e = range & 255; e <= hi; e++) bits[at + (e >>> 5)] = (bits[at + (e >>> 5)] as number) | (1 << (e & 31));
    if (end === list.length) return true;
    start = end + 1;
  }
}

/** One `lo[-hi]` part, whitespace around it allowed; hi <= 255 and lo <= hi. Returns lo | hi << 8, or -1. */
function eventRange(list: string, start: number, end: number): number {
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
    if (m === null) return -1;
    lo = Number(m[1]);
    hi = m[2] === undefined ? lo : Number(m[2]);
  }
  return hi < lo || hi > 255 ? -1 : lo | (hi << 8);
}
