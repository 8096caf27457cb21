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
 * - With the native engine installed (native-binding.ts), `native` holds OpenSSL contexts keyed
 *   once for this key, and `transform` is the native one; otherwise node:crypto as above.
 *   The transform travels with the key so a key and the code that uses it always agree.
 */
import { createCipheriv, createSecretKey } from 'node:crypto';
import type { Cipheriv, KeyObject } from 'node:crypto';
import type { RawSessionKeys } from './kdf.ts';
import { nativeSrtp } from './native-binding.ts';
import type { NativeHandle, SrtpNativeBinding } from './native-binding.ts';
import type { SrtpSuite } from './suites.ts';
import { aesCmTransform } from './transform-cm.ts';
import { nativeCmTransform } from './transform-cm-native.ts';
import { aesGcmTransform } from './transform-gcm.ts';
import { nativeGcmTransform } from './transform-gcm-native.ts';
import type { SrtpTransform } from './transform.ts';

/** OpenSSL contexts for one direction key (native engine). */
export interface NativeKeys {
  readonly binding: SrtpNativeBinding;
  /** AES-CTR (AES-CM suites) or AES-GCM context. */
  readonly cipher: NativeHandle;
  /** HMAC-SHA1 context; null for AEAD. */
  readonly mac: NativeHandle | null;
}

export interface DirectionKeys {
  readonly suite: SrtpSuite;
  /** Session salt (14 octets AES-CM, 12 octets GCM). */
  readonly salt: Buffer;
  /** AES key for node:crypto's per-packet GCM objects; null with the native engine. */
  readonly cipherKey: KeyObject | null;
  /** `aes-128-gcm` / `aes-256-gcm`; unused by AES-CM. */
  readonly gcmAlgorithm: 'aes-128-gcm' | 'aes-256-gcm';
  /** AES-ECB over counter blocks = AES-CM keystream; null for GCM. */
  readonly ecb: Cipheriv | null;
  /** HMAC-SHA1 key; null for AEAD. */
  readonly authKey: KeyObject | null;
  /** Native contexts when the native engine was installed as this key was prepared. */
  readonly native: NativeKeys | null;
  /** The transform for this key's suite and engine. */
  readonly transform: SrtpTransform;
}

export function prepareKeys(suite: SrtpSuite, raw: RawSessionKeys): DirectionKeys {
  const binding = nativeSrtp();
  if (binding !== null) {
    const native: NativeKeys = suite.aead
      ? { binding, cipher: binding.gcmNew(raw.encryptionKey), mac: null }
      : { binding, cipher: binding.ctrNew(raw.encryptionKey), mac: binding.hmacNew(raw.authKey) };
    return {
      suite,
      salt: Buffer.from(raw.salt),
      cipherKey: null,
      gcmAlgorithm: suite.keyLength === 32 ? 'aes-256-gcm' : 'aes-128-gcm',
      ecb: null,
      authKey: null,
      native,
      transform: suite.aead ? nativeGcmTransform : nativeCmTransform,
    };
  }
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
    native: null,
    transform: suite.aead ? aesGcmTransform : aesCmTransform,
  };
}

/** RTP and RTCP keys derived from one master key (for one r when KDR is non-zero). */
export interface KeySet {
  readonly rtp: DirectionKeys;
  readonly rtcp: DirectionKeys;
}
