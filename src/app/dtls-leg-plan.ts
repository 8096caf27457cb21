/**
 * From an accepted DTLS-SRTP audio m-line to what a media leg needs (RFC 5763/5764): our role
 * (answerer passive -> DTLS server, so the policy's profile order wins, DESIGN.md "Media"), the
 * use_srtp list in policy order, the offer's fingerprints to verify the peer against, and the
 * RTP endpoint, formats and direction (shared with SDES legs via media-endpoint.ts). Pure.
 */
import type { MediaDecision } from '../../crypto-policy/index.ts';
import { fingerprints, type Fingerprint, type MediaAnswerPlan, type SessionDescription } from '../../sdp/index.ts';
import { GatehouseError } from '../core/errors.ts';
import { mediaEndpoint, type MediaEndpoint } from './media-endpoint.ts';

export interface DtlsLegPlan extends MediaEndpoint {
  readonly role: 'server' | 'client';
  readonly profiles: readonly number[];
  readonly remoteFingerprints: readonly Fingerprint[];
  /** The offer used ICE (browser guest): ICE-lite leg; otherwise DTLS over plain UDP. */
  readonly ice: boolean;
}

export function dtlsLegPlan(offer: SessionDescription, plan: MediaAnswerPlan, decision: MediaDecision): DtlsLegPlan {
  const sel = decision.dtls;
  if (decision.keying !== 'dtls' || sel === null) throw new GatehouseError('internal', 'DTLS_PLAN_NOT_DTLS', `m-line ${plan.index} was not keyed by DTLS-SRTP`);
  const section = offer.media[plan.index];
  if (section === undefined) throw new GatehouseError('internal', 'DTLS_PLAN_NO_SECTION', `offer has no m-line ${plan.index}`);
  return {
    ...mediaEndpoint(offer, plan),
    role: sel.role,
    profiles: sel.useSrtpProfileIds,
    remoteFingerprints: fingerprints(offer, section),
    ice: plan.ice,
  };
}
