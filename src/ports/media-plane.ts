/**
 * The media plane as the call layer sees it (DESIGN.md "Media"); src/adapters/media/media-plane.ts
 * implements it. Narrow on purpose: open a leg of a kind, join/leave a room's mix or relay.
 */
import type { Fingerprint } from '../../sdp/index.ts';
import type { DtlsLegPlan } from '../app/dtls-leg-plan.ts';
import type { SdesLegPlan } from '../app/sdes-leg-plan.ts';
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../core/srtp/index.ts';
import type { VideoLegPlan } from '../app/video-plan.ts';

/** What kind of media leg to open for an accepted audio m-line. */
export type LegRequest =
  /** `video`: the accepted video m-line, its own SRTP stream and ports (src/app/video-plan.ts) */
  | { readonly kind: 'sdes'; readonly plan: SdesLegPlan; readonly video?: VideoLegPlan }
  /** DTLS-SRTP over plain UDP (SIP endpoints without ICE) */
  | { readonly kind: 'dtls-udp'; readonly plan: DtlsLegPlan }
  /** browser guest: ICE-lite + DTLS-SRTP; the leg writes its own answer; `video`: accept the
   * bundled video m-line (a sendrecv video transceiver), else it is answered with port 0 */
  | { readonly kind: 'webrtc'; readonly plan: DtlsLegPlan; readonly offerSdp: string; readonly video?: VideoLegPlan };

export interface OpenedLeg {
  /** Our RTP port for the answer (null when the leg wrote the answer itself). */
  readonly localPort: number | null;
  /** The complete answer, for legs that produce their own (WebRTC). */
  readonly answerSdp: string | null;
  readonly leg: MediaLegHandle;
  /** SDES legs with video: our RTP port of the video m-line. */
  readonly videoPort?: number;
  /** Legs that write their own answer: why they declined the offered video, if they did. */
  readonly videoDeclined?: string | null;
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
  /**
   * Takeover: binds sockets for an SDES leg whose plan is known only after the re-INVITE;
   * `video`: a second pair for the leg's video m-line (its own SRTP stream, sdes-video.ts).
   */
  reserveSdes(rtcpMux: boolean, video?: { readonly rtcpMux: boolean }): Promise<ReservedSdesMedia>;
  /**
   * Takeover of a DTLS-SRTP SIP leg (src/app/takeover-dtls.ts): binds sockets before the
   * re-INVITE; the leg then either continues the stored DTLS association (`resume`, the old
   * owner's exported SRTP keys and certificate) or runs a new handshake (`handshake`, our own
   * certificate). `identity`: the stored certificate to present (resume); default ours.
   */
  reserveDtls(rtcpMux: boolean, identity?: StoredDtlsIdentity): Promise<ReservedDtlsMedia>;
}

