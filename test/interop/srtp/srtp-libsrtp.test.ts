/**
 * Byte-for-byte interop with libsrtp2 (an independent implementation) for every suite, SRTP and
 * SRTCP, across sequence-number wraps, with reordering, and with an MKI. The C oracle in
 * srtp-helper.c is compiled here at run time against the system libsrtp2.
 *
 * Known, deliberate difference: libsrtp starts the SRTCP index at 1, RFC 3711 s3.4 (and we) at
 * 0; the test sets our next index to 1 so the bytes can be compared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSrtpSession, SRTP_SUITE_NAMES, SRTP_SUITES } from '../../../src/core/srtp/index.ts';
import type { SrtpSession, SrtpSuiteName } from '../../../src/core/srtp/index.ts';

const INSTALL = 'install with: apt-get install libsrtp2-dev build-essential';
const source = fileURLToPath(new URL('./srtp-helper.c', import.meta.url));
let dir = '';
let helper = '';

beforeAll(() => {
  if (!existsSync('/usr/include/srtp2/srtp.h')) throw new Error(`libsrtp2 headers missing (/usr/include/srtp2/srtp.h); ${INSTALL}`);
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-srtp-'));
  helper = join(dir, 'srtp-helper');
  const cc = spawnSync('cc', ['-O1', '-Wall', '-o', helper, source, '-lsrtp2'], { encoding: 'utf8' });
  if (cc.error !== undefined || cc.status !== 0) {
    throw new Error(`cannot compile the libsrtp2 helper: ${cc.error?.message ?? cc.stderr}; ${INSTALL}`);
  }
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Deterministic bytes (xorshift) so failures reproduce. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function rtp(seq: number, ssrc: number, payloadLength: number, variant: number): Buffer {
  // variant 1: two CSRCs; variant 2: a one-byte-header extension (RFC 8285) of two words
  const csrc = variant === 1 ? 2 : 0;
  const ext = variant === 2 ? 12 : 0;
  const h = Buffer.alloc(12 + csrc * 4 + ext);
  h[0] = 0x80 | (ext > 0 ? 0x10 : 0) | csrc;
  h[1] = 0x00 | (seq % 7 === 0 ? 0x80 : 0);
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE((seq * 160) >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  for (let i = 0; i < csrc; i++) h.writeUInt32BE(0x1000 + i, 12 + i * 4);
  if (ext > 0) {
    h.writeUInt16BE(0xbede, 12);
    h.writeUInt16BE(2, 14);
    bytes(8, seq).copy(h, 16);
  }
  return Buffer.concat([h, bytes(payloadLength, seq + 7)]);
}

function rtcp(ssrc: number, n: number): Buffer {
  // SR (28 octets) + SDES chunk, as a compound packet
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(ssrc >>> 0, 4);
  bytes(20, 2 * n + 1).copy(sr, 8);
  const sdes = Buffer.from('81ca0003' + (ssrc >>> 0).toString(16).padStart(8, '0') + '0104' + 'abcd' + '00000000', 'hex');
  return Buffer.concat([sr, sdes]);
}

function libsrtp(suite: SrtpSuiteName, mode: 'protect' | 'unprotect', key: Buffer, mki: Buffer | null, lines: readonly string[]): string[] {
  const args = [suite, mode, key.toString('hex'), ...(mki ? [mki.toString('hex')] : [])];
  const r = spawnSync(helper, args, { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`srtp-helper failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

function session(suite: SrtpSuiteName, key: Buffer, mki: Buffer | null): SrtpSession {
  const s = SRTP_SUITES[suite];
  return createSrtpSession({ suite, masterKey: key.subarray(0, s.keyLength), masterSalt: key.subarray(s.keyLength), ...(mki ? { mki } : {}) });
}

function hexOf(r: ReturnType<SrtpSession['protectRtp']>): string {
  if (!r.ok) return `ERR ${r.reason}`;
  return r.out.subarray(0, r.length).toString('hex');
}

/** Swaps neighbours: 1 0 3 2 5 4 ... (reordering inside the replay window). */
function reorder<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1] as T, out[i] as T];
  return out;
}

