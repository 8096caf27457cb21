/**
 * Key-free views of a Negotiation. A Negotiation holds key material (offered and generated
 * keys); log or print only these projections (DESIGN.md: no key ever in a log).
 */
import type { Negotiation } from './negotiate.ts';

/** The `gatehouse policy explain --json` shape (issue 3), also fit for the audit log. */
export interface ExplanationJson {
  readonly verdict: 'accept' | 'reject';
  readonly sipStatus: number | null;
  readonly profile: string;
  readonly media: readonly {
    readonly index: number;
    readonly kind: string;
    readonly verdict: 'accept' | 'reject';
    readonly keying: 'sdes' | 'dtls' | 'none';
    readonly suite: string | null;
    readonly reasons: readonly string[];
  }[];
}

export function explanationJson(n: Negotiation): ExplanationJson {
  return {
    verdict: n.verdict,
    sipStatus: n.sipStatus,
    profile: n.profile,
    media: n.media.map((d) => ({ index: d.index, kind: d.kind, verdict: d.verdict, keying: d.keying, suite: d.suite, reasons: [...d.reasons] })),
  };
}

/** Human-readable explanation, one fact per line. */
export function explanationText(n: Negotiation): string {
  const out: string[] = [];
  out.push(`profile: ${n.profile} (${n.profileChoice.reason})`);
  out.push(`allowed: suites ${n.allowed.suites.join(' > ')}; DTLS-SRTP ${n.allowed.dtlsProfiles.join(' > ') || 'none'}; keying ${[n.allowed.keying.sdes ? 'sdes' : '', n.allowed.keying.dtls ? 'dtls' : ''].filter(Boolean).join('+') || 'none'}; MKI ${n.allowed.allowMki ? 'yes' : 'no'}; best-effort SRTP ${n.allowed.allowBestEffortSrtp ? 'yes' : 'no'}; plaintext ${n.allowed.allowPlaintext ? 'yes' : 'no'}`);
  out.push(`verdict: ${n.verdict}${n.sipStatus === null ? '' : ` (SIP ${n.sipStatus})`}`);
  for (const d of n.media) {
    const what = d.verdict === 'accept' ? `${d.keying}${d.suite ? ` ${d.suite}` : ''}` : 'rejected';
    out.push(`m-line ${d.index} ${d.kind} ${d.proto}: ${d.verdict} ${what}`);
    for (const r of d.reasons) out.push(`  - ${r}`);
  }
  for (const e of n.downgrades) out.push(`downgrade: m-line ${e.mediaIndex} ${e.keying} ${e.chosen} instead of ${e.preferred} (${e.reason})`);
  if (n.rejection?.sipReason) out.push(`Warning: ${n.rejection.sipReason}`);
  return `${out.join('\n')}\n`;
}
