/**
 * The native SRTP primitives (native/srtp-crypto.c) as the core sees them, and the one
 * process-wide choice of engine.
 *
 * The core does not load the addon (no filesystem here): an adapter loads and self-tests it
 * (src/adapters/media/native-srtp.ts) and installs it with `useNativeSrtp` at start-up, before
 * any session exists. Keys prepared afterwards carry native handles and the native transforms
 * (session-keys.ts); keys prepared before keep node:crypto, so a session never mixes engines
 * within one key.
 *
 * Handles are opaque: each holds OpenSSL contexts keyed once (the AES key schedule, the GHASH
 * key, the HMAC pads), freed and cleansed when the handle is garbage-collected.
 */
declare const handleBrand: unique symbol;
export type NativeHandle = { readonly [handleBrand]: true };

export interface SrtpNativeBinding {
  /** OpenSSL version string of the library the addon runs on (Node's own). */
  readonly openssl: string;
  ctrNew(key: Uint8Array): NativeHandle;
  /** dst[dstOff..+len) = src[srcOff..+len) XOR AES-CTR keystream starting at the 16-octet iv. */
  ctrXor(h: NativeHandle, iv: Uint8Array, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void;
  hmacNew(key: Uint8Array): NativeHandle;
  /** HMAC-SHA1 over data[off..+len) || ROC (when roc >= 0; -1 for none), first tagLen octets to out[outOff]. */
  hmacTag(h: NativeHandle, data: Uint8Array, off: number, len: number, roc: number, out: Uint8Array, outOff: number, tagLen: number): void;
  /** Constant-time check of the same tag against tag[tagOff..+tagLen). */
  hmacVerify(h: NativeHandle, data: Uint8Array, off: number, len: number, roc: number, tag: Uint8Array, tagOff: number, tagLen: number): boolean;
  gcmNew(key: Uint8Array): NativeHandle;
  /** Ciphertext of src[srcOff..+len) to dst[dstOff..+len), the 16-octet tag right after it. */
  gcmSeal(h: NativeHandle, iv: Uint8Array, aad: Uint8Array, aadOff: number, aadLen: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void;
  /** Verifies and decrypts; writes dst[dstOff..+len) only when the tag verified. */
  gcmOpen(h: NativeHandle, iv: Uint8Array, aad: Uint8Array, aadOff: number, aadLen: number, src: Uint8Array, srcOff: number, len: number, tag: Uint8Array, tagOff: number, dst: Uint8Array, dstOff: number): boolean;
}

let installed: SrtpNativeBinding | null = null;

/** Installs (or, with null, removes) the native engine for keys prepared from now on. */
export function useNativeSrtp(binding: SrtpNativeBinding | null): void {
  installed = binding;
}

export function nativeSrtp(): SrtpNativeBinding | null {
  return installed;
}

/** `native` or `node` (node:crypto): what keys prepared now would use. */
export function srtpEngineName(): 'native' | 'node' {
  return installed === null ? 'node' : 'native';
}
