import { GatehouseError } from '../src/core/errors.ts';
import { serializeCrypto } from './crypto.ts';
import { serializeFingerprint } from './dtls.ts';
import { serializeCandidate } from './ice.ts';
import type { IceCandidate } from './ice.ts';
import type { MediaAnswerPlan, Negotiation } from './offer-answer-types.ts';

/**
 * Turns a Negotiation into answer SDP text (CRLF). Accepted sections keep the offered proto
 * (RFC 3264 6: the answer's transport must match the offer's) and list the negotiated codecs;
 * rejected ones get port 0 and echo the offered formats (RFC 3264 6). Keying lines are written
 * exactly as decided by the policy. The output contains key material when SDES is used: send
 * it, never log it.
 */

export interface AnswerIce {
  readonly ufrag: string;
  readonly pwd: string;
  /** Session-level `a=ice-lite` (RFC 8839 5.3): the gateway runs ICE-lite. */
  readonly lite?: boolean;
  /** Candidates for each accepted m-line (same list for all when bundled). */
  readonly candidates?: readonly IceCandidate[];
  /** `a=end-of-candidates` (RFC 8840 8.2); default true when candidates are given. */
  readonly endOfCandidates?: boolean;
}

export interface AnswerParams {
  readonly origin: { readonly username?: string; readonly sessionId: string; readonly sessionVersion: string };
  readonly sessionName?: string;
  /** Our media address (c= and o=). IPv6 when it contains ':'. */
  readonly address: string;
  /** Local RTP port for an accepted m= section (by plan). Called once per accepted section. */
  readonly port: (plan: MediaAnswerPlan) => number;
  /** ICE credentials/candidates; written only for sections whose offer used ICE. */
  readonly ice?: AnswerIce;
  /** `a=ptime` for accepted audio sections (RFC 8866 6.4). */
  readonly ptime?: number;
}

export function buildAnswer(negotiation: Negotiation, params: AnswerParams): string {
  const addrType = params.address.includes(':') ? 'IP6' : 'IP4';
  const out: string[] = [
    'v=0',
    `o=${params.origin.username ?? '-'} ${params.origin.sessionId} ${params.origin.sessionVersion} IN ${addrType} ${params.address}`,
    `s=${params.sessionName ?? '-'}`,
    `c=IN ${addrType} ${params.address}`,
    't=0 0',
  ];
  const anyIce = negotiation.media.some((p) => p.verdict === 'accept' && p.ice);
  if (params.ice?.lite === true && anyIce) out.push('a=ice-lite');
  const bundle = negotiation.bundle;
  if (bundle !== undefined) out.push(`a=group:BUNDLE ${bundle.join(' ')}`);

  // RFC 8843 7.3.1: every bundled m= section of the answer carries the same port.
  let bundlePort: number | undefined;
  for (const plan of negotiation.media) {
    if (plan.verdict === 'reject') {
      out.push(`m=${plan.kind} 0 ${plan.proto} ${plan.offeredFmts.join(' ')}`.trimEnd());
      if (plan.mid !== undefined) out.push(`a=mid:${plan.mid}`);
      continue;
    }
    const bundled = bundle !== undefined && plan.mid !== undefined && bundle.includes(plan.mid);
    let port: number;
    if (bundled && bundlePort !== undefined) port = bundlePort;
    else {
      port = params.port(plan);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new GatehouseError('internal', 'SDP_ANSWER_BAD_PORT', `answer port for m-line ${plan.index} must be 1..65535`);
      if (bundled) bundlePort = port;
    }
    writeMedia(out, plan, port, params);
  }
  return out.join('\r\n') + '\r\n';
}

function writeMedia(out: string[], plan: MediaAnswerPlan, port: number, params: AnswerParams): void {
  out.push(`m=${plan.kind} ${port} ${plan.proto} ${plan.codecs.map((c) => c.payloadType).join(' ')}`);
  if (plan.mid !== undefined) out.push(`a=mid:${plan.mid}`);
  out.push(`a=${plan.direction}`);
  if (plan.rtcpMux) out.push('a=rtcp-mux');
  for (const c of plan.codecs) {
    out.push(`a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${plan.kind === 'audio' && c.channels > 1 ? `/${c.channels}` : ''}`);
    if (c.fmtp !== undefined && c.fmtp.length > 0) out.push(`a=fmtp:${c.payloadType} ${c.fmtp}`);
    for (const fb of c.rtcpFb) out.push(`a=rtcp-fb:${c.payloadType} ${fb}`);
  }
  if (params.ptime !== undefined && plan.kind === 'audio') out.push(`a=ptime:${params.ptime}`);
  const k = plan.keying;
  if (k?.kind === 'sdes') out.push(`a=crypto:${serializeCrypto(k.answer)}`);
  if (k?.kind === 'dtls') {
    for (const f of k.fingerprints) out.push(`a=fingerprint:${serializeFingerprint(f)}`);
    out.push(`a=setup:${k.setup}`);
  }
  const ice = params.ice;
  if (ice !== undefined && plan.ice) {
    out.push(`a=ice-ufrag:${ice.ufrag}`, `a=ice-pwd:${ice.pwd}`);
    const cands = ice.candidates ?? [];
    for (const c of cands) out.push(`a=candidate:${serializeCandidate(c)}`);
    if (ice.endOfCandidates ?? cands.length > 0) out.push('a=end-of-candidates');
  }
}
