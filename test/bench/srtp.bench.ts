/**
 * `srtp` bench: protect + unprotect of one 172-octet RTP packet (12-octet header, 160-octet
 * payload: 20 ms of G.711) per suite, in pairs/s, with three baselines measured in the same run:
 *
 *   - werift 0.25's SrtpSession (AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM, the two suites
 *     werift has; its API allocates a result Buffer per packet and needs an RtpHeader object)
 *   - naive: one createCipheriv/createDecipheriv/createHmac per packet with Buffer keys and
 *     Buffer.concat, written here as the obvious straightforward implementation
 *   - naive-keyobject (AEAD_AES_256_GCM only): the naive code given KeyObjects instead of
 *     Buffers, to show how much of the gain is that one change (docs/srtp-performance.md)
 *
 * Allocations: JS heap bytes and ArrayBuffer (Buffer backing store) bytes per pair, measured
 * as the median growth over small batches (a batch in which a GC ran shows as a shrink and is
 * discarded). Buffers created by node:crypto natively count under array buffers.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { RtpHeader, SrtpSession as WeriftSrtpSession } from 'werift';
import { loadNativeSrtp } from '../../src/adapters/media/native-srtp.ts';
import { useNativeSrtp } from '../../src/core/srtp/native-binding.ts';
import type { SrtpNativeBinding } from '../../src/core/srtp/native-binding.ts';
import { deriveRtpKeys } from '../../src/core/srtp/kdf.ts';
import { createSrtpSession, SRTP_SUITE_NAMES, SRTP_SUITES } from '../../src/core/srtp/index.ts';
import type { SrtpSuite, SrtpSuiteName } from '../../src/core/srtp/index.ts';
import { opsPerSecond } from './contract.ts';
import type { Bench, BenchRow } from './contract.ts';

const SSRC = 0x1234abcd;
const PAYLOAD = 160;
const ROUNDS = 5;
const MS = 300;

/**
 * The machine is shared and noisy: measure subject and baseline alternately for ROUNDS short
 * rounds and report the medians of the values and of the per-round ratios.
 */
function compare(subject: Pair, baseline: Pair): { value: number; base: number; ratio: number } {
  const v: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const x = opsPerSecond(subject, MS);
    const y = opsPerSecond(baseline, MS);
    v.push(x);
    b.push(y);
    r.push(x / y);
  }
  return { value: median(v), base: median(b), ratio: median(r) };
}

function median(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : ([...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)] ?? Number.NaN);
}

function packet(): Buffer {
  const p = randomBytes(12 + PAYLOAD);
  p[0] = 0x80;
  p[1] = 0;
  p.writeUInt32BE(SSRC, 8);
  return p;
}

type Pair = () => void;

/** Our session on node:crypto, or on the native engine (native/srtp-crypto.c) with `native`. */
function ours(suite: SrtpSuite, key: Buffer, salt: Buffer, native: SrtpNativeBinding | null = null): Pair {
  useNativeSrtp(native); // keys are prepared with the engine installed at construction
  const tx = createSrtpSession({ suite: suite.name, masterKey: key, masterSalt: salt });
  const rx = createSrtpSession({ suite: suite.name, masterKey: key, masterSalt: salt });
  useNativeSrtp(null);
  const p = packet();
  const out = Buffer.alloc(256);
  const back = Buffer.alloc(256);
  let seq = 0;
  return () => {
    seq = (seq + 1) & 0xffff;
    p.writeUInt16BE(seq, 2);
    const r = tx.protectRtp(p, out);
    if (!r.ok) throw new Error(`protect: ${r.reason}`);
    const u = rx.unprotectRtp(out.subarray(0, r.length), back);
    if (!u.ok) throw new Error(`unprotect: ${u.reason}`);
  };
}

function werift(suite: SrtpSuite, key: Buffer, salt: Buffer): Pair | null {
  const profile = suite.name === 'AES_CM_128_HMAC_SHA1_80' ? 1 : suite.name === 'AEAD_AES_128_GCM' ? 7 : null;
  if (profile === null) return null;
  const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
  const tx = new WeriftSrtpSession({ keys, profile });
  const rx = new WeriftSrtpSession({ keys, profile });
  const payload = randomBytes(PAYLOAD);
  const header = new RtpHeader({ ssrc: SSRC, payloadType: 0, sequenceNumber: 0, timestamp: 0 });
  let seq = 0;
  return () => {
    seq = (seq + 1) & 0xffff;
    header.sequenceNumber = seq;
    rx.decrypt(tx.encrypt(payload, header));
  };
}

