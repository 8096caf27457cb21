import type { CryptoAttribute } from './crypto-attribute.ts';
import type { Fingerprint } from './dtls.ts';
import type { H264Profile } from './h264.ts';
import type { Direction } from './model.ts';
import type { MediaSecurityOffer } from './security-offer.ts';

/** Inputs and outputs of the RFC 3264 offer/answer engine (sdp/offer-answer.ts). */

/** One codec the answerer supports, listed in the answerer's preference order. */
export interface LocalCodec {
  /** Encoding name, compared case-insensitively (RFC 8866 6.6). */
  readonly name: string;
  readonly clockRate: number;
  /** Channels; default 1 (opus is 48000/2 by its RTP mapping, RFC 7587 7). */
  readonly channels?: number;
  /**
   * fmtp to put in the answer (what we want to receive). Undefined: echo the offered fmtp.
   * For telephone-event this is the event list; the answer carries the intersection.
   */
  readonly fmtp?: string;
  /** Feedback we support for this codec (`nack`, `nack pli`, `ccm fir`, `transport-cc`...). */
  readonly rtcpFb?: readonly string[];
  /** H.264 only (RFC 6184 8.2.2). Defaults: modes [0, 1], CB + Baseline, max level 3.1. */
  readonly h264?: { readonly packetizationModes?: readonly number[]; readonly profiles?: readonly H264Profile[]; readonly maxLevel?: number };
}

export interface LocalCapabilities {
  readonly audio?: readonly LocalCodec[];
  readonly video?: readonly LocalCodec[];
  /** What we would like to do with each stream; default sendrecv (RFC 3264 6.1). */
  readonly direction?: Direction;
  /** Accept `a=rtcp-mux` when offered (RFC 5761 5.1.1); default true. */
  readonly rtcpMux?: boolean;
  /** Answer only the first matching media codec (plus telephone-event/CN/rtx); default false. */
  readonly singleCodec?: boolean;
  /** Accept at most this many streams per media type; further ones are rejected. Default: no limit. */
  readonly maxStreamsPerKind?: number;
}

/**
 * The keying decision for one m= section, made by the crypto policy (crypto-policy/), given the
 * MediaSecurityOffer. The answer builder emits exactly what is decided here.
 */
export type KeyingDecision =
  /** Answer with this a=crypto line (RFC 4568 7.1.2: tag of the accepted offer line, fresh key). */
  | { readonly kind: 'sdes'; readonly answer: CryptoAttribute }
  /** DTLS-SRTP (RFC 5763 5): our fingerprint(s) and our role (answerer: active or passive). */
  | { readonly kind: 'dtls'; readonly fingerprints: readonly Fingerprint[]; readonly setup: 'active' | 'passive' }
  /** Plain RTP: only valid for a plain proto (RTP/AVP[F]), incl. declining best-effort SRTP. */
  | { readonly kind: 'none' }
  /** Refuse this m= section (port 0) with a reason for the explanation / Warning header. */
  | { readonly kind: 'reject'; readonly reason: string };

export type KeyingDecider = (offer: MediaSecurityOffer) => KeyingDecision;

export interface NegotiatedCodec {
  /** The offerer's payload type number (RFC 3264 6.1). */
  readonly payloadType: number;
  /** Encoding name as the offerer spelled it. */
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp: string | undefined;
  readonly rtcpFb: readonly string[];
}

export interface MediaAnswerPlan {
  readonly index: number;
  readonly kind: string;
  readonly proto: string;
  readonly verdict: 'accept' | 'reject';
  /** Why the section was rejected, or notes about an accepted one (dropped codecs...). */
  readonly reasons: readonly string[];
  /** Answer order (answerer's preference), offerer's PT numbers. Empty when rejected. */
  readonly codecs: readonly NegotiatedCodec[];
  readonly direction: Direction;
  /** Undefined when the section was rejected before keying was asked. */
  readonly keying: KeyingDecision | undefined;
  readonly rtcpMux: boolean;
  readonly mid: string | undefined;
  /** Offered fmt list (a rejected m= line echoes it, RFC 3264 6). */
  readonly offeredFmts: readonly string[];
  /** The offer carried ICE credentials for this section (RFC 8839). */
  readonly ice: boolean;
  readonly security: MediaSecurityOffer;
}

export interface Negotiation {
  readonly media: readonly MediaAnswerPlan[];
  /** mids of the accepted sections of the (first) offered BUNDLE group, in group order. */
  readonly bundle: readonly string[] | undefined;
  /** True when at least one section is accepted; false means answer 488. */
  readonly accepted: boolean;
}
