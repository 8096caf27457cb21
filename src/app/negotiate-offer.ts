/**
 * One incoming SDP offer -> what to answer: the crypto policy decides the keying of every
 * m-line (policy order, not offer order), then sdp/ intersects codecs and builds the plan.
 * Pure: no sockets; the caller allocates media ports for the accepted sections and builds the
 * answer text with `buildAnswer`.
 *
 * Outcomes map to SIP (RFC 3261 21.4): unparsable SDP -> 400, nothing acceptable -> 488 with a
 * Warning naming the profile and the reason (crypto-policy errors.ts).
 */
import { mediaOffersFromSdp, keyingDeciderFor, type CryptoPolicy, type Negotiation as PolicyNegotiation, type PeerContext } from '../../crypto-policy/index.ts';
import { negotiate, parseSdp, SdpParseError, type Fingerprint, type LocalCapabilities, type Negotiation as SdpNegotiation, type SessionDescription } from '../../sdp/index.ts';
import { warningText } from '../../crypto-policy/errors.ts';
import { GATEWAY_VIDEO } from './video-plan.ts';

/**
 * What the gateway can receive, in preference order (DESIGN.md "Media"): one audio and one
 * video stream per leg; video (VP8, H.264) is forwarded, never transcoded (video-plan.ts says
 * which leg kinds keep it).
 */
export const GATEWAY_CAPABILITIES: LocalCapabilities = {
  audio: [
    { name: 'opus', clockRate: 48000, channels: 2 },
    { name: 'G722', clockRate: 8000 },
    { name: 'PCMU', clockRate: 8000 },
    { name: 'PCMA', clockRate: 8000 },
    { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
    { name: 'telephone-event', clockRate: 48000, fmtp: '0-16' },
  ],
  video: GATEWAY_VIDEO,
  rtcpMux: true,
  maxStreamsPerKind: 1,
};

export interface OfferContext {
  readonly sdp: string;
  readonly peer: PeerContext;
  /** Profile forced by room configuration; otherwise the policy's overrides/default decide. */
  readonly profile?: string;
  /** Our DTLS certificate fingerprints, when a DTLS-SRTP leg can be offered at all. */
  readonly localFingerprints: readonly Fingerprint[];
  /** Keying methods the media plane can run right now (e.g. no DTLS over plain UDP yet). */
  readonly supportedKeying: { readonly sdes: boolean; readonly dtls: boolean };
  readonly capabilities?: LocalCapabilities;
}

export type OfferOutcome =
  | { readonly ok: true; readonly offer: SessionDescription; readonly policy: PolicyNegotiation; readonly plan: SdpNegotiation }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly warning: string; readonly code: string; readonly policy?: PolicyNegotiation };

export function negotiateOffer(policy: CryptoPolicy, ctx: OfferContext): OfferOutcome {
  let offer: SessionDescription;
  try {
    offer = parseSdp(ctx.sdp);
  } catch (err) {
    if (!(err instanceof SdpParseError)) throw err;
    return reject(400, 'Bad Request - Malformed SDP', `malformed SDP: ${err.message}`, err.code);
  }
  let decided: PolicyNegotiation;
  try {
    decided = policy.negotiate(mediaOffersFromSdp(offer), ctx.peer, ctx.profile === undefined ? {} : { profile: ctx.profile });
  } catch (err) {
    if (err instanceof SdpParseError) return reject(400, 'Bad Request - Malformed SDP', `malformed SDP: ${err.message}`, err.code);
    throw err;
  }
  if (decided.verdict === 'reject' || decided.rejection) {
    const text = decided.rejection?.sipReason ?? `399 gatehouse "${warningText(`profile ${decided.profile}: offer rejected`)}"`;
    return { ...reject(488, 'Not Acceptable Here', text, decided.rejection?.code ?? 'POLICY_REJECTED'), policy: decided };
  }
  const decide = keyingDeciderFor(decided, ctx.localFingerprints);
  const plan = negotiate(offer, ctx.capabilities ?? GATEWAY_CAPABILITIES, (m) => {
    const d = decide(m);
    if (d.kind === 'dtls' && !ctx.supportedKeying.dtls) return { kind: 'reject', reason: 'DTLS-SRTP on this kind of leg is not supported by this gateway yet' };
    if (d.kind === 'sdes' && !ctx.supportedKeying.sdes) return { kind: 'reject', reason: 'SDES-SRTP is not supported on this leg' };
    return d;
  });
  if (!plan.accepted) {
    const why = plan.media.flatMap((m) => m.reasons.slice(0, 1).map((r) => `m-line ${m.index} ${m.kind}: ${r}`)).join('; ');
    return { ...reject(488, 'Not Acceptable Here', `399 gatehouse "${warningText(`profile ${decided.profile}: ${why || 'no acceptable media'}`)}"`, 'NO_ACCEPTABLE_MEDIA'), policy: decided };
  }
  return { ok: true, offer, policy: decided, plan };
}

function reject(status: number, reason: string, warning: string, code: string): Extract<OfferOutcome, { ok: false }> {
  const w = warning.startsWith('399 ') ? warning : `399 gatehouse "${warningText(warning)}"`;
  return { ok: false, status, reason, warning: w, code };
}
