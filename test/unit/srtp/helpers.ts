/** Packet builders and deterministic randomness for the SRTP unit tests. */
import { createSrtpSession, SRTP_SUITES } from '../../../src/core/srtp/index.ts';
import type { SrtpSessionConfig, SrtpSession, SrtpSuiteName } from '../../../src/core/srtp/index.ts';

/** xorshift32: reproducible "random" numbers. */
export function rng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function bytes(n: number, seed: number): Buffer {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

export function rtp(seq: number, ssrc: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 0;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE((seq * 160) >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([h, payload]);
}

export function rtcp(ssrc: number, seed: number): Buffer {
  const p = Buffer.alloc(28);
  p[0] = 0x80;
  p[1] = 200;
  p.writeUInt16BE(6, 2);
  p.writeUInt32BE(ssrc >>> 0, 4);
  bytes(20, seed).copy(p, 8);
  return p;
}

export function keysFor(suite: SrtpSuiteName, seed: number): { masterKey: Buffer; masterSalt: Buffer } {
  const s = SRTP_SUITES[suite];
  return { masterKey: bytes(s.keyLength, seed), masterSalt: bytes(s.saltLength, seed + 1) };
}

export function pair(suite: SrtpSuiteName, extra: Partial<SrtpSessionConfig> = {}, seed = 1): { tx: SrtpSession; rx: SrtpSession } {
  const k = keysFor(suite, seed);
  return { tx: createSrtpSession({ suite, ...k, ...extra }), rx: createSrtpSession({ suite, ...k, ...extra }) };
}

/** Copies the result bytes out (the session may reuse nothing, but tests keep copies anyway). */
export function bytesOf(r: ReturnType<SrtpSession['protectRtp']>): Buffer {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}`);
  return Buffer.from(r.out.subarray(0, r.length));
}
