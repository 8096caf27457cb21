/**
 * SDES (RFC 4568) selection for one m-line: check every offered `a=crypto` line against the
 * profile, pick by the profile's order (not the offer's), echo the chosen tag and suite name
 * (RFC 4568 s7.1.2/s7.2), and make a fresh key||salt for our direction.
 *
 * Every line gets a verdict with a reason; nothing offered is accepted and silently ignored:
 * - lifetime (s6.1) above the suite maximum, or 0, rejects the line; otherwise it is recorded
 *   for the SRTP core (which must retire the key at that count, RFC 3711 s9.2) and mirrored for
 *   our key;
 * - MKI (s6.1) only when the profile allows it; several keys need MKIs of one length;
 * - UNENCRYPTED_SRTP/UNENCRYPTED_SRTCP/UNAUTHENTICATED_SRTP (s6.3.2-6.3.4) only with
 *   allowPlaintext;
 * - KDR (s6.3.1), WSH (s6.3.6) and FEC_ORDER (s6.3.4) are recorded; FEC_KEY (s6.3.5) is refused
 *   (no separately keyed FEC here); unknown parameters reject the line unless prefixed with "-"
 *   (s6.3.7: "MUST be considered invalid").
 * Only the first MAX_CRYPTO_LINES lines are considered: an offer listing more gains nothing and
 * costs the parser and us; the rest are reported as not considered.
 */
import type { CryptoAttribute, CryptoKeyParam, CryptoSessionParam } from '../sdp/crypto-attribute.ts';
import { GatehouseError } from '../src/core/errors.ts';
import type { Profile } from './profile-schema.ts';
import { lookupSuite, masterKeySaltLength, printableName, type SrtpSuite } from './suites.ts';

/** Lines looked at per m-line; real devices offer at most ~11 (rtpengine's full list). */
export const MAX_CRYPTO_LINES = 16;
/** Master keys per line (MKI-indexed, RFC 4568 s6.1). */
export const MAX_KEY_PARAMS = 8;
/** MKI bytes we accept (RFC 4568 allows 1..128; every MKI byte is added to each packet). */
export const MAX_MKI_LENGTH = 16;

export type Rng = (length: number) => Uint8Array;

export type LineStatus = 'chosen' | 'acceptable-lost' | 'rejected' | 'not-considered';

export interface CryptoLineVerdict {
  readonly tag: number | null;
  /** Suite as offered, made printable. */
  readonly offered: string;
  readonly status: LineStatus;
  readonly reason: string;
  readonly notes: readonly string[];
}

export interface RemoteSdesParams {
  /** The peer's master key(s) for its sending direction. */
  readonly keys: readonly CryptoKeyParam[];
  readonly kdr: number | null;
  readonly wsh: number | null;
  readonly fecOrder: 'FEC_SRTP' | 'SRTP_FEC' | null;
  readonly unencryptedSrtp: boolean;
  readonly unencryptedSrtcp: boolean;
  readonly unauthenticatedSrtp: boolean;
}

export interface SdesSelection {
  readonly keying: 'sdes';
  readonly suite: SrtpSuite;
  readonly tag: number;
  readonly remote: RemoteSdesParams;
  /** Our key for our sending direction, fresh from the CSPRNG. */
  readonly local: { readonly keySalt: Uint8Array; readonly lifetime: bigint | null; readonly mki: { readonly value: bigint; readonly length: number } | null };
  /** The `a=crypto` line to put in the answer. */
  readonly answer: CryptoAttribute;
}

export interface SdesOutcome {
  readonly selection: SdesSelection | null;
  readonly lines: readonly CryptoLineVerdict[];
}

function lifetimeText(n: bigint): string {
  for (let e = 0n; e < 200n; e++) if (2n ** e === n) return `2^${e}`;
  return n.toString();
}

interface Acceptable {
  readonly attr: CryptoAttribute;
  readonly suite: SrtpSuite;
  readonly rank: number;
  readonly order: number;
  readonly notes: string[];
}

interface LineRejection {
  readonly reason: string;
  readonly notes: string[];
}

function isRejection(r: Acceptable | LineRejection): r is LineRejection {
  return 'reason' in r;
}

