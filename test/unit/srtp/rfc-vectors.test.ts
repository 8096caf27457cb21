/**
 * RFC test vectors: RFC 3711 B.2/B.3, RFC 6188 s7.1/7.2, RFC 7714 s16/s17. The GCM vectors give
 * session keys, so they drive the transforms directly; the session-level path (index handling,
 * lengths) is covered by session.test.ts and byte-for-byte by the libsrtp interop test.
 */
import { describe, expect, it } from 'vitest';
import { aesCmPrf, deriveRtcpKeys, deriveRtpKeys, LABEL_RTP_AUTH } from '../../../src/core/srtp/kdf.ts';
import { prepareKeys } from '../../../src/core/srtp/session-keys.ts';
import { SRTP_SUITES } from '../../../src/core/srtp/suites.ts';
import { aesCmKeystream } from '../../../src/core/srtp/transform-cm.ts';
import { hex, loadVectors } from './vectors.ts';
import type { GcmCase, KdfCase, KeystreamCase, VectorCase } from './vectors.ts';

const all: readonly VectorCase[] = [...loadVectors('rfc3711.json'), ...loadVectors('rfc6188.json'), ...loadVectors('rfc7714.json')];
const keystreamCases = all.filter((c): c is KeystreamCase => c.kind === 'aes-cm-keystream');
const kdfCases = all.filter((c): c is KdfCase => c.kind === 'kdf');
const gcmRtp = all.filter((c): c is GcmCase => c.kind === 'gcm-srtp');
const gcmRtcp = all.filter((c): c is GcmCase => c.kind === 'gcm-srtcp');

describe('AES-CM keystream', () => {
  it.each(keystreamCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const suite = SRTP_SUITES[c.suite];
    const k = prepareKeys(suite, { encryptionKey: hex(c.sessionKey), salt: hex(c.sessionSalt), authKey: Buffer.alloc(20) });
    const ks = aesCmKeystream(k, c.ssrc, c.roc, c.seq, c.segmentBlocks * 16);
    for (const b of c.blocks) {
      const j = parseInt(b.counter, 16);
      expect(ks.subarray(j * 16, j * 16 + 16).toString('hex'), `block ${b.counter}`).toBe(b.keystream.toLowerCase());
    }
  });
});

describe('key derivation', () => {
  it.each(kdfCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const suite = SRTP_SUITES[c.suite];
    const rtp = deriveRtpKeys(suite, hex(c.masterKey), hex(c.masterSalt));
    expect(rtp.encryptionKey.toString('hex')).toBe(c.cipherKey.toLowerCase());
    expect(rtp.salt.toString('hex')).toBe(c.cipherSalt.toLowerCase());
    const auth = c.authKey ?? c.authKey94?.slice(0, 40);
    expect(rtp.authKey.toString('hex')).toBe(auth?.toLowerCase());
    if (c.authKey94 !== undefined) {
      // B.3 prints the whole 94-octet AES-CM output for the auth label
      expect(aesCmPrf(hex(c.masterKey), hex(c.masterSalt), LABEL_RTP_AUTH, 0, 94).toString('hex')).toBe(c.authKey94.toLowerCase());
    }
    // SRTCP labels 3..5 must give different keys from SRTP labels 0..2
    const rtcp = deriveRtcpKeys(suite, hex(c.masterKey), hex(c.masterSalt));
    expect(rtcp.encryptionKey.equals(rtp.encryptionKey)).toBe(false);
  });
});

describe('AES-GCM SRTP', () => {
  it.each(gcmRtp.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const k = prepareKeys(SRTP_SUITES[c.suite], { encryptionKey: hex(c.sessionKey), salt: hex(c.sessionSalt), authKey: Buffer.alloc(0) });
    const plain = hex(c.plain);
    const prot = hex(c.protected);
    const ssrc = plain.readUInt32BE(8);
    const seq = plain.readUInt16BE(2);
    const out = Buffer.alloc(prot.length);
    const n = k.transform.protectRtp(k, plain, 12, ssrc, c.roc ?? 0, seq, null, out);
    expect(out.subarray(0, n).toString('hex')).toBe(c.protected);
    const back = Buffer.alloc(plain.length);
    expect(k.transform.unprotectRtp(k, prot, 12, prot.length - 16, prot.length - 16, ssrc, c.roc ?? 0, seq, back)).toBe(true);
    expect(back.toString('hex')).toBe(c.plain);
    const forged = Buffer.from(prot);
    forged[20] = (forged[20] ?? 0) ^ 1;
    expect(k.transform.unprotectRtp(k, forged, 12, prot.length - 16, prot.length - 16, ssrc, c.roc ?? 0, seq, back)).toBe(false);
  });
});

describe('AES-GCM SRTCP', () => {
  it.each(gcmRtcp.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const k = prepareKeys(SRTP_SUITES[c.suite], { encryptionKey: hex(c.sessionKey), salt: hex(c.sessionSalt), authKey: Buffer.alloc(0) });
    const plain = hex(c.plain);
    const prot = hex(c.protected);
    const ssrc = plain.readUInt32BE(4);
    const index = c.index ?? 0;
    if (c.encrypted === true) {
      // we only ever send E=1, so only that layout can be produced
      const out = Buffer.alloc(prot.length);
      const n = k.transform.protectRtcp(k, plain, ssrc, index, null, out);
      expect(out.subarray(0, n).toString('hex')).toBe(c.protected);
    }
    const len = prot.length;
    const back = Buffer.alloc(plain.length);
    expect(k.transform.unprotectRtcp(k, prot, len - 20, len - 20, len - 4, ssrc, index, c.encrypted === true, back)).toBe(true);
    expect(back.toString('hex')).toBe(c.plain);
    const wrongIndex = Buffer.from(prot);
    wrongIndex[len - 1] = (wrongIndex[len - 1] ?? 0) ^ 1;
    expect(k.transform.unprotectRtcp(k, wrongIndex, len - 20, len - 20, len - 4, ssrc, index ^ 1, c.encrypted === true, back)).toBe(false);
  });
});
