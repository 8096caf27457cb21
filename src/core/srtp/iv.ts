/**
 * SRTP/SRTCP IVs, written into a caller's scratch buffer (no allocation per packet).
 *
 * AES-CM (RFC 3711 s4.1.1): IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i.e. the
 * 14-octet salt in octets 0..13 with SSRC XORed into 4..7 and the 48-bit index (ROC || SEQ)
 * into 8..13; octets 14..15 are the block counter, left to the caller. SRTCP XORs its 31-bit
 * index into octets 10..13 instead.
 *
 * AES-GCM (RFC 7714 s8.1, s9.1): 12 octets, salt XOR (00 00 | SSRC | ROC | SEQ); SRTCP puts
 * 00 00 | index (31 bits) where ROC | SEQ would be.
 */

/** iv[0..14) for SRTP AES-CM. */
export function cmRtpIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, roc: number, seq: number): void {
  for (let i = 0; i < 14; i++) iv[i] = salt[i] ?? 0;
  iv[4] = (iv[4] ?? 0) ^ (ssrc >>> 24);
  iv[5] = (iv[5] ?? 0) ^ ((ssrc >>> 16) & 0xff);
  iv[6] = (iv[6] ?? 0) ^ ((ssrc >>> 8) & 0xff);
  iv[7] = (iv[7] ?? 0) ^ (ssrc & 0xff);
  iv[8] = (iv[8] ?? 0) ^ (roc >>> 24);
  iv[9] = (iv[9] ?? 0) ^ ((roc >>> 16) & 0xff);
  iv[10] = (iv[10] ?? 0) ^ ((roc >>> 8) & 0xff);
  iv[11] = (iv[11] ?? 0) ^ (roc & 0xff);
  iv[12] = (iv[12] ?? 0) ^ (seq >>> 8);
  iv[13] = (iv[13] ?? 0) ^ (seq & 0xff);
}

/** iv[0..14) for SRTCP AES-CM. */
export function cmRtcpIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, index: number): void {
  cmRtpIv(iv, salt, ssrc, 0, 0);
  iv[10] = (iv[10] ?? 0) ^ (index >>> 24);
  iv[11] = (iv[11] ?? 0) ^ ((index >>> 16) & 0xff);
  iv[12] = (iv[12] ?? 0) ^ ((index >>> 8) & 0xff);
  iv[13] = (iv[13] ?? 0) ^ (index & 0xff);
}

/** iv[0..12) for SRTP AES-GCM. */
export function gcmRtpIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, roc: number, seq: number): void {
  iv[0] = salt[0] ?? 0;
  iv[1] = salt[1] ?? 0;
  iv[2] = (salt[2] ?? 0) ^ (ssrc >>> 24);
  iv[3] = (salt[3] ?? 0) ^ ((ssrc >>> 16) & 0xff);
  iv[4] = (salt[4] ?? 0) ^ ((ssrc >>> 8) & 0xff);
  iv[5] = (salt[5] ?? 0) ^ (ssrc & 0xff);
  iv[6] = (salt[6] ?? 0) ^ (roc >>> 24);
  iv[7] = (salt[7] ?? 0) ^ ((roc >>> 16) & 0xff);
  iv[8] = (salt[8] ?? 0) ^ ((roc >>> 8) & 0xff);
  iv[9] = (salt[9] ?? 0) ^ (roc & 0xff);
  iv[10] = (salt[10] ?? 0) ^ (seq >>> 8);
  iv[11] = (salt[11] ?? 0) ^ (seq & 0xff);
}

/** iv[0..12) for SRTCP AES-GCM: the SRTP shape with ROC's high half zero. */
export function gcmRtcpIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, index: number): void {
  gcmRtpIv(iv, salt, ssrc, index >>> 16, index & 0xffff);
}

/** E flag and 31-bit SRTCP index (RFC 3711 s3.4) at buf[pos..pos+4). */
export function writeSrtcpTrailer(buf: Uint8Array, pos: number, index: number, encrypted: boolean): void {
  buf[pos] = (encrypted ? 0x80 : 0) | ((index >>> 24) & 0x7f);
  buf[pos + 1] = (index >>> 16) & 0xff;
  buf[pos + 2] = (index >>> 8) & 0xff;
  buf[pos + 3] = index & 0xff;
}
