/**
 * Options of an SDES-SRTP media leg (media-leg.ts) and its counters; kept apart so the leg's
 * file stays about the leg.
 */
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../../core/srtp/index.ts';
import type { MediaDropReason } from '../../metrics/media.ts';
import type { SipLegOptions } from './sip-leg-options.ts';

export interface SdesMediaLegOptions extends SipLegOptions {
  /** The negotiated SDES suite (one a=crypto line chosen by crypto-policy). */
  readonly suite: SrtpSuiteName;
  /** The peer's key (its a=crypto): verifies and decrypts what it sends. */
  readonly remoteKey: SrtpMasterKeyConfig;
  /** Our key (our a=crypto): protects what we send. */
  readonly localKey: SrtpMasterKeyConfig;
  /**
   * 'video': the leg is the second SRTP stream of an SDES leg with video (sdes-video.ts): no
   * marker bit set on a source switch (RFC 3551 4.1 talkspurts are audio), no media timeout
   * unless one is given (cameras stop), and not counted as a leg of its own. Default 'audio'.
   */
  readonly stream?: 'audio' | 'video';
}

export interface LegCounters {
  readonly rtpIn: number;
  readonly rtpOut: number;
  readonly rtcpIn: number;
  readonly rtcpOut: number;
  readonly drops: Readonly<Partial<Record<MediaDropReason, number>>>;
}

