/**
 * AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714) on the native primitives: the same IVs, AAD and
 * layout as transform-gcm.ts, with one keyed OpenSSL GCM context per direction key (k.native)
 * whose IV alone is reset per packet. The native open writes plaintext only after the tag
 * verified, so a forged packet leaves `out` untouched (a second key can still be tried).
 */
import { appendMki, copyBytes, sameStart } from './copy.ts';
import { gcmRtcpIv, gcmRtpIv, writeSrtcpTrailer } from './iv.ts';
import type { NativeKeys } from './session-keys.ts';
import type { SrtpTransform } from './transform.ts';

const TAG = 16;
const iv = Buffer.alloc(12);
const aad = Buffer.alloc(12);
let unencryptedAad = Buffer.alloc(2048);

export const nativeGcmTransform: SrtpTransform = {
  protectRtp(k, packet, headerLength, ssrc, roc, seq, mki, out) {
    const n = k.native as NativeKeys;
    const end = packet.length;
    gcmRtpIv(iv, k.salt, ssrc, roc, seq);
    // AAD: the whole RTP header (s8.2); it is read before the ciphertext is written
    n.binding.gcmSeal(n.cipher, iv, packet, 0, headerLength, packet, headerLength, end - headerLength, out, headerLength);
    copyBytes(packet, 0, out, 0, headerLength);
    return appendMki(out, end + TAG, mki);
  },

  unprotectRtp(k, packet, headerLength, payloadEnd, tagOffset, ssrc, roc, seq, out) {
    const n = k.native as NativeKeys;
    gcmRtpIv(iv, k.salt, ssrc, roc, seq);
    const ok = n.binding.gcmOpen(n.cipher, iv, packet, 0, headerLength, packet, headerLength, payloadEnd - headerLength, packet, tagOffset, out, headerLength);
    if (!ok) return false;
    copyBytes(packet, 0, out, 0, headerLength);
    return true;
  },

  protectRtcp(k, packet, ssrc, index, mki, out) {
    const n = k.native as NativeKeys;
    const end = packet.length;
    gcmRtcpIv(iv, k.salt, ssrc, index);
    // AAD (s9.2, E=1): the first 8 header octets || E+index
    for (let i = 0; i < 8; i++) aad[i] = packet[i] ?? 0;
    writeSrtcpTrailer(aad, 8, index, true);
    n.binding.gcmSeal(n.cipher, iv, aad, 0, 12, packet, 8, end - 8, out, 8);
    copyBytes(packet, 0, out, 0, 8);
    writeSrtcpTrailer(out, end + TAG, index, true);
    return appendMki(out, end + TAG + 4, mki);
  },

  unprotectRtcp(k, packet, bodyEnd, tagOffset, trailerOffset, ssrc, index, encrypted, out) {
    const n = k.native as NativeKeys;
    gcmRtcpIv(iv, k.salt, ssrc, index);
    if (encrypted) {
      for (let i = 0; i < 8; i++) aad[i] = packet[i] ?? 0;
      for (let i = 0; i < 4; i++) aad[8 + i] = packet[trailerOffset + i] ?? 0;
      if (!n.binding.gcmOpen(n.cipher, iv, aad, 0, 12, packet, 8, bodyEnd - 8, packet, tagOffset, out, 8)) return false;
      copyBytes(packet, 0, out, 0, 8);
      return true;
    }
    // s9.2 with E=0: the whole RTCP packet || E+index is AAD and the plaintext is empty
    if (unencryptedAad.length < bodyEnd + 4) unencryptedAad = Buffer.alloc(bodyEnd + 4);
    copyBytes(packet, 0, unencryptedAad, 0, bodyEnd);
    copyBytes(packet, trailerOffset, unencryptedAad, bodyEnd, 4);
    if (!n.binding.gcmOpen(n.cipher, iv, unencryptedAad, 0, bodyEnd + 4, packet, 0, 0, packet, tagOffset, out, 0)) return false;
    if (!sameStart(packet, out)) copyBytes(packet, 0, out, 0, bodyEnd);
    return true;
  },
};
