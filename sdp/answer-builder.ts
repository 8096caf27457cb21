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
  // Each part is built by concatenation and the parts joined once at the end: the result is one
  // flat string, with far fewer intermediate strings than one array element per line.
  let head = `v=0\r\no=${params.origin.username ?? '-'} ${params.origin.sessionId} ${params.origin.sessionVersion} IN ${addrType} ${params.address}\r\ns=${params.sessionName ?? '-'}\r\nc=IN ${addrType} ${params.address}\r\nt=0 0\r\n`;
  let anyIce = false;
  for (const p of negotiation.media) if (p.verdict === 'accept' && p.ice) anyIce = true;
  if (params.ice?.lite === true && anyIce) head += 'a=ice-lite\r\n';
  const bundle = negotiation.bundle;
  if (bundle !== undefined) head += `a=group:BUNDLE ${bundle.join(' ')}\r\n`;
  const out: string[] = [head];

  // RFC 8843 7.3.1: every bundled m= section of the answer carries the same port.
  let bundlePort: number | undefined;
  for (const plan of negotiation.media) {
    if (plan.verdict === 'reject') {
      const m = `m=${plan.kind} 0 ${plan.proto} ${plan.offeredFmts.join(' ')}`.trimEnd();
      out.push(plan.mid === undefined ? `${m}\r\n` : `${m}\r\na=mid:${plan.mid}\r\n`);
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
    out.push(mediaText(plan, port, params));
  }
  return out.join('');
}

function mediaText(plan: MediaAnswerPlan, port: number, params: AnswerParams): string {
  let s = `m=${plan.kind} ${port} ${plan.proto}`;
  for (const c of plan.codecs) s += ` ${c.payloadType}`;
  s += '\r\n';
  if (plan.mid !== undefined) s += `a=mid:${plan.mid}\r\n`;
  s += `a=${plan.direction}\r\n`;
  if (plan.rtcpMux) s += 'a=rtcp-mux\r\n';
  const audio = plan.kind === 'audio';
  for (const c of plan.codecs) {
    s += `a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${audio && c.channels > 1 ? `/${c.channels}` : ''}\r\n`;
    if (c.fmtp !== undefined && c.fmtp.length > 0) s += `a=fmtp:${c.payloadType} ${c.fmtp}\r\n`;
    for (const fb of c.rtcpFb) s += `a=rtcp-fb:${c.payloadType} ${fb}\r\n`;
  }
  if (params.ptime !== undefined && audio) s += `a=ptime:${params.ptime}\r\n`;
  const k = plan.keying;
  if (k?.kind === 'sdes') s += `a=crypto:${serializeCrypto(k.answer)}\r\n`;
  if (k?.kind === 'dtls') {
    for (const f of k.fingerprints) s += `a=fingerprint:${serializeFingerprint(f)}\r\n`;
    s += `a=setup:${k.setup}\r\n`;
  }
  const ice = params.ice;
  if (ice !== undefined && plan.ice) {
    s += `a=ice-ufrag:${ice.ufrag}\r\na=ice-pwd:${ice.pwd}\r\n`;
    const cands = ice.candidates ?? [];
    for (const c of cands) s += `a=candidate:${serializeCandidate(c)}\r\n`;
    if (ice.endOfCandidates ?? cands.length > 0) s += 'a=end-of-candidates\r\n';
  }
  return s;
}
