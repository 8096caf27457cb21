/**
 * The decision for one offered m-line under one profile: which keying, which suite, and the
 * reasons, including why every other option lost. Pure; `negotiate.ts` combines the m-lines.
 *
 * Transport classes (RFC 8866 s5.14 proto):
 * - UDP/TLS/RTP/SAVP(F), TCP/TLS/...: DTLS-SRTP (RFC 5764 s8); a=crypto there is ignored.
 * - RTP/SAVP(F): SDES (RFC 4568) or, with a=fingerprint, DTLS-SRTP as older WebRTC stacks sent.
 *   With both, DTLS-SRTP is preferred (keys never cross signalling) and SDES is the fallback.
 * - RTP/AVP(F) with a=crypto: "best-effort SRTP" (draft-ietf-mmusic-best-effort-srtp); only with
 *   allowBestEffortSrtp, else plaintext rules apply.
 * - RTP/AVP(F) without a=crypto: plaintext; only with allowPlaintext.
 * - DTLS/SCTP, UDP/DTLS/SCTP, UDP/TLS/UDPTL: DTLS-protected, not SRTP (suite null).
 * - anything else (udptl, TCP/BFCP, ...): unencrypted non-RTP; only with allowPlaintext.
 */
import type { MediaOffer } from './media-offer.ts';
import type { Profile } from './profile-schema.ts';
import { selectDtls, type DtlsSelection } from './dtls-select.ts';
import { selectSdes, type CryptoLineVerdict, type Rng, type SdesSelection } from './sdes-select.ts';
import type { SuiteName } from './suites.ts';

export type MediaKeying = 'sdes' | 'dtls' | 'none';
export type TransportClass = 'dtls-srtp' | 'srtp' | 'rtp' | 'dtls-other' | 'other';

export interface MediaDecision {
  readonly index: number;
  readonly kind: string;
  readonly proto: string;
  readonly port: number;
  readonly transport: TransportClass;
  readonly verdict: 'accept' | 'reject';
  readonly keying: MediaKeying;
  /** Final SRTP suite; null for DTLS-SRTP (decided in the handshake), plaintext and rejects. */
  readonly suite: SuiteName | null;
  /** reasons[0] is the one-line summary; the rest explain the details. */
  readonly reasons: readonly string[];
  readonly offered: {
    readonly crypto: readonly CryptoLineVerdict[];
    readonly fingerprintHashes: readonly string[];
    readonly setup: string | null;
  };
  readonly sdes: SdesSelection | null;
  readonly dtls: DtlsSelection | null;
}

export function classifyTransport(proto: string): TransportClass {
  // The spellings real offers use, without folding case or running the patterns below.
  switch (proto) {
    case 'RTP/AVP':
    case 'RTP/AVPF':
      return 'rtp';
    case 'RTP/SAVP':
    case 'RTP/SAVPF':
      return 'srtp';
    case 'UDP/TLS/RTP/SAVP':
    case 'UDP/TLS/RTP/SAVPF':
    case 'TCP/TLS/RTP/SAVP':
    case 'TCP/TLS/RTP/SAVPF':
      return 'dtls-srtp';
    default:
      break;
  }
  const p = proto.toUpperCase();
  if (/^(UDP|TCP)\/TLS\/RTP\/SAVPF?$/.test(p)) return 'dtls-srtp';
  if (/^RTP\/SAVPF?$/.test(p)) return 'srtp';
  if (/^RTP\/AVPF?$/.test(p)) return 'rtp';
  if (/^((UDP|TCP)\/)?DTLS\/SCTP$/.test(p) || p === 'UDP/TLS/UDPTL') return 'dtls-other';
  return 'other';
}

function cryptoLineText(v: CryptoLineVerdict): string {
  const head = `a=crypto:${v.tag ?? '?'} ${v.offered}: ${v.status}: ${v.reason}`;
  return v.notes.length > 0 ? `${head} [${v.notes.join('; ')}]` : head;
}

