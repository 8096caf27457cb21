import { intersectEvents, isAuxiliaryLower } from './codecs.ts';
import type { OfferedCodec } from './codecs.ts';
import { packetizationMode, parseProfileLevelId, withLevel } from './h264.ts';
import type { H264Profile } from './h264.ts';
import type { LocalCodec, NegotiatedCodec } from './offer-answer-types.ts';

/**
 * Codec intersection for one m= section (RFC 3264 6.1): answer in the answerer's preference
 * order, reusing the offerer's payload type numbers; dynamic types are matched by encoding
 * name (case-insensitive), clock rate and channels, plus codec-specific fmtp rules.
 */

export interface CodecMatch {
  readonly codecs: NegotiatedCodec[];
  readonly notes: string[];
}

const DEFAULT_H264_PROFILES: readonly H264Profile[] = ['constrained-baseline', 'baseline'];
const DEFAULT_H264_MAX_LEVEL = 0x1f; // 3.1

function basicMatch(o: OfferedCodec, oname: string, l: LocalCodec, lname: string): boolean {
  return oname === lname && o.clockRate === l.clockRate && o.channels === (l.channels ?? 1);
}

/** compatibleFmtp's "no match" (undefined is a valid answer fmtp: none). */
const NO_MATCH = null;

/** Returns the answer fmtp, or NO_MATCH for H.264/VP9 parameter mismatches. */
function compatibleFmtp(o: OfferedCodec, name: string, l: LocalCodec): string | undefined | typeof NO_MATCH {
  if (name === 'h264') {
    const params = o.fmtp?.params ?? new Map<string, string>();
    const modes = l.h264?.packetizationModes ?? [0, 1];
    if (!modes.includes(packetizationMode(params))) return NO_MATCH;
    const plid = params.get('profile-level-id');
    const pl = parseProfileLevelId(plid);
    if (pl === undefined || !(l.h264?.profiles ?? DEFAULT_H264_PROFILES).includes(pl.profile)) return NO_MATCH;
    const maxLevel = l.h264?.maxLevel ?? DEFAULT_H264_MAX_LEVEL;
    const asym = params.get('level-asymmetry-allowed') === '1';
    let raw = o.fmtp?.raw;
    // RFC 6184 8.2.2: same profile; level may be lowered. With level-asymmetry-allowed the
    // answer states the level we can receive.
    if (raw !== undefined && plid !== undefined && (asym || pl.level > maxLevel)) {
      raw = raw.replace(/(profile-level-id[ \t]*=[ \t]*)([0-9A-Fa-f]{6})/i, (_m, k: string, v: string) => k + withLevel(v, asym ? maxLevel : Math.min(pl.level, maxLevel)));
    }
    return raw;
  }
  if (name === 'vp9') {
    // VP9 RTP payload (RFC 9628 6): profile-id defaults to 0 and must match.
    const want = l.fmtp === undefined ? '0' : (/profile-id=([0-9]+)/.exec(l.fmtp)?.[1] ?? '0');
    if ((o.fmtp?.params.get('profile-id') ?? '0') !== want) return NO_MATCH;
  }
  return l.fmtp ?? o.fmtp?.raw;
}

function negotiated(o: OfferedCodec, l: LocalCodec, fmtp: string | undefined): NegotiatedCodec {
  const fb = l.rtcpFb;
  return {
    payloadType: o.payloadType,
    name: o.name,
    clockRate: o.clockRate,
    channels: o.channels,
    fmtp,
    rtcpFb: fb === undefined || fb.length === 0 || o.rtcpFb.length === 0 ? [] : commonFeedback(o.rtcpFb, fb),
  };
}

/** Offered feedback types we support, in offer order; compared case-insensitively. */
function commonFeedback(offered: readonly string[], local: readonly string[]): string[] {
  const lower = local.map((y) => y.toLowerCase());
  const out: string[] = [];
  for (const x of offered) if (lower.includes(x.toLowerCase())) out.push(x);
  return out;
}

/**
 * Lower-cased names of a capability list, kept per list (capabilities are configuration, the
 * same array for every offer). Reused only while every codec still has the name it had.
 */
function localNames(local: readonly LocalCodec[]): readonly string[] {
  const hit = LOCAL_NAMES.get(local);
  if (hit !== undefined && sameNames(hit.source, local)) return hit.lower;
  const source = local.map((l) => l.name);
  const lower = source.map((n) => n.toLowerCase());
  LOCAL_NAMES.set(local, { source, lower });
  return lower;
}

