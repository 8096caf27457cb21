/**
 * Options of a DTLS-SRTP SIP leg over plain UDP (dtls-udp-leg.ts) and what it reports of its
 * association; kept apart so the leg's file stays about the leg.
 */
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../../core/srtp/index.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import type { SipLegOptions } from '../media/sip-leg-options.ts';
import type { DtlsIdentity } from './dtls-certificate.ts';

export interface DtlsUdpLegOptions extends SipLegOptions {
  /** Our DTLS role (crypto-policy DtlsSelection.role): 'server' when we answer a=setup:passive. */
  readonly role: 'server' | 'client';
  /** use_srtp ids in policy order (DtlsSelection.useSrtpProfileIds). */
  readonly profiles: readonly number[];
  /** The offer's a=fingerprint lines (sdp `fingerprints()`). */
  readonly remoteFingerprints: readonly Fingerprint[];
  /** Defaults to the process-wide identity (createDtlsUdpLeg). */
  readonly identity: DtlsIdentity;
  /**
   * Takeover: continue a stored association with these SRTP keys (RTP; with rtcp-mux RTCP too)
   * instead of a handshake. Without rtcp-mux, RTCP stays off (its association's keys are not kept).
   */
  readonly resume?: DtlsResumeKeys;
  /** Give up on the handshake after this long. Default 20 s (DTLS retransmits up to ~60 s, RFC 6347 s4.2.4.1). */
  readonly handshakeTimeoutMs?: number;
}

/** The SRTP keys of a DTLS-SRTP association (RFC 5764 4.2), ours and the peer's. Secret. */
export interface DtlsResumeKeys {
  readonly suite: SrtpSuiteName;
  readonly local: SrtpMasterKeyConfig;
  readonly remote: SrtpMasterKeyConfig;
}

export interface DtlsNegotiation {
  readonly suite: string;
  readonly profile: number;
  /** The client's use_srtp list when we were DTLS server (for crypto-policy dtlsNegotiated). */
  readonly peerProfiles: readonly number[] | undefined;
  readonly role: 'server' | 'client';
}