/** One MediaDecision object, built in one literal (keys in the order callers have always seen). */
function decision(
  m: MediaOffer,
  transport: TransportClass,
  fingerprintHashes: readonly string[],
  verdict: 'accept' | 'reject',
  keying: MediaKeying,
  suite: SuiteName | null,
  reasons: readonly string[],
  crypto: readonly CryptoLineVerdict[],
  sdes: SdesSelection | null,
  dtls: DtlsSelection | null,
): MediaDecision {
  return {
    index: m.index,
    kind: m.kind,
    proto: m.proto,
    port: m.port,
    transport,
    offered: { crypto, fingerprintHashes, setup: m.setup },
    verdict,
    keying,
    suite,
    reasons,
    sdes,
    dtls,
  };
}

function notAllowed(profile: Profile, what: string, flag: string): string {
  return `${what} not allowed by profile ${profile.name} (${flag}: false)`;
}

/** An SDES attempt that found no acceptable line: the reasons and the per-line verdicts. */
interface SdesFailure {
  readonly why: string[];
  readonly lines: readonly CryptoLineVerdict[];
}

/**
 * SDES selection for one m-line: the accepted decision, or why it failed. `extra` reasons go
 * after the summary line of an accepted decision.
 */
function trySdes(profile: Profile, m: MediaOffer, transport: TransportClass, hashes: readonly string[], rng: Rng, extra: readonly string[]): MediaDecision | SdesFailure {
  const out = selectSdes(profile, m.crypto, rng);
  const s = out.selection;
  if (s !== null) return sdesAccepted(profile, m, transport, hashes, s, out.lines, extra);
  const list = m.crypto.length > 0 ? offeredList(out.lines) : 'none readable';
  const why = [`no acceptable SRTP suite offered (offered: ${list})`];
  pushLineReasons(why, out.lines, m);
  return { why, lines: out.lines };
}

/** One reason per a=crypto line: its verdict, then the unreadable ones. */
function pushLineReasons(reasons: string[], lines: readonly CryptoLineVerdict[], m: MediaOffer): void {
  for (const l of lines) reasons.push(cryptoLineText(l));
  for (const x of m.malformedCrypto) reasons.push(`a=crypto:${x.tag ?? '?'} unreadable: ${x.reason}`);
}

/** An accepted SDES decision; reasons: the summary, `extra`, then one line per a=crypto. */
function sdesAccepted(profile: Profile, m: MediaOffer, transport: TransportClass, hashes: readonly string[], s: SdesSelection, lines: readonly CryptoLineVerdict[], extra: readonly string[]): MediaDecision {
  const reasons = [`SDES ${s.suite.name} (tag ${s.tag}) chosen by profile ${profile.name}'s order`];
  for (const e of extra) reasons.push(e);
  pushLineReasons(reasons, lines, m);
  return decision(m, transport, hashes, 'accept', 'sdes', s.suite.name, reasons, lines, s, null);
}

/** Distinct offered suite names, in first-seen order, comma separated. */
function offeredList(lines: readonly CryptoLineVerdict[]): string {
  const names: string[] = [];
  for (const l of lines) if (!names.includes(l.offered)) names.push(l.offered);
  return names.join(', ');
}

function isFailure(r: MediaDecision | SdesFailure): r is SdesFailure {
  return 'why' in r;
}

function rejected(m: MediaOffer, transport: TransportClass, hashes: readonly string[], reasons: string[], crypto: readonly CryptoLineVerdict[] = []): MediaDecision {
  return decision(m, transport, hashes, 'reject', 'none', null, reasons, crypto, null, null);
}

