/**
 * Negotiation of a whole offer under one profile: one decision per m-line, dual m-line pairing,
 * the overall verdict (RFC 3264 s6: the answer may decline some streams with port 0; it is 488
 * only when nothing is acceptable), the downgrade events and the metric labels.
 *
 * Pure: the caller logs the downgrade events to the audit log and increments
 * `gatehouse_srtp_negotiations_total` (src/metrics/policy.ts) with `metrics`.
 */
import { csprngBytes } from './csprng.ts';
import { PolicyRejectError, type PolicyRejectCode } from './errors.ts';
import { decideMedia, type MediaDecision, type MediaKeying } from './media-decision.ts';
import type { MediaOffer } from './media-offer.ts';
import type { PeerContext } from './peer-overrides.ts';
import type { Profile } from './profile-schema.ts';
import { chooseDtlsSrtpProfile } from './dtls-select.ts';
import type { Rng } from './sdes-select.ts';
import type { SrtpSuite, SuiteName } from './suites.ts';

export interface ProfileChoice {
  readonly profile: string;
  readonly source: 'explicit' | 'override' | 'default';
  readonly rule: { readonly index: number; readonly name: string | null; readonly matched: readonly string[] } | null;
  readonly reason: string;
}

/** Structured audit event for a negotiation below the profile's first choice. */
export interface SrtpDowngradeEvent {
  readonly type: 'srtp-downgrade';
  readonly profile: string;
  readonly keying: 'sdes' | 'dtls';
  readonly chosen: SuiteName;
  readonly preferred: SuiteName;
  readonly mediaIndex: number;
  readonly kind: string;
  readonly peer: PeerContext;
  /** Why the preferred suite was not used (never a key). */
  readonly reason: string;
}

/** Labels for gatehouse_srtp_negotiations_total{profile,suite,keying,downgraded}. */
export interface NegotiationMetricLabels {
  readonly profile: string;
  readonly suite: SuiteName | 'none';
  readonly keying: MediaKeying;
  readonly downgraded: 'true' | 'false';
}

export interface Negotiation {
  readonly verdict: 'accept' | 'reject';
  readonly sipStatus: number | null;
  readonly profile: string;
  readonly profileChoice: ProfileChoice;
  readonly peer: PeerContext;
  readonly allowed: {
    readonly suites: readonly SuiteName[];
    readonly dtlsProfiles: readonly SuiteName[];
    readonly keying: { readonly sdes: boolean; readonly dtls: boolean };
    readonly allowMki: boolean;
    readonly allowPlaintext: boolean;
    readonly allowBestEffortSrtp: boolean;
  };
  readonly media: readonly MediaDecision[];
  readonly downgrades: readonly SrtpDowngradeEvent[];
  /** One entry per accepted m-line whose suite is final (SDES, plaintext); DTLS: see dtlsNegotiated. */
  readonly metrics: readonly NegotiationMetricLabels[];
  readonly rejection: PolicyRejectError | null;
}

export interface NegotiateInput {
  readonly profile: Profile;
  readonly media: readonly MediaOffer[];
  readonly peer?: PeerContext;
  readonly profileChoice?: ProfileChoice;
  /** Key generator; defaults to node:crypto's CSPRNG (pooled, crypto-policy/csprng.ts). Tests inject a fixed one. */
  readonly rng?: Rng;
}

export const cryptoRng: Rng = csprngBytes;

/**
 * Dual m-line offers (one RTP/SAVP and one RTP/AVP m-line for the same stream, as Poly, pjsip and
 * FreeSWITCH send; paired by sdp/ findDualPairs): when the encrypted half is accepted, the
 * plaintext half is declined even under allowPlaintext, so the stream is never sent twice and
 * never in the clear. When the encrypted half fails, the plaintext half follows allowPlaintext.
 */
function pairDualMlines(offers: readonly MediaOffer[], decisions: MediaDecision[]): void {
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i] as MediaDecision;
    const partnerIndex = offers[i]?.dualOf;
    if (d.transport !== 'rtp' || d.keying !== 'none' || partnerIndex === undefined) continue;
    const other = decisions.find((x) => x.index === partnerIndex);
    if (!other || (other.transport !== 'srtp' && other.transport !== 'dtls-srtp')) continue;
    if (other.verdict === 'accept') {
      decisions[i] = { ...d, verdict: 'reject', reasons: [`plaintext half of a dual m-line offer: encrypted m-line ${other.index} was accepted`, ...d.reasons] };
    } else {
      decisions[i] = { ...d, reasons: [...d.reasons, `plaintext half of a dual m-line offer with m-line ${other.index}, which was rejected`] };
    }
  }
}

/** `offered.toUpperCase() === upper` for an upper-case ASCII `upper`, without a new string for ASCII input. */
function equalsUpper(offered: string, upper: string): boolean {
  if (offered.length === upper.length) {
    let i = 0;
    for (; i < offered.length; i++) {
      let c = offered.charCodeAt(i);
      if (c >= 128) break;
      if (c >= 97 && c <= 122) c -= 32;
      if (c !== upper.charCodeAt(i)) return false;
    }
    if (i === offered.length) return true;
  } else if (!NON_ASCII.test(offered)) {
    return false; // ASCII upper-casing keeps the length
  }
  return offered.toUpperCase() === upper; // non-ASCII letters may upper-case to ASCII (e.g. U+0131)
}

