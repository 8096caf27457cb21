/**
 * Byte copies for the per-packet path. A header (12 octets plus CSRCs/extension) is copied with
 * a byte loop: set(subarray()) would allocate a view per packet. Nothing to do when source and
 * destination are the same bytes (in-place); a shifted overlap inside one buffer goes through
 * set(), which has memmove semantics.
 */
export function copyBytes(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, len: number): void {
  if (src.buffer === dst.buffer) {
    if (src.byteOffset + srcStart === dst.byteOffset + dstStart) return;
    dst.set(src.subarray(srcStart, srcStart + len), dstStart);
  } else if (len <= 64) {
    for (let i = 0; i < len; i++) dst[dstStart + i] = src[srcStart + i] ?? 0;
  } else {
    dst.set(src.subarray(srcStart, srcStart + len), dstStart);
  }
}

/** True when a and b start at the same byte (in-place operation). */
export function sameStart(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}

/** Writes the MKI (RFC 3711 s3.1, after the encrypted portion) at out[pos..] when there is one; the position after it. */
export function appendMki(out: Uint8Array, pos: number, mki: Uint8Array | null): number {
  if (mki === null) return pos;
  out.set(mki, pos);
  return pos + mki.length;
}
