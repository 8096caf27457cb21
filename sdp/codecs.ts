import { fmtps, rtcpFbs, rtpMaps } from './attributes.ts';
import type { Fmtp } from './attributes.ts';
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
  const maps = new Map(rtpMaps(media).map((r) => [r.payloadType, r]));
  const fm = new Map(fmtps(media).map((f) => [f.format, f]));
  // Group feedback by payload type once: Chrome offers ~100 rtcp-fb lines for ~25 formats.
  const wildcard: string[] = [];
  const fbByPt = new Map<number, string[]>();
  for (const x of rtcpFbs(media)) {
    if (x.payloadType === '*') {
      wildcard.push(x.feedback);
      continue;
    }
    const list = fbByPt.get(x.payloadType);
    if (list === undefined) fbByPt.set(x.payloadType, [x.feedback]);
    else list.push(x.feedback);
  }
  const out: OfferedCodec[] = [];
  const seen = new Set<number>();
  for (const fmt of media.mLine.fmts) {
    if (!/^[0-9]{1,3}$/.test(fmt)) continue;
    const pt = Number(fmt);
    if (pt > 127 || seen.has(pt)) continue;
    seen.add(pt);
    const r = maps.get(pt);
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
    const own = fbByPt.get(pt);
    const rtcpFb = wildcard.length === 0 ? (own ?? []) : own === undefined ? wildcard : [...wildcard, ...own];
    out.push({ payloadType: pt, name, clockRate, channels, fmtp: fm.get(fmt), rtcpFb });
  }
  return out;
}

/** Formats that carry no media of their own (RFC 4733, RFC 3389, RFC 4588, RFC 2198, RFC 5109). */
const AUXILIARY = new Set(['telephone-event', 'cn', 'rtx', 'red', 'ulpfec', 'flexfec', 'flexfec-03']);

export function isAuxiliary(name: string): boolean {
  return AUXILIARY.has(name.toLowerCase());
}

/**
 * Intersection of two RFC 4733 event lists ("0-15,66,70"); undefined when either is not a valid
 * list. Used to answer telephone-event with the events both sides support (RFC 4733 7.1.1).
 */
export function intersectEvents(a: string, b: string): string | undefined {
  const ea = eventSet(a);
  const eb = eventSet(b);
  if (ea === undefined || eb === undefined) return undefined;
  const common = [...ea].filter((e) => eb.has(e)).sort((x, y) => x - y);
  const ranges: string[] = [];
  for (let i = 0; i < common.length; ) {
    let j = i;
    while (j + 1 < common.length && (common[j + 1] as number) === (common[j] as number) + 1) j++;
    ranges.push(i === j ? String(common[i]) : `${common[i]}-${common[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

function eventSet(list: string): Set<number> | undefined {
  const s = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^\s*([0-9]{1,3})(?:-([0-9]{1,3}))?\s*$/.exec(part);
    if (m === null) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 255) return undefined;
    for (let e = lo; e <= hi; e++) s.add(e);
  }
  return s;
}