/** The straightforward implementation: fresh cipher objects from raw Buffer keys per packet. */
function naive(suite: SrtpSuite, key: Buffer, salt: Buffer, keyObjects: boolean): Pair {
  const raw = deriveRtpKeys(suite, key, salt);
  const cipherKey: Buffer | KeyObject = keyObjects ? createSecretKey(raw.encryptionKey) : raw.encryptionKey;
  const p = packet();
  let seq = 0;
  const algo = `aes-${suite.keyLength * 8}-${suite.aead ? 'gcm' : 'ctr'}`;
  const ivFor = (s: number): Buffer => {
    const iv = Buffer.alloc(suite.aead ? 12 : 16);
    raw.salt.copy(iv, 0, 0, suite.aead ? 12 : 14);
    const w = Buffer.alloc(iv.length);
    w.writeUInt32BE(SSRC, suite.aead ? 2 : 4);
    w.writeUInt16BE(s, suite.aead ? 10 : 12);
    for (let i = 0; i < iv.length; i++) iv[i] = (iv[i] ?? 0) ^ (w[i] ?? 0);
    return iv;
  };
  const roc = Buffer.alloc(4);
  if (suite.aead) {
    return () => {
      seq = (seq + 1) & 0xffff;
      p.writeUInt16BE(seq, 2);
      const c = createCipheriv(algo as 'aes-256-gcm', cipherKey, ivFor(seq));
      c.setAAD(p.subarray(0, 12));
      const enc = Buffer.concat([p.subarray(0, 12), c.update(p.subarray(12)), c.final(), c.getAuthTag()]);
      const d = createDecipheriv(algo as 'aes-256-gcm', cipherKey, ivFor(enc.readUInt16BE(2)));
      d.setAAD(enc.subarray(0, 12));
      d.setAuthTag(enc.subarray(enc.length - 16));
      Buffer.concat([enc.subarray(0, 12), d.update(enc.subarray(12, enc.length - 16)), d.final()]);
    };
  }
  return () => {
    seq = (seq + 1) & 0xffff;
    p.writeUInt16BE(seq, 2);
    const c = createCipheriv(algo, cipherKey, ivFor(seq));
    const body = Buffer.concat([p.subarray(0, 12), c.update(p.subarray(12)), c.final()]);
    const tag = createHmac('sha1', raw.authKey).update(body).update(roc).digest().subarray(0, suite.rtpTagLength);
    const enc = Buffer.concat([body, tag]);
    const check = createHmac('sha1', raw.authKey).update(enc.subarray(0, enc.length - suite.rtpTagLength)).update(roc).digest();
    if (!check.subarray(0, suite.rtpTagLength).equals(enc.subarray(enc.length - suite.rtpTagLength))) throw new Error('naive tag');
    const d = createDecipheriv(algo, cipherKey, ivFor(enc.readUInt16BE(2)));
    Buffer.concat([enc.subarray(0, 12), d.update(enc.subarray(12, enc.length - suite.rtpTagLength)), d.final()]);
  };
}

/** Median JS-heap and ArrayBuffer growth per call over batches that saw no GC. */
function allocationsPerPair(fn: Pair): { heap: number; arrayBuffers: number } {
  const batch = 200;
  const heap: number[] = [];
  const ab: number[] = [];
  for (let round = 0; round < 40; round++) {
    const h0 = getHeapStatistics().used_heap_size;
    const a0 = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < batch; i++) fn();
    const h1 = getHeapStatistics().used_heap_size;
    const a1 = process.memoryUsage().arrayBuffers;
    if (h1 >= h0) heap.push((h1 - h0) / batch);
    if (a1 >= a0) ab.push((a1 - a0) / batch);
  }
  return { heap: median(heap), arrayBuffers: median(ab) };
}

export const bench: Bench = {
  name: 'srtp',
  description: 'SRTP protect+unprotect of a 172-octet RTP packet per suite vs werift SrtpSession and a naive createCipheriv-per-packet implementation',
  async run(): Promise<readonly BenchRow[]> {
    const rows: BenchRow[] = [];
    const names: readonly SrtpSuiteName[] = SRTP_SUITE_NAMES;
    const loaded = loadNativeSrtp();
    if (!loaded.ok) throw new Error(`native SRTP engine: ${loaded.reason}`);
    for (const name of names) {
      const suite = SRTP_SUITES[name];
      const key = randomBytes(suite.keyLength);
      const salt = randomBytes(suite.saltLength);
      const mine = ours(suite, key, salt);
      const n = compare(mine, naive(suite, key, salt, false));
      rows.push({ bench: 'srtp', metric: `${name} protect+unprotect`, value: n.value, unit: 'pairs/s', baseline: 'naive createCipheriv per packet', ratio: n.ratio });
      rows.push({ bench: 'srtp', metric: `${name} naive protect+unprotect`, value: n.base, unit: 'pairs/s' });
      const w = werift(suite, key, salt);
      if (w !== null) {
        const c = compare(mine, w);
        rows.push({ bench: 'srtp', metric: `${name} protect+unprotect`, value: c.value, unit: 'pairs/s', baseline: 'werift 0.25 SrtpSession', ratio: c.ratio });
        rows.push({ bench: 'srtp', metric: `${name} werift protect+unprotect`, value: c.base, unit: 'pairs/s' });
      }
      if (name === 'AEAD_AES_256_GCM') {
        const k = compare(mine, naive(suite, key, salt, true));
        rows.push({ bench: 'srtp', metric: `${name} protect+unprotect`, value: k.value, unit: 'pairs/s', baseline: 'naive with KeyObject keys', ratio: k.ratio });
      }
      const nat = ours(suite, key, salt, loaded.binding);
      const e = compare(nat, mine);
      rows.push({ bench: 'srtp', metric: `${name} native protect+unprotect`, value: e.value, unit: 'pairs/s', baseline: 'ours on node:crypto', ratio: e.ratio });
      const na = allocationsPerPair(nat);
      rows.push({ bench: 'srtp', metric: `${name} native JS heap per pair`, value: na.heap, unit: 'bytes' });
      rows.push({ bench: 'srtp', metric: `${name} native ArrayBuffer per pair`, value: na.arrayBuffers, unit: 'bytes' });
      const a = allocationsPerPair(mine);
      rows.push({ bench: 'srtp', metric: `${name} JS heap per pair`, value: a.heap, unit: 'bytes' });
      rows.push({ bench: 'srtp', metric: `${name} ArrayBuffer per pair`, value: a.arrayBuffers, unit: 'bytes' });
      if (w !== null) {
        const wa = allocationsPerPair(w);
        rows.push({ bench: 'srtp', metric: `${name} werift JS heap per pair`, value: wa.heap, unit: 'bytes' });
        rows.push({ bench: 'srtp', metric: `${name} werift ArrayBuffer per pair`, value: wa.arrayBuffers, unit: 'bytes' });
      }
    }
    return rows;
  },
};