export function decideMedia(profile: Profile, m: MediaOffer, rng: Rng): MediaDecision {
  const transport = classifyTransport(m.proto);
  const hashes: string[] = [];
  for (const f of m.fingerprints) hashes.push(f.hash);

  if (m.port === 0) return rejected(m, transport, hashes, ['port 0: stream declined by the offerer (RFC 3264 s6)']);

  switch (transport) {
    case 'dtls-srtp': {
      if (!profile.keying.dtls) return rejected(m, transport, hashes, [notAllowed(profile, 'DTLS-SRTP keying', 'keying.dtls')]);
      const d = selectDtls(profile, m);
      const ignored = m.crypto.length > 0 ? [`${m.crypto.length} a=crypto line(s) ignored: ${m.proto} is keyed by DTLS (RFC 5764 s8)`] : [];
      if (!d.selection) return rejected(m, transport, hashes, [`DTLS-SRTP unusable: ${d.reasons[0] ?? 'unknown'}`, ...d.reasons.slice(1), ...ignored]);
      return decision(m, transport, hashes, 'accept', 'dtls', null, [`DTLS-SRTP as ${d.selection.role}; profile chosen in the handshake`, ...d.reasons, ...ignored], [], null, d.selection);
    }
    case 'srtp': {
      const hasSdes = m.crypto.length > 0 || m.malformedCrypto.length > 0;
      const why: string[] = [];
      if (m.fingerprints.length > 0) {
        if (profile.keying.dtls) {
          const d = selectDtls(profile, m);
          if (d.selection) {
            const unused = hasSdes ? [`a=crypto lines not used: DTLS-SRTP preferred when both are offered (keys stay out of signalling)`] : [];
            return decision(m, transport, hashes, 'accept', 'dtls', null, [`DTLS-SRTP as ${d.selection.role}; profile chosen in the handshake`, ...d.reasons, ...unused], [], null, d.selection);
          }
          why.push(`DTLS-SRTP unusable: ${d.reasons.join('; ')}`);
        } else why.push(notAllowed(profile, 'DTLS-SRTP keying', 'keying.dtls'));
      }
      if (!hasSdes) return rejected(m, transport, hashes, [why.length > 0 ? why[0] ?? '' : `${m.proto} without a=crypto or a=fingerprint: no SRTP keying offered`, ...why.slice(1)]);
      if (!profile.keying.sdes) return rejected(m, transport, hashes, [notAllowed(profile, 'SDES keying', 'keying.sdes'), ...why]);
      const r = trySdes(profile, m, transport, hashes, rng, why);
      if (!isFailure(r)) return r;
      for (const w of why) r.why.push(w);
      return rejected(m, transport, hashes, r.why, r.lines);
    }
    case 'rtp': {
      const hasSdes = m.crypto.length > 0;
      let failed: SdesFailure | null = null;
      if (hasSdes && profile.allowBestEffortSrtp && profile.keying.sdes) {
        const r = trySdes(profile, m, transport, hashes, rng, [`best-effort SRTP: ${m.proto} with a=crypto, answered with a=crypto`]);
        if (!isFailure(r)) return r;
        failed = r;
      }
      if (profile.allowPlaintext) {
        const note = failed ? [`best-effort SRTP failed: ${failed.why.join('; ')}`] : hasSdes ? [notAllowed(profile, 'best-effort SRTP', profile.keying.sdes ? 'allowBestEffortSrtp' : 'keying.sdes')] : [];
        return decision(m, transport, hashes, 'accept', 'none', null, [`plaintext RTP accepted: profile ${profile.name} has allowPlaintext: true`, ...note], failed?.lines ?? [], null, null);
      }
      if (failed) return rejected(m, transport, hashes, [...failed.why, 'plaintext fallback refused (allowPlaintext: false)'], failed.lines);
      if (hasSdes) return rejected(m, transport, hashes, [`plaintext RTP refused: ${m.proto} with a=crypto is best-effort SRTP, ${notAllowed(profile, 'which is', profile.keying.sdes ? 'allowBestEffortSrtp' : 'keying.sdes')}`]);
      return rejected(m, transport, hashes, [`plaintext RTP refused (m=${m.kind} ${m.proto} without a=crypto; allowPlaintext: false)`]);
    }
    case 'dtls-other': {
      const d = selectDtls(profile, m);
      if (!d.selection) return rejected(m, transport, hashes, [`${m.proto} unusable: ${d.reasons.join('; ')}`]);
      const detail = [d.reasons[0], d.reasons[d.reasons.length - 1]].filter((r): r is string => r !== undefined);
      return decision(m, transport, hashes, 'accept', 'dtls', null, [`${m.proto} is DTLS-protected; no SRTP suite applies`, ...detail], [], null, d.selection);
    }
    case 'other': {
      if (profile.allowPlaintext) return decision(m, transport, hashes, 'accept', 'none', null, [`${m.proto} carries no SRTP; accepted unencrypted because allowPlaintext: true`], [], null, null);
      return rejected(m, transport, hashes, [`plaintext ${m.proto} refused: not SRTP or DTLS (allowPlaintext: false)`]);
    }
    default: {
      const never: never = transport;
      return rejected(m, transport, hashes, [`unhandled transport ${String(never)}`]);
    }
  }
}
