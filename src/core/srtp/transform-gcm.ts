/**
 * AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714).
 *
 * IV (s8.1 SRTP, s9.1 SRTCP): 12 octets, session salt XOR
 *   SRTP:  00 00 | SSRC(4) | ROC(4) | SEQ(2)
 *   SRTCP: 00 00 | SSRC(4) | 00 00 | 0 || SRTCP index (31 bits)
 * AAD (s8.2 SRTP): the whole RTP header including CSRCs and extension.
 * AAD (s9.2 SRTCP, s17): encrypted (E=1): first 8 header octets || E+index;
 *   unencrypted (E=0): the whole RTCP packet || E+index, and the plaintext is empty.
 * Tag: 16 octets (s12), appended to the ciphertext; the MKI (if any) follows tag or trailer.
 *
 * Node cannot re-key or re-IV an existing GCM context, so one cipher object per packet is the
 * floor here; it is created from a KeyObject (see session-keys.ts for why that matters), and
 * the IV/AAD live in module scratch buffers (createCipheriv copies the IV).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { SrtpTransform } from './transform.ts';

const TAG = 16;
const iv = Buffer.alloc(12);
const aad = Buffer.alloc(12);
let unencryptedAad = Buffer.alloc(2048);

function rtpIv(salt: Buffer, ssrc: number, roc: number, seq: number): void {
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

function rtcpIv(salt: Buffer, ssrc: number, index: number): void {
  // 00 00 | SSRC | 00 00 | index: the same shape as SRTP with ROC's high half zero
  rtpIv(salt, ssrc, index >>> 16, index & 0xffff);
}

function writeTrailer(buf: Uint8Array, pos: number, index: number, encrypted: boolean): void {
  buf[pos] = (encrypted ? 0x80 : 0) | ((index >>> 24) & 0x7f);
  buf[pos + 1] = (index >>> 16) & 0xff;
  buf[pos + 2] = (index >>> 8) & 0xff;
  buf[pos + 3] = index & 0xff;
}

function sameStart(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}

/**
 * out[0..n) = packet[0..n) for a header (12 octets plus CSRCs/extension): a byte loop, not
 * set(subarray()), which would allocate a view per packet. Nothing to do in place; a shifted
 * overlap inside one buffer goes through set() (memmove semantics).
 */
function copyHeader(packet: Uint8Array, out: Uint8Array, n: number): void {
  if (sameStart(packet, out)) return;
  if (packet.buffer === out.buffer) {
    out.set(packet.subarray(0, n), 0);
    return;
  }
  for (let i = 0; i < n; i++) out[i] = packet[i] ?? 0;
}

export const aesGcmTransform: SrtpTransform = {
  protectRtp(k, packet, headerLength, ssrc, roc, seq, mki, out) {
    rtpIv(k.salt, ssrc, roc, seq);
    const c = createCipheriv(k.gcmAlgorithm, k.cipherKey, iv);
    c.setAAD(packet.subarray(0, headerLength));
    const enc = c.update(packet.subarray(headerLength));
    c.final();
    const tag = c.getAuthTag();
    copyHeader(packet, out, headerLength);
    out.set(enc, headerLength);
    let pos = headerLength + enc.length;
    out.set(tag, pos);
    pos += TAG;
    if (mki !== null) {
      out.set(mki, pos);
      pos += mki.length;
    }
    return pos;
  },

  unprotectRtp(k, packet, headerLength, payloadEnd, tagOffset, ssrc, roc, seq, out) {
    rtpIv(k.salt, ssrc, roc, seq);
    const d = createDecipheriv(k.gcmAlgorithm, k.cipherKey, iv);
    d.setAuthTag(packet.subarray(tagOffset, tagOffset + TAG));
    d.setAAD(packet.subarray(0, headerLength));
    const plain = d.update(packet.subarray(headerLength, payloadEnd));
    try {
      d.final();
    } catch {
      return false; // authentication failed; nothing was written to out
    }
    copyHeader(packet, out, headerLength);
    out.set(plain, headerLength);
    return true;
  },

  protectRtcp(k, packet, ssrc, index, mki, out) {
    rtcpIv(k.salt, ssrc, index);
    aad.set(packet.subarray(0, 8), 0);
    writeTrailer(aad, 8, index, true);
    const c = createCipheriv(k.gcmAlgorithm, k.cipherKey, iv);
    c.setAAD(aad);
    const enc = c.update(packet.subarray(8));
    c.final();
    const tag = c.getAuthTag();
    copyHeader(packet, out, 8);
    out.set(enc, 8);
    let pos = 8 + enc.length;
    out.set(tag, pos);
    pos += TAG;
    writeTrailer(out, pos, index, true);
    pos += 4;
    if (mki !== null) {
      out.set(mki, pos);
      pos += mki.length;
    }
    return pos;
  },

  unprotectRtcp(k, packet, bodyEnd, tagOffset, trailerOffset, ssrc, index, encrypted, out) {
    rtcpIv(k.salt, ssrc, index);
    const d = createDecipheriv(k.gcmAlgorithm, k.cipherKey, iv);
    d.setAuthTag(packet.subarray(tagOffset, tagOffset + TAG));
    let plain: Buffer | null = null;
    if (encrypted) {
      aad.set(packet.subarray(0, 8), 0);
      aad.set(packet.subarray(trailerOffset, trailerOffset + 4), 8);
      d.setAAD(aad);
      plain = d.update(packet.subarray(8, bodyEnd));
    } else {
      // s9.2: with E=0 the whole RTCP packet is AAD, followed by E+index
      if (unencryptedAad.length < bodyEnd + 4) unencryptedAad = Buffer.alloc(bodyEnd + 4);
      unencryptedAad.set(packet.subarray(0, bodyEnd), 0);
      unencryptedAad.set(packet.subarray(trailerOffset, trailerOffset + 4), bodyEnd);
      d.setAAD(unencryptedAad.subarray(0, bodyEnd + 4));
    }
    try {
      d.final();
    } catch {
      return false;
    }
    if (plain !== null) {
      copyHeader(packet, out, 8);
      out.set(plain, 8);
    } else if (!sameStart(packet, out)) {
      out.set(packet.subarray(0, bodyEnd), 0);
    }
    return true;
  },
};
