/**
 * The video m-line of a room leg (issue 6): which one is accepted, with what codecs and
 * feedback, or why it is declined. Pure: the offer/answer plan (sdp/) and the crypto policy's
 * decision in, a possibly narrowed plan and the leg's video plan out.
 *
 * The gateway forwards video without transcoding (it never decodes it): VP8 (RFC 7741) and
 * H.264 (RFC 6184; packetization-mode and profile kept as offered, level lowered to 3.1 at most,
 * sdp/codec-match.ts) are accepted; a receiver gets a source's video only when it negotiated
 * the same codec (video-format.ts in the media adapter decides per packet).
 *
 * Declined with port 0 (RFC 3264 6) and a reason, per leg kind:
 *   sdes       video keyed by SDES too, its own a=crypto and its own SRTP stream and ports
 *   webrtc     video keyed by the same DTLS transport: it must be in the audio's BUNDLE group
 *              (RFC 8843); the guest's werift peer then gets a video transceiver
 *   dtls-udp   declined: a DTLS-SRTP SIP leg without ICE carries audio only
 * and always when the video m-line is keyed differently from the audio (e.g. audio SDES,
 * video DTLS): one leg, one crypto policy decision.
 */
import type { MediaDecision, Negotiation as PolicyNegotiation } from '../../crypto-policy/index.ts';
import { packetizationMode, parseProfileLevelId } from '../../sdp/h264.ts';
import type { MediaAnswerPlan, NegotiatedCodec, Negotiation, SessionDescription } from '../../sdp/index.ts';
import type { LocalCodec } from '../../sdp/index.ts';
import { sdesLegPlan, type SdesLegPlan } from './sdes-leg-plan.ts';

/**
 * What we accept for video, preferred first. Feedback we terminate ourselves (RFC 4585 6.3.1
 * PLI, RFC 5104 4.3.1 FIR); no plain `nack` (we keep no retransmission buffer) and no
 * bandwidth estimation feedback.
 */
export const VIDEO_FEEDBACK: readonly string[] = Object.freeze(['nack pli', 'ccm fir']);

export const GATEWAY_VIDEO: readonly LocalCodec[] = Object.freeze([
  { name: 'VP8', clockRate: 90000, rtcpFb: VIDEO_FEEDBACK },
  {
    name: 'H264',
    clockRate: 90000,
    rtcpFb: VIDEO_FEEDBACK,
    h264: { packetizationModes: [1, 0], profiles: ['constrained-baseline', 'baseline', 'main', 'high', 'constrained-high'] },
  },
]);

/** One negotiated video payload type, with what decides whether another leg can decode it. */
export interface VideoFormat {
  readonly pt: number;
  /** VP8 or H264 as the peer spelled it. */
  readonly name: string;
  readonly clockRate: number;
  /** H.264 only: RFC 6184 8.1 packetization-mode (default 0). */
  readonly packetizationMode?: number;
  /** H.264 only: the profile class of profile-level-id (sdp/h264.ts). */
  readonly h264Profile?: string;
}

/** What the peer accepts as a key frame request (RFC 4585 4.2 a=rtcp-fb). */
export interface VideoFeedback {
  /** `nack pli` negotiated for at least one video codec. */
  readonly pli: boolean;
  /** `ccm fir` negotiated for at least one video codec. */
  readonly fir: boolean;
}

export interface VideoLegPlan {
  readonly index: number;
  readonly formats: readonly VideoFormat[];
  readonly feedback: VideoFeedback;
  /** SDES legs: the video stream's own suite, keys and the peer's address; null for guests. */
  readonly sdes: SdesLegPlan | null;
}

export type LegKind = 'sdes' | 'dtls-udp' | 'webrtc';

export interface VideoOutcome {
  /** The plan to build the answer from (video turned into a port-0 rejection when declined here). */
  readonly negotiation: Negotiation;
  readonly video: VideoLegPlan | null;
  /** Why the offered video was not accepted; null when there was none or it was accepted. */
  readonly declined: string | null;
}

