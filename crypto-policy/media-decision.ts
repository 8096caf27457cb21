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

export function decideMedia(profile: Profile, m: MediaOffer, rng: Rng): MediaDecision {
  const transport = classifyTransport(m.proto);
  const base = {
    index: m.index,
    kind: m.kind,
    proto: m.proto,
    port: m.port,
    transport,
    offered: { crypto: [] as CryptoLineVerdict[], fingerprintHashes: m.fingerprints.map((f) => f.hash), setup: m.setup },
  };
  const reject = (reasons: string[], crypto: readonly CryptoLineVerdict[] = []): MediaDecision => ({
    ...base, offered: { ...base.offered, crypto }, verdict: 'reject', keying: 'none', suite: null, reasons, sdes: null, dtls: null,
  });
  const plaintext = (reasons: string[], crypto: readonly CryptoLineVerdict[] = []): MediaDecision => ({
    ...base, offered: { ...base.offered, crypto }, verdict: 'accept', keying: 'none', suite: null, reasons, sdes: null, dtls: null,
  });
  const malformed = m.malformedCrypto.map((x) => `a=crypto:${x.tag ?? '?'} unreadable: ${x.reason}`);

  if (m.port === 0) return reject(['port 0: stream declined by the offerer (RFC 3264 s6)']);

  const trySdes = (extra: string[]): { decision: MediaDecision | null; lines: readonly CryptoLineVerdict[]; why: string[] } => {
    const out = selectSdes(profile, m.crypto, rng);
    const lineTexts = [...out.lines.map(cryptoLineText), ...malformed];
    if (!out.selection) {
      const offered = m.crypto.map((c) => c.suite);
      const list = offered.length > 0 ? [...new Set(out.lines.map((l) => l.offered))].join(', ') : 'none readable';
      return { decision: null, lines: out.lines, why: [`no acceptable SRTP suite offered (offered: ${list})`, ...lineTexts] };
    }
    const s = out.selection;
    return {
      decision: {
        ...base, offered: { ...base.offered, crypto: out.lines }, verdict: 'accept', keying: 'sdes', suite: s.suite.name,
        reasons: [`SDES ${s.suite.name} (tag ${s.tag}) chosen by profile ${profile.name}'s order`, ...extra, ...lineTexts],
        sdes: s, dtls: null,
      },
      lines: out.lines,
      why: [],
    };
  };
  const notAllowed = (what: string, flag: string) => `${what} not allowed by profile ${profile.name} (${flag}: false)`;

  switch (transport) {
    case 'dtls-srtp': {
      if (!profile.keying.dtls) return reject([notAllowed('DTLS-SRTP keying', 'keying.dtls')]);
      const d = selectDtls(profile, m);
      const ignored = m.crypto.length > 0 ? [`${m.crypto.length} a=crypto line(s) ignored: ${m.proto} is keyed by DTLS (RFC 5764 s8)`] : [];
      if (!d.selection) return reject([`DTLS-SRTP unusable: ${d.reasons[0] ?? 'unknown'}`, ...d.reasons.slice(1), ...ignored]);
      return { ...base, verdict: 'accept', keying: 'dtls', suite: null, reasons: [`DTLS-SRTP as ${d.selection.role}; profile chosen in the handshake`, ...d.reasons, ...ignored], sdes: null, dtls: d.selection };
    }
    case 'srtp': {
      const hasSdes = m.crypto.length > 0 || m.malformedCrypto.length > 0;
      const why: string[] = [];
      if (m.fingerprints.length > 0) {
        if (profile.keying.dtls) {
          const d = selectDtls(profile, m);
          if (d.selection) {
            const unused = hasSdes ? [`a=crypto lines not used: DTLS-SRTP preferred when both are offered (keys stay out of signalling)`] : [];
            return { ...base, verdict: 'accept', keying: 'dtls', suite: null, reasons: [`DTLS-SRTP as ${d.selection.role}; profile chosen in the handshake`, ...d.reasons, ...unused], sdes: null, dtls: d.selection };
          }
          why.push(`DTLS-SRTP unusable: ${d.reasons.join('; ')}`);
        } else why.push(notAllowed('DTLS-SRTP keying', 'keying.dtls'));
      }
      if (!hasSdes) return reject([why.length > 0 ? why[0] ?? '' : `${m.proto} without a=crypto or a=fingerprint: no SRTP keying offered`, ...why.slice(1)]);
      if (!profile.keying.sdes) return reject([notAllowed('SDES keying', 'keying.sdes'), ...why]);
      const r = trySdes(why);
      return r.decision ?? reject([...r.why, ...why], r.lines);
    }
    case 'rtp': {
      const hasSdes = m.crypto.length > 0;
      let failed: { why: string[]; lines: readonly CryptoLineVerdict[] } | null = null;
      if (hasSdes && profile.allowBestEffortSrtp && profile.keying.sdes) {
        const r = trySdes([`best-effort SRTP: ${m.proto} with a=crypto, answered with a=crypto`]);
        if (r.decision) return r.decision;
        failed = { why: r.why, lines: r.lines };
      }
      if (profile.allowPlaintext) {
        const note = failed ? [`best-effort SRTP failed: ${failed.why.join('; ')}`] : hasSdes ? [notAllowed('best-effort SRTP', profile.keying.sdes ? 'allowBestEffortSrtp' : 'keying.sdes')] : [];
        return plaintext([`plaintext RTP accepted: profile ${profile.name} has allowPlaintext: true`, ...note], failed?.lines ?? []);
      }
      if (failed) return reject([...failed.why, 'plaintext fallback refused (allowPlaintext: false)'], failed.lines);
      if (hasSdes) return reject([`plaintext RTP refused: ${m.proto} with a=crypto is best-effort SRTP, ${notAllowed('which is', profile.keying.sdes ? 'allowBestEffortSrtp' : 'keying.sdes')}`]);
      return reject([`plaintext RTP refused (m=${m.kind} ${m.proto} without a=crypto; allowPlaintext: false)`]);
    }
    case 'dtls-other': {
      const d = selectDtls(profile, m);
      if (!d.selection) return reject([`${m.proto} unusable: ${d.reasons.join('; ')}`]);
      const detail = [d.reasons[0], d.reasons[d.reasons.length - 1]].filter((r): r is string => r !== undefined);
      return { ...base, verdict: 'accept', keying: 'dtls', suite: null, reasons: [`${m.proto} is DTLS-protected; no SRTP suite applies`, ...detail], sdes: null, dtls: d.selection };
    }
    case 'other': {
      if (profile.allowPlaintext) return plaintext([`${m.proto} carries no SRTP; accepted unencrypted because allowPlaintext: true`]);
      return reject([`plaintext ${m.proto} refused: not SRTP or DTLS (allowPlaintext: false)`]);
    }
    default: {
      const never: never = transport;
      return reject([`unhandled transport ${String(never)}`]);
    }
  }
}
