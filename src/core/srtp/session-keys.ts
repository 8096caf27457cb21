/**
 * Session keys prepared for the per-packet path: everything that can be built once per key is
 * built here, so protect/unprotect only pays for what Node's API makes unavoidable
 * (see docs/srtp-performance.md).
 *
 * - `cipherKey` is a KeyObject, not a Buffer: createCipheriv()/createHmac() given a Buffer key
 *   wrap it into a fresh native key handle on every call, which measured ~9 us of the ~13 us an
 *   AES-GCM packet cost (Node 24); with a KeyObject the same call costs ~4.5 us.
 * - `ecb` is one AES-ECB cipher (no padding) kept for the key's life: AES-CM keystream is
 *   AES(counter block) and ECB over a buffer of counter blocks yields exactly that, without a
 *   cipher object per packet. ECB update() keeps no state between calls when fed whole blocks.
 */
import { createCipheriv, createSecretKey } from 'node:crypto';
import type { Cipheriv, KeyObject } from 'node:crypto';
import type { RawSessionKeys } from './kdf.ts';
import type { SrtpSuite } from './suites.ts';

export interface DirectionKeys {
  readonly suite: SrtpSuite;
  /** Session salt (14 octets AES-CM, 12 octets GCM). */
  readonly salt: Buffer;
  readonly cipherKey: KeyObject;
  /** `aes-128-gcm` / `aes-256-gcm`; unused by AES-CM. */
  readonly gcmAlgorithm: 'aes-128-gcm' | 'aes-256-gcm';
  /** AES-ECB over counter blocks = AES-CM keystream; null for GCM. */
  readonly ecb: Cipheriv | null;
  /** HMAC-SHA1 key; null for AEAD. */
  readonly authKey: KeyObject | null;
}

export function prepareKeys(suite: SrtpSuite, raw: RawSessionKeys): DirectionKeys {
  let ecb: Cipheriv | null = null;
  if (!suite.aead) {
    ecb = createCipheriv(suite.keyLength === 32 ? 'aes-256-ecb' : 'aes-128-ecb', raw.encryptionKey, null);
    ecb.setAutoPadding(false);
  }
  return {
    suite,
    salt: Buffer.from(raw.salt),
    cipherKey: createSecretKey(raw.encryptionKey),
    gcmAlgorithm: suite.keyLength === 32 ? 'aes-256-gcm' : 'aes-128-gcm',
    ecb,
    authKey: suite.authKeyLength === 0 ? null : createSecretKey(raw.authKey),
  };
}

/** RTP and RTCP keys derived from one master key (for one r when KDR is non-zero). */
export interface KeySet {
  readonly rtp: DirectionKeys;
  readonly rtcp: DirectionKeys;
}
