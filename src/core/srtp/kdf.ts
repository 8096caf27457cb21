/**
 * SRTP key derivation (RFC 3711 s4.3): the AES-CM PRF keyed with the master key.
 *
 *   key_id = label || r          (8-bit label, 48-bit r = index DIV key_derivation_rate)
 *   x      = key_id XOR master_salt   (key_id right-aligned in the 112-bit salt)
 *   output = AES-CM(master_key, IV = x * 2^16), truncated to the wanted length
 *
 * RFC 6188 s5.1: AES-256 suites use the same PRF with AES-256 (a 32-octet master key).
 * RFC 7714 s11: GCM suites use the AES-CM PRF too; their 96-bit master salt is zero-padded on
 * the right to 112 bits (what libsrtp does, checked by the libsrtp interop test) and the
 * session salt is 96 bits. There is no auth key for AEAD suites.
 *
 * Derivation runs once per master key (or once per r when a non-zero KDR is signalled), never
 * per packet, so it may allocate.
 */
import { createCipheriv } from 'node:crypto';
import type { SrtpSuite } from './suites.ts';

export const LABEL_RTP_ENCRYPTION = 0x00;
export const LABEL_RTP_AUTH = 0x01;
export const LABEL_RTP_SALT = 0x02;
export const LABEL_RTCP_ENCRYPTION = 0x03;
export const LABEL_RTCP_AUTH = 0x04;
export const LABEL_RTCP_SALT = 0x05;

/** Raw session keys for one direction of one protocol (RTP or RTCP). */
export interface RawSessionKeys {
  readonly encryptionKey: Buffer;
  readonly salt: Buffer;
  /** Empty for AEAD suites. */
  readonly authKey: Buffer;
}

/**
 * The AES-CM PRF of RFC 3711 s4.3.3. `r` is (index DIV kdr), 0 when kdr is 0; it must be an
 * integer in [0, 2^48).
 */
export function aesCmPrf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, r: number, length: number): Buffer {
  const x = Buffer.alloc(14);
  x.set(masterSalt.subarray(0, 14)); // a 12-octet GCM salt leaves two zero octets on the right
  x[7] = (x[7] ?? 0) ^ label;
  // r occupies octets 8..13 (48 bits, big-endian); split so no bit is lost above 2^32
  const hi = Math.floor(r / 2 ** 32);
  const lo = r >>> 0;
  x[8] = (x[8] ?? 0) ^ ((hi >>> 8) & 0xff);
  x[9] = (x[9] ?? 0) ^ (hi & 0xff);
  x[10] = (x[10] ?? 0) ^ (lo >>> 24);
  x[11] = (x[11] ?? 0) ^ ((lo >>> 16) & 0xff);
  x[12] = (x[12] ?? 0) ^ ((lo >>> 8) & 0xff);
  x[13] = (x[13] ?? 0) ^ (lo & 0xff);
  const blocks = Math.ceil(length / 16);
  const counters = Buffer.alloc(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    counters.set(x, b * 16);
    counters.writeUInt16BE(b, b * 16 + 14);
  }
  const ecb = createCipheriv(masterKey.length === 32 ? 'aes-256-ecb' : 'aes-128-ecb', masterKey, null);
  ecb.setAutoPadding(false);
  const out = Buffer.concat([ecb.update(counters), ecb.final()]);
  return out.subarray(0, length);
}

/** r = index DIV key_derivation_rate (RFC 3711 s4.3.1); 0 when the rate is 0. */
export function kdrIndex(index: number, kdr: number): number {
  return kdr === 0 ? 0 : Math.floor(index / kdr);
}

export function deriveRtpKeys(suite: SrtpSuite, masterKey: Uint8Array, masterSalt: Uint8Array, r = 0): RawSessionKeys {
  return {
    encryptionKey: aesCmPrf(masterKey, masterSalt, LABEL_RTP_ENCRYPTION, r, suite.keyLength),
    salt: aesCmPrf(masterKey, masterSalt, LABEL_RTP_SALT, r, suite.saltLength),
    authKey: suite.authKeyLength === 0 ? Buffer.alloc(0) : aesCmPrf(masterKey, masterSalt, LABEL_RTP_AUTH, r, suite.authKeyLength),
  };
}

export function deriveRtcpKeys(suite: SrtpSuite, masterKey: Uint8Array, masterSalt: Uint8Array, r = 0): RawSessionKeys {
  return {
    encryptionKey: aesCmPrf(masterKey, masterSalt, LABEL_RTCP_ENCRYPTION, r, suite.keyLength),
    salt: aesCmPrf(masterKey, masterSalt, LABEL_RTCP_SALT, r, suite.saltLength),
    authKey: suite.authKeyLength === 0 ? Buffer.alloc(0) : aesCmPrf(masterKey, masterSalt, LABEL_RTCP_AUTH, r, suite.authKeyLength),
  };
}