function checkKeys(attr: CryptoAttribute, suite: SrtpSuite, profile: Profile): string | null {
  const keys = attr.keyParams;
  if (keys.length === 0) return 'no key-params (RFC 4568 s9.1 requires one)';
  if (keys.length > MAX_KEY_PARAMS) return `${keys.length} master keys offered, at most ${MAX_KEY_PARAMS} are accepted`;
  const want = masterKeySaltLength(suite);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as CryptoKeyParam;
    if (k.keySalt.length !== want) return `key||salt is ${k.keySalt.length} bytes${whichKey(keys.length, i)}, ${suite.name} needs ${want} (${suite.keyLength}+${suite.saltLength}, RFC 4568 s6.1)`;
    if (k.lifetime !== undefined) {
      if (k.lifetime <= 0n) return `lifetime ${k.lifetime}${whichKey(keys.length, i)} is not a usable key lifetime`;
      if (k.lifetime > suite.maxLifetimeSrtp) return `lifetime ${lifetimeText(k.lifetime)}${whichKey(keys.length, i)} exceeds the ${suite.name} maximum of ${lifetimeText(suite.maxLifetimeSrtp)} packets (${suite.rfc})`;
    }
    if (k.mki !== undefined) {
      if (!profile.allowMki) return `MKI offered but profile ${profile.name} does not allow MKI (allowMki: false)`;
      if (k.mki.length < 1 || k.mki.length > MAX_MKI_LENGTH) return `MKI length ${k.mki.length} outside 1..${MAX_MKI_LENGTH}`;
      if (k.mki.value < 0n || k.mki.value >= 2n ** BigInt(8 * k.mki.length)) return `MKI value does not fit its length ${k.mki.length}`;
    }
  }
  if (keys.length > 1) {
    const first = keys[0]?.mki;
    if (keys.some((k) => k.mki === undefined)) return 'several master keys but not every key has an MKI (RFC 4568 s6.1)';
    if (keys.some((k) => k.mki?.length !== first?.length)) return 'master keys use different MKI lengths';
    const values = new Set(keys.map((k) => k.mki?.value));
    if (values.size !== keys.length) return 'two master keys share one MKI value';
  }
  return null;
}

/** Names the key in a reason when a line has several. */
function whichKey(count: number, i: number): string {
  return count > 1 ? ` (key ${i + 1})` : '';
}

function plaintextRefused(profile: Profile, what: string, section: string): string {
  return `${what} (RFC 4568 ${section}) refused by profile ${profile.name} (allowPlaintext: false)`;
}

/** Checks the session parameters of a line, adding notes; returns why the line is refused, or null. */
function checkSessionParams(params: readonly CryptoSessionParam[], profile: Profile, notes: string[]): string | null {
  for (const p of params) {
    switch (p.kind) {
      case 'UNENCRYPTED_SRTP':
        if (!profile.allowPlaintext) return plaintextRefused(profile, 'UNENCRYPTED_SRTP', 's6.3.2');
        notes.push('UNENCRYPTED_SRTP accepted: RTP payloads are not encrypted');
        break;
      case 'UNENCRYPTED_SRTCP':
        if (!profile.allowPlaintext) return plaintextRefused(profile, 'UNENCRYPTED_SRTCP', 's6.3.2');
        notes.push('UNENCRYPTED_SRTCP accepted: RTCP is not encrypted');
        break;
      case 'UNAUTHENTICATED_SRTP':
        if (!profile.allowPlaintext) return plaintextRefused(profile, 'UNAUTHENTICATED_SRTP', 's6.3.3');
        notes.push('UNAUTHENTICATED_SRTP accepted: RTP is not authenticated');
        break;
      case 'KDR':
        if (p.value !== 0) notes.push(`KDR=${p.value}: peer re-derives session keys every 2^${p.value} packets (RFC 3711 s4.3.1)`);
        break;
      case 'WSH':
        notes.push(`WSH=${p.value} recorded as replay window hint`);
        break;
      case 'FEC_ORDER':
        notes.push(`FEC_ORDER=${p.value} recorded (no FEC is negotiated by the gateway)`);
        break;
      case 'FEC_KEY':
        return 'FEC_KEY (RFC 4568 s6.3.5) is not supported: no separately keyed FEC stream';
      case 'unknown': {
        const name = printableName(p.text.split('=')[0] ?? p.text);
        if (p.text.startsWith('-')) {
          notes.push(`optional session parameter ${name} ignored (RFC 4568 s6.3.7)`);
          break;
        }
        return `unknown mandatory session parameter ${name} (RFC 4568 s6.3.7)`;
      }
      default: {
        const never: never = p;
        return `unhandled session parameter ${JSON.stringify(never)}`;
      }
    }
  }
  return null;
}

