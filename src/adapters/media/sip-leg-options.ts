/**
 * Options every SIP media leg on plain UDP sockets takes, whatever keys it: SDES
 * (sdes-leg-options.ts) and DTLS-SRTP without ICE (webrtc/dtls-udp-leg-types.ts).
 */
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { LatchingOptions, MediaDirection, PayloadFormat, RemoteEndpoint } from './media-types.ts';
import type { MediaPorts } from './port-allocator.ts';

export interface SipLegOptions {
  readonly id: string;
  /** Sockets from MediaPortAllocator.allocate(); `ports.rtcp === null` means rtcp-mux. The leg releases them on close. */
  readonly ports: MediaPorts;
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
}
