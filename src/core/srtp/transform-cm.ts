/**
 * AES counter mode + HMAC-SHA1 (RFC 3711 s4.1.1, s4.2.1; AES-256 per RFC 6188 s4).
 *
 * Keystream: block j of the keystream is AES_k(IV + j) with
 *   IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)
 * i.e. the 14-octet session salt in octets 0..13, SSRC XORed into octets 4..7, the 48-bit
 * packet index (SRTP) or 31-bit SRTCP index XORed into octets 8..13, and the 16-bit block
 * counter in octets 14..15. We build all counter blocks of a packet in one scratch buffer and run
 * the key's long-lived AES-ECB cipher over it once: one native call, no cipher object per packet.
 *
 * Tag (s4.2): HMAC-SHA1(k_a, authenticated portion || ROC) for SRTP, HMAC-SHA1(k_a,
 * authenticated portion incl. E+index) for SRTCP, truncated to the suite's tag length. The
 * receiver verifies before decrypting (s3.3 step 5) and compares in constant time.
 */
import { createHmac } from 'node:crypto';
import { appendMki, copyBytes } from './copy.ts';
import { cmRtcpIv, cmRtpIv } from './iv.ts';
import type { DirectionKeys } from './session-keys.ts';
import type { SrtpTransform } from './transform.ts';

// Module scratch: the path is synchronous, so one set of buffers serves every session.
let counterBlocks = Buffer.alloc(2048);
let counterViews: Buffer[] = [];
const iv = Buffer.alloc(16);
const rocBytes = Buffer.alloc(4);

function counterView(blocks: number): Buffer {
  const need = blocks * 16;
  if (need > counterBlocks.length) {
    counterBlocks = Buffer.alloc(Math.max(need, counterBlocks.length * 2));
    counterViews = [];
  }
  let v = counterViews[blocks];
  if (v === undefined) {
    v = counterBlocks.subarray(0, need);
    counterViews[blocks] = v;
  }
  return v;
}

/** dst[dstStart..+len) = src[srcStart..+len) XOR keystream(iv). */
function xorKeystream(k: DirectionKeys, src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, len: number): void {
  if (len === 0) return;
  const blocks = (len + 15) >>> 4;
  const view = counterView(blocks);
  for (let b = 0; b < blocks; b++) {
    const o = b << 4;
    for (let i = 0; i < 14; i++) view[o + i] = iv[i] ?? 0;
    view[o + 14] = b >>> 8;
    view[o + 15] = b & 0xff;
  }
  // update() on whole blocks returns exactly `blocks` blocks (no padding, no carry-over)
  const ks = (k.ecb as NonNullable<DirectionKeys['ecb']>).update(view);
  for (let i = 0; i < len; i++) dst[dstStart + i] = (src[srcStart + i] ?? 0) ^ (ks[i] ?? 0);
}

function view(buf: Uint8Array, end: number): Uint8Array {
  return end === buf.length ? buf : buf.subarray(0, end);
}

function hmac(k: DirectionKeys, data: Uint8Array, end: number, roc: number | null): Buffer {
  const h = createHmac('sha1', k.authKey as NonNullable<DirectionKeys['authKey']>);
  h.update(view(data, end));
  if (roc !== null) {
    rocBytes.writeUInt32BE(roc, 0);
    h.update(rocBytes);
  }
  return h.digest();
}

function tagMatches(digest: Buffer, packet: Uint8Array, tagOffset: number, tagLength: number): boolean {
  let diff = 0;
  for (let i = 0; i < tagLength; i++) diff |= (digest[i] ?? 0) ^ (packet[tagOffset + i] ?? 0);
  return diff === 0;
}

export const aesCmTransform: SrtpTransform = {
  protectRtp(k, packet, headerLength, ssrc, roc, seq, mki, out) {
    const end = packet.length;
    copyBytes(packet, 0, out, 0, headerLength);
    cmRtpIv(iv, k.salt, ssrc, roc, seq);
    xorKeystream(k, packet, headerLength, out, headerLength, end - headerLength);
    const pos = appendMki(out, end, mki);
    const tagLength = k.suite.rtpTagLength;
    const digest = hmac(k, out, end, roc);
    for (let i = 0; i < tagLength; i++) out[pos + i] = digest[i] ?? 0;
    return pos + tagLength;
  },

  unprotectRtp(k, packet, headerLength, payloadEnd, tagOffset, ssrc, roc, seq, out) {
    const digest = hmac(k, packet, payloadEnd, roc);
    if (!tagMatches(digest, packet, tagOffset, k.suite.rtpTagLength)) return false;
    copyBytes(packet, 0, out, 0, headerLength);
    cmRtpIv(iv, k.salt, ssrc, roc, seq);
    xorKeystream(k, packet, headerLength, out, headerLength, payloadEnd - headerLength);
    return true;
  },

  protectRtcp(k, packet, ssrc, index, mki, out) {
    const end = packet.length;
    copyBytes(packet, 0, out, 0, 8);
    cmRtcpIv(iv, k.salt, ssrc, index);
    xorKeystream(k, packet, 8, out, 8, end - 8);
    // E flag set: we always encrypt SRTCP (RFC 3711 s3.4)
    out[end] = 0x80 | ((index >>> 24) & 0x7f);
    out[end + 1] = (index >>> 16) & 0xff;
    out[end + 2] = (index >>> 8) & 0xff;
    out[end + 3] = index & 0xff;
    const pos = appendMki(out, end + 4, mki);
    const tagLength = k.suite.rtcpTagLength;
    const digest = hmac(k, out, end + 4, null);
    for (let i = 0; i < tagLength; i++) out[pos + i] = digest[i] ?? 0;
    return pos + tagLength;
  },

  unprotectRtcp(k, packet, bodyEnd, tagOffset, trailerOffset, ssrc, index, encrypted, out) {
    // authenticated portion: header, body and E+index, contiguous in the AES-CM layout
    const digest = hmac(k, packet, trailerOffset + 4, null);
    if (!tagMatches(digest, packet, tagOffset, k.suite.rtcpTagLength)) return false;
    if (encrypted) {
      copyBytes(packet, 0, out, 0, 8);
      cmRtcpIv(iv, k.salt, ssrc, index);
      xorKeystream(k, packet, 8, out, 8, bodyEnd - 8);
    } else {
      copyBytes(packet, 0, out, 0, bodyEnd);
    }
    return true;
  },
};

/** Test hook: the raw AES-CM keystream for an IV given as (salt, ssrc, roc, seq), on the key's engine. */
export function aesCmKeystream(k: DirectionKeys, ssrc: number, roc: number, seq: number, length: number): Buffer {
  const zeros = Buffer.alloc(length);
  const out = Buffer.alloc(length);
  cmRtpIv(iv, k.salt, ssrc, roc, seq);
  if (k.native !== null) {
    iv[14] = 0;
    iv[15] = 0;
    k.native.binding.ctrXor(k.native.cipher, iv, zeros, 0, out, 0, length);
  } else {
    xorKeystream(k, zeros, 0, out, 0, length);
  }
  return out;
}
