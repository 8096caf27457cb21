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
import type { KeyObject } from 'node:crypto';
import { appendMki, copyBytes, sameStart } from './copy.ts';
import { gcmRtcpIv, gcmRtpIv, writeSrtcpTrailer as writeTrailer } from './iv.ts';
import type { SrtpTransform } from './transform.ts';

const TAG = 16;
const iv = Buffer.alloc(12);
const aad = Buffer.alloc(12);
let unencryptedAad = Buffer.alloc(2048);

export const aesGcmTransform: SrtpTransform = {
  protectRtp(k, packet, headerLength, ssrc, roc, seq, mki, out) {
    gcmRtpIv(iv, k.salt, ssrc, roc, seq);
    const c = createCipheriv(k.gcmAlgorithm, k.cipherKey as KeyObject, iv);
    c.setAAD(packet.subarray(0, headerLength));
    const enc = c.update(packet.subarray(headerLength));
    c.final();
    const tag = c.getAuthTag();
    copyBytes(packet, 0, out, 0, headerLength);
    out.set(enc, headerLength);
    out.set(tag, headerLength + enc.length);
    return appendMki(out, headerLength + enc.length + TAG, mki);
  },

  unprotectRtp(k, packet, headerLength, payloadEnd, tagOffset, ssrc, roc, seq, out) {
    gcmRtpIv(iv, k.salt, ssrc, roc, seq);
    const d = createDecipheriv(k.gcmAlgorithm, k.cipherKey as KeyObject, iv);
    d.setAuthTag(packet.subarray(tagOffset, tagOffset + TAG));
    d.setAAD(packet.subarray(0, headerLength));
    const plain = d.update(packet.subarray(headerLength, payloadEnd));
    try {
      d.final();
    } catch {
      return false; // authentication failed; nothing was written to out
    }
    copyBytes(packet, 0, out, 0, headerLength);
    out.set(plain, headerLength);
    return true;
  },

  protectRtcp(k, packet, ssrc, index, mki, out) {
    gcmRtcpIv(iv, k.salt, ssrc, index);
    aad.set(packet.subarray(0, 8), 0);
    writeTrailer(aad, 8, index, true);
    const c = createCipheriv(k.gcmAlgorithm, k.cipherKey as KeyObject, iv);
    c.setAAD(aad);
    const enc = c.update(packet.subarray(8));
    c.final();
    const tag = c.getAuthTag();
    copyBytes(packet, 0, out, 0, 8);
    out.set(enc, 8);
    const tagAt = 8 + enc.length;
    out.set(tag, tagAt);
    writeTrailer(out, tagAt + TAG, index, true);
    return appendMki(out, tagAt + TAG + 4, mki);
  },

  unprotectRtcp(k, packet, bodyEnd, tagOffset, trailerOffset, ssrc, index, encrypted, out) {
    gcmRtcpIv(iv, k.salt, ssrc, index);
    const d = createDecipheriv(k.gcmAlgorithm, k.cipherKey as KeyObject, iv);
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
      copyBytes(packet, 0, out, 0, 8);
      out.set(plain, 8);
    } else if (!sameStart(packet, out)) {
      out.set(packet.subarray(0, bodyEnd), 0);
    }
    return true;
  },
};
