/**
 * Does this video RTP payload start a key frame? The room switches a receiver to another video
 * source only there (video-switch.ts): a decoder can start from a key frame, not from the
 * middle of a group of pictures. Reads payload headers only; never decodes.
 *
 *   VP8 (RFC 7741 4.2, 4.3): the packet starts partition 0 of a frame (S = 1, PID = 0) and
 *     the VP8 payload header's P bit (inverse key frame flag) is 0.
 *   H.264 (RFC 6184 5.2-5.8): an SPS (type 7) or IDR slice (type 5) as a single NAL unit, the
 *     first fragment of one (FU-A 28 / FU-B 29 with S = 1), or inside an aggregation packet
 *     (STAP-A 24). Encoders send SPS/PPS right before an IDR, so the SPS is the start.
 */

export type KeyFrameCodec = 'vp8' | 'h264';

/** The codec a payload name is parsed as, or null (never inspected). */
export function keyFrameCodecOf(name: string): KeyFrameCodec | null {
  const n = name.toLowerCase();
  return n === 'vp8' ? 'vp8' : n === 'h264' ? 'h264' : null;
}

export function isKeyFrameStart(codec: KeyFrameCodec, payload: Uint8Array): boolean {
  return codec === 'vp8' ? vp8KeyFrameStart(payload) : h264KeyFrameStart(payload);
}

function vp8KeyFrameStart(p: Uint8Array): boolean {
  const b0 = p[0];
  if (b0 === undefined) return false;
  // RFC 7741 4.2: S (0x10) start of a partition, PID (0x07) partition index
  if ((b0 & 0x10) === 0 || (b0 & 0x07) !== 0) return false;
  let i = 1;
  if ((b0 & 0x80) !== 0) {
    const x = p[i++];
    if (x === undefined) return false;
    if ((x & 0x80) !== 0) {
      // I: PictureID, 7 or 15 bits (M flag)
      const pid = p[i++];
      if (pid === undefined) return false;
      if ((pid & 0x80) !== 0) i++;
    }
    if ((x & 0x40) !== 0) i++; // L: TL0PICIDX
    if ((x & 0x30) !== 0) i++; // T or K: TID/Y/KEYIDX
  }
  const h = p[i];
  // RFC 7741 4.3: P is the lowest bit of the first octet of the VP8 payload header, 0 = key frame
  return h !== undefined && (h & 0x01) === 0;
}

const NAL_IDR = 5;
const NAL_SPS = 7;
const STAP_A = 24;
const FU_A = 28;
const FU_B = 29;

function startsKey(type: number): boolean {
  return type === NAL_IDR || type === NAL_SPS;
}

function h264KeyFrameStart(p: Uint8Array): boolean {
  const b0 = p[0];
  if (b0 === undefined) return false;
  const type = b0 & 0x1f;
  if (type >= 1 && type <= 23) return startsKey(type);
  if (type === STAP_A) {
    // RFC 6184 5.7.1: 16-bit NALU size, then the NAL unit, repeated
    let i = 1;
    while (i + 2 < p.length) {
      const size = ((p[i] ?? 0) << 8) | (p[i + 1] ?? 0);
      const nal = p[i + 2];
      if (size === 0 || nal === undefined) return false;
      if (startsKey(nal & 0x1f)) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === FU_A || type === FU_B) {
    // RFC 6184 5.8: FU header S (0x80) and the fragmented NAL unit's type
    const fu = p[1];
    return fu !== undefined && (fu & 0x80) !== 0 && startsKey(fu & 0x1f);
  }
  return false;
}