/**
 * What the peer asked for in an accepted line (checkSessionParams has refused every other
 * case); the last value wins when a parameter repeats. Built for the chosen line only.
 */
function remoteParams(attr: CryptoAttribute): RemoteSdesParams {
  let kdr: number | null = null;
  let wsh: number | null = null;
  let fecOrder: RemoteSdesParams['fecOrder'] = null;
  let unencryptedSrtp = false;
  let unencryptedSrtcp = false;
  let unauthenticatedSrtp = false;
  for (const p of attr.sessionParams) {
    if (p.kind === 'UNENCRYPTED_SRTP') unencryptedSrtp = true;
    else if (p.kind === 'UNENCRYPTED_SRTCP') unencryptedSrtcp = true;
    else if (p.kind === 'UNAUTHENTICATED_SRTP') unauthenticatedSrtp = true;
    else if (p.kind === 'KDR') kdr = p.value;
    else if (p.kind === 'WSH') wsh = p.value;
    else if (p.kind === 'FEC_ORDER') fecOrder = p.value;
  }
  return { keys: attr.keyParams, kdr, wsh, fecOrder, unencryptedSrtp, unencryptedSrtcp, unauthenticatedSrtp };
}

/**
 * `profile.suites.join(', ')`, kept per suites list: every refused line of every offer names
 * it. The cache entry is reused only while the list holds the same names.
 */
