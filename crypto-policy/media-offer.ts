/**
 * What the policy needs to know about one offered m-line: plain data, filled from the parsed SDP
 * by `from-sdp.ts` (or by hand in tests). Session-level a=fingerprint/a=setup are already
 * inherited into each media here (RFC 8122 s5, RFC 4145 s4).
 */
import type { CryptoAttribute } from '../sdp/crypto-attribute.ts';

export type SetupRole = 'actpass' | 'active' | 'passive' | 'holdconn';

export interface OfferedFingerprint {
  /** Hash function token as offered (RFC 8122 s5), e.g. `sha-256`. */
  readonly hash: string;
}

export interface MediaOffer {
  /** 0-based position of the m-line in the offer. */
  readonly index: number;
  /** `audio`, `video`, `application`, ... */
  readonly kind: string;
  readonly port: number;
  /** Transport protocol, e.g. `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `RTP/AVP`. */
  readonly proto: string;
  /** Format list (payload types) as offered. */
  readonly formats: readonly string[];
  readonly crypto: readonly CryptoAttribute[];
  /** a=crypto lines the parser could not read: tag if known and the parse reason (never the line). */
  readonly malformedCrypto: readonly { readonly tag: number | null; readonly reason: string }[];
  readonly fingerprints: readonly OfferedFingerprint[];
  /** a=setup; null when absent. */
  readonly setup: SetupRole | null;
  /**
   * Index of the other half of a dual m-line offer (sdp/ `findDualPairs`: one RTP/SAVP and one
   * RTP/AVP m-line for the same stream); absent when not paired.
   */
  readonly dualOf?: number;
}
