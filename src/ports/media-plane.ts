/**
 * The media plane as the call layer sees it (DESIGN.md "Media"); src/adapters/media/media-plane.ts
 * implements it. Narrow on purpose: open a leg of a kind, join/leave a room's mix or relay.
 */
import type { Fingerprint } from '../../sdp/index.ts';
import type { DtlsLegPlan } from '../app/dtls-leg-plan.ts';
import type { SdesLegPlan } from '../app/sdes-leg-plan.ts';

/** What kind of media leg to open for an accepted audio m-line. */
export type LegRequest =
  | { readonly kind: 'sdes'; readonly plan: SdesLegPlan }
  /** DTLS-SRTP over plain UDP (SIP endpoints without ICE) */
  | { readonly kind: 'dtls-udp'; readonly plan: DtlsLegPlan }
  /** browser guest: ICE-lite + DTLS-SRTP; the leg writes its own answer */
  | { readonly kind: 'webrtc'; readonly plan: DtlsLegPlan; readonly offerSdp: string };

export interface OpenedLeg {
  /** Our RTP port for the answer (null when the leg wrote the answer itself). */
  readonly localPort: number | null;
  /** The complete answer, for legs that produce their own (WebRTC). */
  readonly answerSdp: string | null;
  readonly leg: MediaLegHandle;
  /** DTLS legs: resolves when keyed, with the suite and the client's use_srtp list. */
  readonly keyed: Promise<{ readonly suite: string; readonly peerProfiles: readonly number[] | undefined }> | null;
}

/** The media plane as the call layer sees it (src/adapters/media implements it in main.ts). */
export interface MediaPlane {
  /** Our DTLS certificate fingerprint for a=fingerprint. */
  localFingerprint(): Promise<Fingerprint>;
  /** Binds sockets and starts a leg of the requested kind. */
  openLeg(id: string, request: LegRequest): Promise<OpenedLeg>;
  /** Adds the leg to the room's mix/relay (creating the room's media on first use); throws
   * a GatehouseError with a sipStatus when the room cannot serve it. */
  join(roomId: string, leg: MediaLegHandle): void;
  /** Removes the leg (if joined) and closes it; closes the room's media when it was the last. */
  leave(roomId: string, leg: MediaLegHandle): Promise<void>;
  /** Takeover: binds sockets for an SDES leg whose plan is known only after the re-INVITE. */
  reserveSdes(rtcpMux: boolean): Promise<ReservedSdesMedia>;
}

export interface ReservedSdesMedia {
  readonly rtpPort: number;
  /** null: rtcp-mux (RFC 5761). */
  readonly rtcpPort: number | null;
  /** Starts the leg on the reserved sockets (once); the leg then owns them. */
  start(id: string, plan: SdesLegPlan): MediaLegHandle;
  /** Frees the sockets if the leg was never started. */
  release(): Promise<void>;
}

export interface MediaLegHandle {
  readonly id: string;
  updateDirection(direction: SdesLegPlan['peerDirection']): void;
}

