/**
 * The policy's default key generator: bytes from node:crypto's CSPRNG, drawn from a small pool.
 *
 * Why a pool: one `randomBytes(30)` per SDES answer costs a native call (~2.5 us, more under
 * load), which was the largest single cost of answering an SDES offer; one 4 KiB fill serves
 * ~130 keys for about the price of one call. Node does the same for `crypto.randomUUID()`.
 *
 * Every byte is handed out once: the returned key is a copy and the pool region it came from
 * is zeroed straight away, so the pool never keeps a copy of a key in use. Unused pool bytes
 * are future CSPRNG output, not secrets of any session yet. Requests larger than a quarter of
 * the pool (never the case for SRTP master keys: at most 46 bytes) go straight to randomBytes.
 * A process that forks gets a fresh module instance (Node has no in-process fork), so two
 * processes never share pool contents.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

/** `length` fresh CSPRNG bytes (a new array the caller owns). */
export function csprngBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`random byte count must be a non-negative integer, got ${length}`);
  if (length > POOL_SIZE / 4) return new Uint8Array(randomBytes(length));
  if (offset + length > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const end = offset + length;
  const out = pool.slice(offset, end);
  pool.fill(0, offset, end);
  offset = end;
  return out;
}