export const VIDEO_NOT_ON_DTLS_UDP = 'video declined: DTLS-SRTP SIP legs without ICE carry audio only';
export const VIDEO_KEYED_APART = 'video declined: keyed differently from the audio stream';
export const VIDEO_NOT_BUNDLED = 'video declined: a WebRTC guest must bundle video with audio (RFC 8843)';

export function videoFormatOf(c: NegotiatedCodec): VideoFormat {
  if (c.name.toLowerCase() !== 'h264') return { pt: c.payloadType, name: c.name, clockRate: c.clockRate };
  const params = new Map<string, string>();
  for (const p of (c.fmtp ?? '').split(';')) {
    const eq = p.indexOf('=');
    if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  const profile = parseProfileLevelId(params.get('profile-level-id'))?.profile ?? 'unknown';
  return { pt: c.payloadType, name: c.name, clockRate: c.clockRate, packetizationMode: packetizationMode(params), h264Profile: profile };
}

/** What the negotiated codecs accept as a key frame request (also read back by takeover-video.ts). */
export function videoFeedbackOf(codecs: readonly Pick<NegotiatedCodec, 'rtcpFb'>[]): VideoFeedback {
  const has = (fb: string): boolean => codecs.some((c) => c.rtcpFb.some((x) => x.toLowerCase() === fb));
  return { pli: has('nack pli'), fir: has('ccm fir') };
}

function declined(p: MediaAnswerPlan, reason: string): MediaAnswerPlan {
  return { ...p, verdict: 'reject', reasons: [reason], codecs: [], direction: 'inactive', rtcpMux: false };
}

function withDeclined(n: Negotiation, p: MediaAnswerPlan, reason: string): Negotiation {
  const media = n.media.map((m) => (m === p ? declined(m, reason) : m));
  const bundle = n.bundle?.filter((mid) => mid !== p.mid);
  return { media, bundle: bundle !== undefined && bundle.length > 0 ? bundle : undefined, accepted: media.some((m) => m.verdict === 'accept') };
}

/**
 * The leg's video: `audio` is the accepted audio m-line the leg is opened for, `kind` the leg
 * kind it needs. At most one video m-line is accepted (negotiate's maxStreamsPerKind 1).
 */
export function planVideo(offer: SessionDescription, n: Negotiation, policy: PolicyNegotiation, audio: MediaAnswerPlan, kind: LegKind): VideoOutcome {
  const video = n.media.find((m) => m.kind === 'video' && m.verdict === 'accept');
  if (video === undefined) {
    const offered = n.media.find((m) => m.kind === 'video');
    return { negotiation: n, video: null, declined: offered === undefined ? null : `video declined: ${offered.reasons[0] ?? 'not acceptable'}` };
  }
  const decline = (reason: string): VideoOutcome => ({ negotiation: withDeclined(n, video, reason), video: null, declined: reason });
  if (kind === 'dtls-udp') return decline(VIDEO_NOT_ON_DTLS_UDP);
  if (video.keying?.kind !== audio.keying?.kind) return decline(VIDEO_KEYED_APART);
  const formats = video.codecs.filter((c) => c.clockRate === 90000 && ['vp8', 'h264'].includes(c.name.toLowerCase())).map(videoFormatOf);
  if (formats.length === 0) return decline('video declined: no VP8 or H.264 payload type');
  const feedback = videoFeedbackOf(video.codecs);
  if (kind === 'webrtc') {
    if (n.bundle === undefined || audio.mid === undefined || video.mid === undefined || !n.bundle.includes(audio.mid) || !n.bundle.includes(video.mid)) return decline(VIDEO_NOT_BUNDLED);
    return { negotiation: n, video: { index: video.index, formats, feedback, sdes: null }, declined: null };
  }
  const decision: MediaDecision | undefined = policy.media.find((d) => d.index === video.index);
  if (decision === undefined || decision.keying !== 'sdes' || decision.sdes === null) return decline(VIDEO_KEYED_APART);
  return { negotiation: n, video: { index: video.index, formats, feedback, sdes: sdesLegPlan(offer, video, decision) }, declined: null };
}
