/**
 * What an admitted INVITE becomes: the peer as the crypto policy's per-peer overrides see it
 * (source address, verified TLS client-certificate subject, From/To domains), and the kind of
 * media leg its accepted audio m-line needs (SDES; DTLS over plain UDP; WebRTC with ICE).
 */
import type { MediaDecision, PeerContext } from '../../crypto-policy/index.ts';
import type { MediaAnswerPlan, SessionDescription } from '../../sdp/index.ts';
import type { LegRequest } from '../ports/media-plane.ts';
import type { IncomingInvite } from '../ports/signalling-backend.ts';
import { dtlsLegPlan } from './dtls-leg-plan.ts';
import { sdesLegPlan } from './sdes-leg-plan.ts';
import type { LegKind, VideoLegPlan } from './video-plan.ts';

/** The kind of leg an accepted audio m-line needs (SDES; DTLS with ICE: guest; without: DTLS over UDP). */
export function legKindOf(audio: MediaAnswerPlan): LegKind {
  if (audio.keying?.kind === 'sdes') return 'sdes';
  return audio.ice ? 'webrtc' : 'dtls-udp';
}

export function legRequest(offer: SessionDescription, audio: MediaAnswerPlan, decision: MediaDecision, offerSdp: string, video: VideoLegPlan | null = null): LegRequest {
  const v = video === null ? {} : { video };
  if (audio.keying?.kind === 'sdes') return { kind: 'sdes', plan: sdesLegPlan(offer, audio, decision), ...v };
  const plan = dtlsLegPlan(offer, audio, decision);
  return plan.ice ? { kind: 'webrtc', plan, offerSdp, ...v } : { kind: 'dtls-udp', plan };
}

export function peerOf(inv: Pick<IncomingInvite, 'from' | 'to' | 'source'>): PeerContext {
  const host = (uri: string): string | undefined => /sips?:(?:[^@>;]*@)?([^>;:]+)/i.exec(uri)?.[1];
  const from = host(inv.from);
  const to = host(inv.to);
  const subject = inv.source.tlsPeer?.subject;
  return {
    ip: inv.source.remote.address,
    ...(subject ? { certSubject: Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(', ') } : {}),
    ...(from ? { fromDomain: from } : {}),
    ...(to ? { toDomain: to } : {}),
  };
}