/** A DTLS certificate and private key as stored in a call record (the key is sealed there). */
export interface StoredDtlsIdentity {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** What a DTLS-SRTP leg's association yielded: kept in the call record for a takeover. Secret. */
export interface DtlsLegSecrets {
  readonly suite: SrtpSuiteName;
  readonly role: 'server' | 'client';
  /** Keys we protect with (RFC 5764 4.2: the keys of our role). */
  readonly local: SrtpMasterKeyConfig;
  /** Keys the peer protects with. */
  readonly remote: SrtpMasterKeyConfig;
  readonly identity: StoredDtlsIdentity;
  /** Our a=fingerprint (RFC 8122 5). */
  readonly localFingerprint: Fingerprint;
}

/**
 * Continuing a stored DTLS association on new sockets: keyed at once with the stored SRTP keys;
 * a new handshake in `role` (with `profiles`, verified against `remoteFingerprints`) replaces
 * them if the peer runs one (dtls-udp-leg.ts).
 */
export interface DtlsResumePlan extends DtlsLegPlan {
  readonly suite: SrtpSuiteName;
  readonly localKey: SrtpMasterKeyConfig;
  readonly remoteKey: SrtpMasterKeyConfig;
}

export interface ReservedDtlsMedia {
  readonly rtpPort: number;
  /** null: rtcp-mux (RFC 5761). */
  readonly rtcpPort: number | null;
  /** The fingerprint of the certificate the leg will present. */
  readonly fingerprint: Fingerprint;
  /** Starts a leg that runs a new DTLS handshake (once). */
  handshake(id: string, plan: DtlsLegPlan): { readonly leg: MediaLegHandle; readonly keyed: NonNullable<OpenedLeg['keyed']> };
  /** Starts a leg keyed at once with the stored association's SRTP keys (once). */
  resume(id: string, plan: DtlsResumePlan): MediaLegHandle;
  /** Frees the sockets if no leg was started. */
  release(): Promise<void>;
}

export interface ReservedSdesMedia {
  readonly rtpPort: number;
  /** null: rtcp-mux (RFC 5761). */
  readonly rtcpPort: number | null;
  /** The sockets reserved for video (reserveSdes with `video`), else absent. */
  readonly video?: { readonly rtpPort: number; readonly rtcpPort: number | null };
  /**
   * Starts the leg on the reserved sockets (once); the leg then owns them. `video`: start its
   * video stream on the reserved video sockets too; without it those are freed.
   */
  start(id: string, plan: SdesLegPlan, video?: VideoLegPlan): MediaLegHandle;
  /** Frees the sockets if the leg was never started. */
  release(): Promise<void>;
}

export interface MediaLegHandle {
  readonly id: string;
  updateDirection(direction: SdesLegPlan['peerDirection']): void;
  /**
   * SDES legs: a re-INVITE changed keys and/or the peer's address (src/app/reinvite.ts). Applied
   * at once; the old receive context stays usable for a short grace window (media-leg.ts).
   * Throws for legs that are not keyed by SDES.
   */
  rekey(update: LegRekey): void;
  /**
   * DTLS-SRTP SIP legs: the association's SRTP keys and our certificate once keyed (resolves
   * null when the handshake fails), so the call record lets a new owner continue it. Absent
   * on other legs.
   */
  readonly dtlsSecrets?: () => Promise<DtlsLegSecrets | null>;
  /**
   * Legs with video: the peer asked for a key frame of the video it receives (SIP INFO
   * picture_fast_update, RFC 5168), handled like its PLI. False when the leg has no video.
   */
  readonly videoKeyFrameRequest?: () => boolean;
  /**
   * SRTP legs: the highest authenticated index of each stream the peer sends (RFC 3711 3.3.1,
   * ROC * 2^16 + SEQ), stored with the call so a new owner that keeps decrypting with the same
   * key does not restart at ROC 0 (a call longer than 65,536 packets).
   */
  readonly inboundIndexes?: () => readonly InboundIndex[];
  /**
   * Continue the peer's streams from these indexes (takeover): the audio stream's context when
   * `which.audio`, the video stream's when `which.video` (each only if the peer kept that
   * stream's key: a new key starts a new context at ROC 0). Indexes are matched by SSRC.
   */
  readonly primeInbound?: (streams: readonly InboundIndex[], which?: { readonly audio: boolean; readonly video: boolean }) => void;
}

export interface InboundIndex {
  readonly ssrc: number;
  /** RFC 3711 packet index: ROC * 2^16 + SEQ. */
  readonly index: number;
  /** 'video': the leg's video stream (its own SRTP context); absent: the audio stream. */
  readonly stream?: 'video';
}

/** What a re-keying re-INVITE changes on one SRTP stream of an SDES leg; absent fields stay as they are. */
export interface LegStreamRekey {
  /** New suite (the policy chose another a=crypto line): then both keys must be given. */
  readonly suite?: SrtpSuiteName;
  /** The peer's new key (RFC 4568 7.1.4): a fresh receive context, ROC 0, empty replay window. */
  readonly remoteKey?: SrtpMasterKeyConfig;
  /** Our new key: a fresh send context. */
  readonly localKey?: SrtpMasterKeyConfig;
  /** The peer's new c=/m= (RFC 3264 8.3.1): the source latch restarts there (docs/media-latching.md). */
  readonly remote?: { readonly address: string; readonly rtpPort: number; readonly rtcpPort: number };
}

/**
 * What a re-keying re-INVITE changes on an SDES leg: its audio stream (the fields of
 * LegStreamRekey) and, `video`, its video stream (own a=crypto and address, RFC 4568 6;
 * src/app/reinvite-video.ts), or 'stop' when the re-offer disabled video (port 0, RFC 3264 8.2).
 * Both are applied in one synchronous step, before the answer.
 */
export interface LegRekey extends LegStreamRekey {
  readonly video?: LegStreamRekey | 'stop';
}
