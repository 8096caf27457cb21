/**
 * AES-CM + HMAC-SHA1 (RFC 3711 s4.1.1, s4.2.1; RFC 6188 s4) on the native primitives: the same
 * layout and order as transform-cm.ts (tag verified before anything is decrypted, s3.3 step 5),
 * with the key's OpenSSL contexts kept in `k.native` instead of a cipher/HMAC object per packet.
 */
import { appendMki, copyBytes } from './copy.ts';
import { cmRtcpIv, cmRtpIv, writeSrtcpTrailer } from './iv.ts';
import type { NativeKeys } from './session-keys.ts';
import type { SrtpTransform } from './transform.ts';

const iv = Buffer.alloc(16); // octets 14..15 (block counter) stay zero: CTR counts from there

export const nativeCmTransform: SrtpTransform = {
  protectRtp(k, packet, headerLength, ssrc, roc, seq, mki, out) {
    const n = k.native as NativeKeys;
    const end = packet.length;
    copyBytes(packet, 0, out, 0, headerLength);
    cmRtpIv(iv, k.salt, ssrc, roc, seq);
    n.binding.ctrXor(n.cipher, iv, packet, headerLength, out, headerLength, end - headerLength);
    const pos = appendMki(out, end, mki);
    // tag over header || ciphertext || ROC; the MKI is not authenticated (s4.2)
    n.binding.hmacTag(n.mac as NonNullable<NativeKeys['mac']>, out, 0, end, roc, out, pos, k.suite.rtpTagLength);
    return pos + k.suite.rtpTagLength;
  },

  unprotectRtp(k, packet, headerLength, payloadEnd, tagOffset, ssrc, roc, seq, out) {
    const n = k.native as NativeKeys;
    if (!n.binding.hmacVerify(n.mac as NonNullable<NativeKeys['mac']>, packet, 0, payloadEnd, roc, packet, tagOffset, k.suite.rtpTagLength)) return false;
    copyBytes(packet, 0, out, 0, headerLength);
    cmRtpIv(iv, k.salt, ssrc, roc, seq);
    n.binding.ctrXor(n.cipher, iv, packet, headerLength, out, headerLength, payloadEnd - headerLength);
    return true;
  },

  protectRtcp(k, packet, ssrc, index, mki, out) {
    const n = k.native as NativeKeys;
    const end = packet.length;
    copyBytes(packet, 0, out, 0, 8);
    cmRtcpIv(iv, k.salt, ssrc, index);
    n.binding.ctrXor(n.cipher, iv, packet, 8, out, 8, end - 8);
    writeSrtcpTrailer(out, end, index, true); // we always encrypt SRTCP (s3.4)
    const pos = appendMki(out, end + 4, mki);
    n.binding.hmacTag(n.mac as NonNullable<NativeKeys['mac']>, out, 0, end + 4, -1, out, pos, k.suite.rtcpTagLength);
    return pos + k.suite.rtcpTagLength;
  },

  unprotectRtcp(k, packet, bodyEnd, tagOffset, trailerOffset, ssrc, index, encrypted, out) {
    const n = k.native as NativeKeys;
    // authenticated portion: header, body and E+index, contiguous in the AES-CM layout
    if (!n.binding.hmacVerify(n.mac as NonNullable<NativeKeys['mac']>, packet, 0, trailerOffset + 4, -1, packet, tagOffset, k.suite.rtcpTagLength)) return false;
    if (encrypted) {
      copyBytes(packet, 0, out, 0, 8);
      cmRtcpIv(iv, k.salt, ssrc, index);
      n.binding.ctrXor(n.cipher, iv, packet, 8, out, 8, bodyEnd - 8);
    } else {
      copyBytes(packet, 0, out, 0, bodyEnd);
    }
    return true;
  },
};