function allowedList(profile: Profile): string {
  const suites = profile.suites;
  const hit = ALLOWED_TEXT.get(suites);
  if (hit !== undefined && sameNames(hit.names, suites)) return hit.text;
  const text = suites.join(', ');
  ALLOWED_TEXT.set(suites, { names: [...suites], text });
  return text;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const ALLOWED_TEXT = new WeakMap<readonly string[], { readonly names: readonly string[]; readonly text: string }>();

function checkLine(attr: CryptoAttribute, order: number, profile: Profile): Acceptable | LineRejection {
  const notes: string[] = [];
  const found = lookupSuite(attr.suite);
  if (!found.ok) return { reason: found.reason, notes };
  const suite = found.suite;
  if (found.via === 'alias') notes.push(`${printableName(attr.suite)} is another name for ${suite.name}`);
  if (found.via === 'case-insensitive') notes.push(`${printableName(attr.suite)} matched ${suite.name} ignoring case`);
  const rank = profile.suites.indexOf(suite.name);
  if (rank < 0) return { reason: `${suite.name} is not allowed by profile ${profile.name} (allows ${allowedList(profile)})`, notes };
  const keyProblem = checkKeys(attr, suite, profile);
  if (keyProblem !== null) return { reason: keyProblem, notes };
  const spProblem = checkSessionParams(attr.sessionParams, profile, notes);
  if (spProblem !== null) return { reason: spProblem, notes };
  return { attr, suite, rank, order, notes };
}

function makeAnswer(best: Acceptable, rng: Rng): SdesSelection {
  const len = masterKeySaltLength(best.suite);
  const keySalt = rng(len);
  if (!(keySalt instanceof Uint8Array) || keySalt.length !== len) {
    throw new GatehouseError('internal', 'POLICY_RNG_LENGTH', `key generator returned ${keySalt.length} bytes, wanted ${len}`);
  }
  const keys = best.attr.keyParams;
  // Mirror the tightest lifetime and the MKI length the peer chose, so a peer that frames with
  // an MKI (or rekeys early) sees the same from us; both are ours to pick (RFC 4568 s6.1).
  let lifetime: bigint | null = null;
  for (const k of keys) if (k.lifetime !== undefined && (lifetime === null || k.lifetime < lifetime)) lifetime = k.lifetime;
  const mkiLength = keys[0]?.mki?.length;
  const mki = mkiLength === undefined ? null : { value: 1n, length: mkiLength };
  const keyParam: { method: 'inline'; keySalt: Uint8Array; lifetime?: bigint; mki?: { value: bigint; length: number } } = { method: 'inline', keySalt };
  if (lifetime !== null) keyParam.lifetime = lifetime;
  if (mki !== null) keyParam.mki = mki;
  const echoed: CryptoSessionParam[] = [];
  for (const p of best.attr.sessionParams) if (p.kind === 'UNENCRYPTED_SRTP' || p.kind === 'UNENCRYPTED_SRTCP' || p.kind === 'UNAUTHENTICATED_SRTP' || p.kind === 'FEC_ORDER') echoed.push(p);
  return {
    keying: 'sdes',
    suite: best.suite,
    tag: best.attr.tag,
    remote: remoteParams(best.attr),
    local: { keySalt, lifetime, mki },
    // The answer repeats the accepted line's tag and crypto-suite as offered (RFC 4568 s7.1.2).
    answer: { tag: best.attr.tag, suite: best.attr.suite, keyParams: [keyParam], sessionParams: echoed },
  };
}

/** Same tag as an earlier line (tags compare like Set members: SameValueZero). */
function tagSeenBefore(offered: readonly CryptoAttribute[], order: number): boolean {
  const tag = (offered[order] as CryptoAttribute).tag;
  for (let j = 0; j < order; j++) {
    const t = (offered[j] as CryptoAttribute).tag;
    if (t === tag || (t !== t && tag !== tag)) return true;
  }
  return false;
}

/** Select from the offered `a=crypto` lines of one m-line. */
export function selectSdes(profile: Profile, offered: readonly CryptoAttribute[], rng: Rng): SdesOutcome {
  const considered = Math.min(offered.length, MAX_CRYPTO_LINES);
  // One verdict per considered line, in offer order; acceptable lines get theirs once the best
  // (policy order first, then offer order) is known.
  const lines: (CryptoLineVerdict | undefined)[] = [];
  const acceptable: Acceptable[] = [];
  let best: Acceptable | undefined;
  for (let order = 0; order < considered; order++) {
    const attr = offered[order] as CryptoAttribute;
    if (tagSeenBefore(offered, order)) {
      lines.push({ tag: attr.tag, offered: printableName(attr.suite), status: 'rejected', reason: `duplicate tag ${attr.tag} (RFC 4568 s9.1: tags are unique per m-line)`, notes: [] });
      continue;
    }
    const r = checkLine(attr, order, profile);
    if (isRejection(r)) {
      lines.push({ tag: attr.tag, offered: printableName(attr.suite), status: 'rejected', reason: r.reason, notes: r.notes });
      continue;
    }
    lines.push(undefined);
    acceptable.push(r);
    if (best === undefined || r.rank < best.rank) best = r;
  }
  if (best !== undefined) {
    for (const a of acceptable) {
      let status: LineStatus = 'acceptable-lost';
      let reason: string;
      if (a === best) {
        status = 'chosen';
        reason = a.rank === 0 ? `first choice of profile ${profile.name}` : `best acceptable in profile ${profile.name}'s order (position ${a.rank + 1} of ${profile.suites.length})`;
      } else if (a.suite === best.suite) {
        reason = `same suite as tag ${best.attr.tag}, which was offered earlier`;
      } else {
        reason = `acceptable, but ${best.suite.name} (tag ${best.attr.tag}) comes first in profile ${profile.name}`;
      }
      lines[a.order] = { tag: a.attr.tag, offered: printableName(a.attr.suite), notes: a.notes, status, reason };
    }
  }
  for (let i = 0; i < lines.length; i++) if (lines[i] === undefined) throw new Error(`crypto line ${i} has no verdict`); // every branch above sets one
  const verdicts = lines as CryptoLineVerdict[];
  for (let i = considered; i < offered.length; i++) {
    const attr = offered[i] as CryptoAttribute;
    verdicts.push({ tag: attr.tag, offered: printableName(attr.suite), status: 'not-considered', reason: `beyond the first ${MAX_CRYPTO_LINES} a=crypto lines of this m-line`, notes: [] });
  }
  return { selection: best ? makeAnswer(best, rng) : null, lines: verdicts };
}