function sameNames(source: readonly string[], local: readonly LocalCodec[]): boolean {
  if (source.length !== local.length) return false;
  for (let i = 0; i < source.length; i++) if (source[i] !== local[i]?.name) return false;
  return true;
}

const LOCAL_NAMES = new WeakMap<readonly LocalCodec[], { readonly source: readonly string[]; readonly lower: readonly string[] }>();

export function matchCodecs(offered: readonly OfferedCodec[], local: readonly LocalCodec[], singleCodec: boolean): CodecMatch {
  const notes: string[] = [];
  // Payload types already answered: a short list (a Set or a sparse PT-indexed array costs more
  // memory than the handful of PTs an m= line carries).
  const used: number[] = [];
  let primaries: NegotiatedCodec[] = [];
  // Encoding names compare case-insensitively (RFC 8866 6.6): fold each name once, not per pair.
  const onames: string[] = [];
  for (const o of offered) onames.push(o.name.toLowerCase());
  const lnames = localNames(local);
  for (let li = 0; li < local.length; li++) {
    const l = local[li] as LocalCodec;
    const lname = lnames[li] as string;
    if (isAuxiliaryLower(lname)) continue;
    for (let oi = 0; oi < offered.length; oi++) {
      const o = offered[oi] as OfferedCodec;
      const oname = onames[oi] as string;
      // An auxiliary offered format never matches here: names must be equal and lname is not one.
      if (used.includes(o.payloadType) || !basicMatch(o, oname, l, lname)) continue;
      const fmtp = compatibleFmtp(o, oname, l);
      if (fmtp === NO_MATCH) {
        notes.push(`${o.name}/${o.clockRate} pt ${o.payloadType}: fmtp parameters not supported`);
        continue;
      }
      used.push(o.payloadType);
      primaries.push(negotiated(o, l, fmtp));
    }
  }
  if (primaries.length === 0) return { codecs: [], notes };
  if (singleCodec) primaries = primaries.slice(0, 1);
  const first = primaries[0] as NegotiatedCodec;
  const aux: NegotiatedCodec[] = [];
  for (let li = 0; li < local.length; li++) {
    const l = local[li] as LocalCodec;
    const lname = lnames[li] as string;
    if (!isAuxiliaryLower(lname)) continue;
    for (let oi = 0; oi < offered.length; oi++) {
      const o = offered[oi] as OfferedCodec;
      if (used.includes(o.payloadType) || onames[oi] !== lname) continue;
      if (lname === 'rtx') {
        // RFC 4588 8.6: rtx is usable only for an accepted original format, same clock.
        const apt = Number(o.fmtp?.params.get('apt') ?? Number.NaN);
        const orig = primaries.find((p) => p.payloadType === apt);
        if (orig === undefined || orig.clockRate !== o.clockRate) continue;
        used.push(o.payloadType);
        aux.push(negotiated(o, l, o.fmtp?.raw));
        continue;
      }
      if (lname === 'telephone-event' || lname === 'cn' || (lname === 'red' && first.clockRate !== 90000)) {
        // RFC 4733 2.1 / RFC 3389 / RFC 2198: same RTP clock as the media codec they accompany.
        if (o.clockRate !== first.clockRate) continue;
      } else if (o.clockRate !== l.clockRate) {
        continue;
      }
      let fmtp = l.fmtp ?? o.fmtp?.raw;
      if (lname === 'telephone-event' && l.fmtp !== undefined) {
        // RFC 4733 7.1.1: no fmtp means events 0-15.
        fmtp = intersectEvents(o.fmtp?.raw ?? '0-15', l.fmtp);
        if (fmtp === undefined || fmtp.length === 0) {
          notes.push(`telephone-event pt ${o.payloadType}: no common events`);
          continue;
        }
      }
      if (lname === 'red' && first.clockRate !== 90000 && o.fmtp !== undefined) {
        // RFC 2198 5: redundancy of PTs that must all be accepted.
        const pts = o.fmtp.raw.split('/').map(Number);
        if (pts.some((p) => !primaries.some((x) => x.payloadType === p))) continue;
        fmtp = o.fmtp.raw;
      }
      used.push(o.payloadType);
      aux.push(negotiated(o, l, fmtp));
    }
  }
  for (let oi = 0; oi < offered.length; oi++) {
    const o = offered[oi] as OfferedCodec;
    if (!used.includes(o.payloadType) && onames[oi] === 'telephone-event') notes.push(`telephone-event/${o.clockRate} pt ${o.payloadType} not kept (clock differs from ${first.name}/${first.clockRate} or not supported)`);
  }
  return { codecs: aux.length === 0 ? primaries : primaries.concat(aux), notes };
}
