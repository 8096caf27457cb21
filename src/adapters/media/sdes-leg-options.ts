/**
 * Options of an SDES-SRTP media leg (media-leg.ts) and its counters; kept apart so the leg's
 * file stays about the leg.
 */
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../../core/srtp/index.ts';
import type { MediaDropReason } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { LatchingOptions, MediaDirection, PayloadFormat, RemoteEndpoint } from './media-types.ts';
import type { MediaPorts } from './port-allocator.ts';

export interface SdesMediaLegOptions {
  readonly id: string;
  /** Sockets from MediaPortAllocator.allocate(); `ports.rtcp === null` means rtcp-mux. The leg releases them on close. */
  readonly ports: MediaPorts;
  /** The negotiated SDES suite (one a=crypto line chosen by crypto-policy). */
  readonly suite: SrtpSuiteName;
  /** The peer's key (its a=crypto): verifies and decrypts what it sends. */
  readonly remoteKey: SrtpMasterKeyConfig;
  /** Our key (our a=crypto): protects what we send. */
  readonly localKey: SrtpMasterKeyConfig;
  /** c= address and m= port of the peer's SDP (rtcpPort: a=rtcp, port + 1, or rtpPort with rtcp-mux). */
  readonly remote: RemoteEndpoint;
  /** Negotiated payload types of the audio m-line. */
  readonly formats: readonly PayloadFormat[];
  /** PT we send audio with; default: the first format that is not telephone-event or CN. */
  readonly sendPayloadType?: number;
  readonly direction?: MediaDirection;
  readonly latching?: LatchingOptions;
  /** No RTP for this long while the peer is sendrecv -> media-timeout. Default 30 s; 0 disables. */
  readonly mediaTimeoutMs?: number;
  /** RTCP report interval (RFC 3550 6.2). Default 5000 ms; tests use less. */
  readonly rtcpIntervalMs?: number;
  readonly replayWindow?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
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