/**
 * libsrtp 2.5 locates the SRTCP MKI with the SRTP tag length (srtp_get_session_keys), so with a
 * _32 suite (4-octet SRTP tag, 10-octet SRTCP tag) and an MKI it cannot unprotect SRTCP, not even
 * its own output. We assert exactly that, so the test notices if a libsrtp upgrade fixes it.
 */
function libsrtpMisplacesRtcpMki(suite: SrtpSuiteName, kind: 'R' | 'C', mki: Buffer | null): boolean {
  return kind === 'C' && mki !== null && SRTP_SUITES[suite].rtpTagLength !== SRTP_SUITES[suite].rtcpTagLength;
}

function check(suite: SrtpSuiteName, plain: readonly Buffer[], kind: 'R' | 'C', mki: Buffer | null, seed: number, shuffle = true): void {
  const s = SRTP_SUITES[suite];
  const key = bytes(s.keyLength + s.saltLength, seed);
  const ours = session(suite, key, mki);
  if (kind === 'C') ours.setOutboundRtcpIndex(plain[0]?.readUInt32BE(4) ?? 0, 1);
  const protect = (p: Buffer): string => hexOf(kind === 'R' ? ours.protectRtp(p) : ours.protectRtcp(p));
  const oursOut = plain.map(protect);
  const theirsOut = libsrtp(suite, 'protect', key, mki, plain.map((p) => `${kind} ${p.toString('hex')}`));
  expect(oursOut).toEqual(theirsOut);

  // our protected packets, reordered, through libsrtp's unprotect
  const order = shuffle ? reorder(plain.map((_, i) => i)) : plain.map((_, i) => i);
  const back = libsrtp(suite, 'unprotect', key, mki, order.map((i) => `${kind} ${oursOut[i] ?? ''}`));
  if (libsrtpMisplacesRtcpMki(suite, kind, mki)) {
    const own = libsrtp(suite, 'unprotect', key, mki, theirsOut.map((h) => `${kind} ${h}`));
    expect(own.every((line) => line === 'ERR 25')).toBe(true); // srtp_err_status_bad_mki
    expect(back.every((line) => line === 'ERR 25')).toBe(true);
  } else {
    expect(back).toEqual(order.map((i) => plain[i]?.toString('hex')));
  }

  // libsrtp's protected packets, reordered, through ours
  const receiver = session(suite, key, mki);
  const mine = order.map((i) => {
    const p = Buffer.from(theirsOut[i] ?? '', 'hex');
    return hexOf(kind === 'R' ? receiver.unprotectRtp(p) : receiver.unprotectRtcp(p));
  });
  expect(mine).toEqual(order.map((i) => plain[i]?.toString('hex')));
}

describe('libsrtp2 interop (byte-for-byte)', () => {
  SRTP_SUITE_NAMES.forEach((suite, n) => {
    it(`${suite}: SRTP across a sequence wrap with CSRCs, extensions and reordering`, () => {
      const plain = Array.from({ length: 48 }, (_, i) => rtp((65512 + i) % 65536, 0x11223344, [160, 1, 0, 1000, 33][i % 5] ?? 160, i % 3));
      check(suite, plain, 'R', null, 100 + n);
    });

    it(`${suite}: SRTP over two rollovers in sparse steps`, () => {
      const plain = Array.from({ length: 150 }, (_, i) => rtp((60000 + i * 1000) % 65536, 0xcafe0001, 160, 0));
      // steps of 1000 exceed the 128-packet replay window, so no reordering here
      check(suite, plain, 'R', null, 200 + n, false);
    });

    it(`${suite}: SRTCP compound packets`, () => {
      const plain = Array.from({ length: 20 }, (_, i) => rtcp(0x5eed0001, i));
      check(suite, plain, 'C', null, 300 + n);
    });

    it(`${suite}: SRTP and SRTCP with a 4-octet MKI`, () => {
      const mki = Buffer.from('a1b2c3d4', 'hex');
      check(suite, Array.from({ length: 10 }, (_, i) => rtp(100 + i, 0xabcdef01, 160, 0)), 'R', mki, 400 + n);
      check(suite, Array.from({ length: 6 }, (_, i) => rtcp(0xabcdef01, i)), 'C', mki, 500 + n);
    });
  });
});
