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

export function decodeBase64Lenient(text: string, start = 0, stop = text.length): Uint8Array | undefined {
  // Decodes text[start, stop) (callers pass offsets to avoid slicing the key out of a line).
  let end = stop;
  let pad = 0;
  while (end > start && text.charCodeAt(end - 1) === 61 && pad < 2) {
    end--;
    pad++;
  }
  const n = end - start;
  if (n === 0) return undefined;
  const rem = n % 4;
  if (rem === 1) return undefined; // 6 bits cannot encode a byte
  if (pad > 0 && (n + pad) % 4 !== 0) return undefined; // padding present but wrong
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let i = start;
  // Whole quads: 4 characters -> 3 bytes (one validity test per quad).
  for (const quads = start + n - rem; i < quads; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 128) return undefined;
    const a = DECODE[c0] as number;
    const b = DECODE[c1] as number;
    const c = DECODE[c2] as number;
    const d = DECODE[c3] as number;
    if ((a | b | c | d) < 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  // 2 or 3 characters left: 1 or 2 more bytes; their low bits are dropped (tolerated, above).
  let acc = 0;
  let bits = 0;
  for (; i < end; i++) {
    const ch = text.charCodeAt(i);
    const v = ch < 128 ? (DECODE[ch] as number) : -1;
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
 * Canonical output: padded, standard alphabet. Built from character codes with one
 * String.fromCharCode per chunk: SRTP keys are fresh on-heap arrays (crypto-policy/csprng.ts),
 * and handing one to Buffer first makes V8 move its bytes to a new off-heap buffer, which
 * costs more than encoding 30-46 bytes here. Checked against encodeBase64Portable in test/unit/sdp.
 */
export function encodeBase64(bytes: Uint8Array): string {
  const full = bytes.length - (bytes.length % 3);
  let out = '';
  for (let start = 0; start < full; start += CHUNK_BYTES) {
    const end = Math.min(full, start + CHUNK_BYTES);
    const codes = new Array<number>(((end - start) / 3) * 4);
    let k = 0;
    for (let i = start; i < end; i += 3) {
      const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
      codes[k++] = CODES[n >> 18] as number;
      codes[k++] = CODES[(n >> 12) & 63] as number;
      codes[k++] = CODES[(n >> 6) & 63] as number;
      codes[k++] = CODES[n & 63] as number;
    }
    out += String.fromCharCode.apply(null, codes);
  }
  const left = bytes.length - full;
  if (left === 1) {
    const n = (bytes[full] as number) << 16;
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}==`;
  } else if (left === 2) {
    const n = ((bytes[full] as number) << 16) | ((bytes[full + 1] as number) << 8);
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
  }
  return out;
}

/** Bytes per String.fromCharCode call (a multiple of 3; keeps the argument count small). */
const CHUNK_BYTES = 3 * 1024;
const CODES = new Uint8Array(64);
for (let i = 0; i < 64; i++) CODES[i] = ALPHABET.charCodeAt(i);

/** The straightforward RFC 4648 4 encoder, the reference encodeBase64 is tested against. */
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