const NON_ASCII = /[\u0080-\uffff]/;

function downgradeFor(profile: Profile, d: MediaDecision, peer: PeerContext): SrtpDowngradeEvent | null {
  if (d.verdict !== 'accept' || d.keying !== 'sdes' || d.suite === null) return null;
  const preferred = profile.suites[0];
  if (preferred === undefined || d.suite === preferred) return null;
  const lines = d.offered.crypto.filter((l) => equalsUpper(l.offered, preferred));
  const reason = lines.length === 0 ? `peer did not offer ${preferred}` : `${preferred} offered but rejected: ${lines.map((l) => l.reason).join('; ')}`;
  return { type: 'srtp-downgrade', profile: profile.name, keying: 'sdes', chosen: d.suite, preferred, mediaIndex: d.index, kind: d.kind, peer, reason };
}

function rejection(profile: Profile, media: readonly MediaDecision[]): PolicyRejectError {
  if (media.length === 0) return new PolicyRejectError('POLICY_NO_MEDIA', profile.name, 'offer has no m-lines', []);
  const live = media.filter((d) => d.port !== 0);
  const considered = live.length > 0 ? live : media;
  const summaries = [...new Set(considered.map((d) => d.reasons[0] ?? 'rejected'))];
  const allPlain = live.length > 0 && live.every((d) => d.transport === 'rtp' || d.transport === 'other');
  const code: PolicyRejectCode = allPlain ? 'POLICY_PLAINTEXT_REFUSED' : 'POLICY_NO_ACCEPTABLE_SUITE';
  return new PolicyRejectError(code, profile.name, summaries.join('; '), considered.flatMap((d) => d.reasons.slice(0, 1)));
}

/** Negotiate every m-line of an offer; never throws for peer input (see `rejection`). */
export function negotiate(input: NegotiateInput): Negotiation {
  const { profile } = input;
  const peer = input.peer ?? {};
  const rng = input.rng ?? cryptoRng;
  const choice: ProfileChoice = input.profileChoice ?? { profile: profile.name, source: 'explicit', rule: null, reason: `profile ${profile.name} given by the caller` };
  const decisions: MediaDecision[] = [];
  for (const m of input.media) decisions.push(decideMedia(profile, m, rng));
  pairDualMlines(input.media, decisions);
  const accepted: MediaDecision[] = [];
  const downgrades: SrtpDowngradeEvent[] = [];
  for (const d of decisions) {
    if (d.verdict === 'accept') accepted.push(d);
    const e = downgradeFor(profile, d, peer);
    if (e !== null) downgrades.push(e);
  }
  const metrics: NegotiationMetricLabels[] = [];
  for (const d of accepted) {
    if (d.keying === 'dtls') continue;
    let downgraded: 'true' | 'false' = 'false';
    for (const e of downgrades) if (e.mediaIndex === d.index) downgraded = 'true';
    metrics.push({ profile: profile.name, suite: d.suite ?? 'none', keying: d.keying, downgraded });
  }
  const ok = accepted.length > 0;
  return {
    verdict: ok ? 'accept' : 'reject',
    sipStatus: ok ? null : 488,
    profile: profile.name,
    profileChoice: choice,
    peer,
    allowed: {
      suites: profile.suites,
      dtlsProfiles: profile.dtlsProfiles,
      keying: profile.keying,
      allowMki: profile.allowMki,
      allowPlaintext: profile.allowPlaintext,
      allowBestEffortSrtp: profile.allowBestEffortSrtp,
    },
    media: decisions,
    downgrades,
    metrics,
    rejection: ok ? null : rejection(profile, decisions),
  };
}

/** For callers that want an exception: returns the negotiation or throws its PolicyRejectError. */
export function negotiateOrThrow(input: NegotiateInput): Negotiation {
  const n = negotiate(input);
  if (n.rejection) throw n.rejection;
  return n;
}

export interface DtlsNegotiated {
  readonly suite: SrtpSuite | null;
  readonly reasons: readonly string[];
  readonly downgrade: SrtpDowngradeEvent | null;
  readonly metric: NegotiationMetricLabels | null;
}

/**
 * After a DTLS handshake as server (we pick from the client's use_srtp list) — the DTLS adapter
 * calls this with the client's list and gets the suite, the downgrade event and metric labels.
 */
export function dtlsNegotiated(profile: Profile, clientIds: readonly number[], peer: PeerContext, media: { readonly index: number; readonly kind: string }): DtlsNegotiated {
  const c = chooseDtlsSrtpProfile(profile, clientIds);
  if (!c.suite) return { suite: null, reasons: c.reasons, downgrade: null, metric: null };
  const preferred = profile.dtlsProfiles[0];
  const down = preferred !== undefined && preferred !== c.suite.name;
  const downgrade: SrtpDowngradeEvent | null = down
    ? { type: 'srtp-downgrade', profile: profile.name, keying: 'dtls', chosen: c.suite.name, preferred, mediaIndex: media.index, kind: media.kind, peer, reason: `client use_srtp did not list ${preferred}` }
    : null;
  return { suite: c.suite, reasons: c.reasons, downgrade, metric: { profile: profile.name, suite: c.suite.name, keying: 'dtls', downgraded: down ? 'true' : 'false' } };
}
