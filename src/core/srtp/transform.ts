/**
 * The per-packet transform contract shared by AES-CM/HMAC-SHA1 (transform-cm.ts) and AES-GCM
 * (transform-gcm.ts). The session has already parsed lengths, picked the key by MKI, estimated
 * the index and checked replay; a transform only does cryptography and byte layout.
 *
 * Layouts (RFC 3711 s3.1/s3.4, RFC 7714 s7/s9 and libsrtp's placement of the MKI):
 *   AES-CM SRTP    header | encrypted payload | MKI | tag
 *   AES-CM SRTCP   header(8) | encrypted body | E+index | MKI | tag
 *   GCM SRTP       header | ciphertext | tag | MKI
 *   GCM SRTCP      header(8) | ciphertext | tag | E+index | MKI
 *
 * `out` may be the very buffer `packet` views (in-place); transforms read every input byte
 * before or while writing the same position, never after.
 */
import type { DirectionKeys } from './session-keys.ts';

export interface SrtpTransform {
  /** Writes the protected packet to out; returns its length. */
  protectRtp(k: DirectionKeys, packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number, mki: Uint8Array | null, out: Uint8Array): number;
  /**
   * Verifies and decrypts; writes header + plaintext payload (payloadEnd octets) to out.
   * `tagOffset` is where the tag starts in packet. Returns false when authentication fails
   * (transforms write to out only after the tag verified).
   */
  unprotectRtp(k: DirectionKeys, packet: Uint8Array, headerLength: number, payloadEnd: number, tagOffset: number, ssrc: number, roc: number, seq: number, out: Uint8Array): boolean;
  /** Encrypts (E=1) with the given SRTCP index; returns the protected length. */
  protectRtcp(k: DirectionKeys, packet: Uint8Array, ssrc: number, index: number, mki: Uint8Array | null, out: Uint8Array): number;
  /**
   * `bodyEnd`: end of the (encrypted) RTCP body; `tagOffset`, `trailerOffset`: where tag and
   * E+index start. Writes the plain RTCP packet (bodyEnd octets) to out.
   */
  unprotectRtcp(k: DirectionKeys, packet: Uint8Array, bodyEnd: number, tagOffset: number, trailerOffset: number, ssrc: number, index: number, encrypted: boolean, out: Uint8Array): boolean;
}
