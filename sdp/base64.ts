/**
 * Base64 (RFC 4648 4, standard alphabet) for SDES key material. Decoding is lenient about
 * padding only: RFC 4568 9.1 key-salt is `1*(base64)` and real peers send unpadded keys
 * (rtpengine without `pad-crypto`, sipwise/rtpengine#1197), so '=' is optional. A wrong
 * alphabet or an impossible length returns undefined; callers build the error so that no key
 * text ever reaches a message. Non-zero trailing bits are tolerated, as most decoders do.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function decodeBase64Lenient(text: string): Uint8Array | undefined {
  let end = text.length;
  let pad = 0;
  while (end > 0 && text.charCodeAt(end - 1) === 61 && pad < 2) {
    end--;
    pad++;
  }
  if (end === 0) return undefined;
  const rem = end % 4;
  if (rem === 1) return undefined; // 6 bits cannot encode a byte
  if (pad > 0 && (end + pad) % 4 !== 0) return undefined; // padding present but wrong
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (DECODE[c] as number) : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Canonical output: padded, standard alphabet. Node's native encoder writes exactly that (a
 * view on the same memory, no copy); the loop below is the portable reference, kept for
 * runtimes without Buffer and checked against it in test/unit/sdp.
 */
export function encodeBase64(bytes: Uint8Array): string {
  if (typeof Buffer === 'function') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return encodeBase64Portable(bytes);
}

export function encodeBase64Portable(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    s += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}${ALPHABET[n & 63]}`;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = (bytes[i] as number) << 16;
    s += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}==`;
  } else if (left === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    s += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
  }
  return s;
}
