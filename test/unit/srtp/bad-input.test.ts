/**
 * Bad input from the network is a result, never an exception: truncated packets, bad tags,
 * bad versions, replays, unknown SSRCs beyond the limit, garbage. Configuration errors throw
 * GatehouseError with stable codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.ts';
import { createSrtpSession, SRTP_DROP_REASONS, SRTP_SUITE_NAMES, SRTP_SUITES } from '../../../src/core/srtp/index.ts';
import type { SrtpResult } from '../../../src/core/srtp/index.ts';
import { bytes, bytesOf, keysFor, pair, rtcp, rtp } from './helpers.ts';

const reason = (r: SrtpResult): string => (r.ok ? 'ok' : r.reason);

describe.each(SRTP_SUITE_NAMES.map((s) => [s]))('%s bad input', (suite) => {
  const tag = SRTP_SUITES[suite].rtpTagLength;

  it('truncated packets and headers that overrun the packet', () => {
    const { tx, rx } = pair(suite);
    const good = bytesOf(tx.protectRtp(rtp(1, 1, bytes(40, 1))));
    for (const n of [0, 1, 11, 12, 12 + tag - 1]) expect(reason(rx.unprotectRtp(good.subarray(0, n)))).toBe('truncated');
    const csrcOverrun = Buffer.from(good.subarray(0, 12 + tag));
    csrcOverrun[0] = 0x8f; // 15 CSRCs = 60 octets that are not there
    expect(reason(rx.unprotectRtp(csrcOverrun))).toBe('truncated');
    const extOverrun = Buffer.concat([rtp(2, 1, Buffer.alloc(0)), Buffer.from('bede0fff', 'hex')]);
    extOverrun[0] = 0x90;
    expect(reason(tx.protectRtp(extOverrun))).toBe('truncated');
    expect(reason(rx.unprotectRtcp(Buffer.alloc(8 + 4 + SRTP_SUITES[suite].rtcpTagLength - 1, 0x80)))).toBe('truncated');
    expect(reason(tx.protectRtcp(Buffer.from([0x80, 200, 0])))).toBe('truncated');
  });

  it('wrong version is bad-header; flipped bits are auth-failed', () => {
    const { tx, rx } = pair(suite);
    const good = bytesOf(tx.protectRtp(rtp(1, 1, bytes(40, 1))));
    const v1 = Buffer.from(good);
    v1[0] = 0x40;
    expect(reason(rx.unprotectRtp(v1))).toBe('bad-header');
    for (const at of [2, 8, 20, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      expect(reason(rx.unprotectRtp(bad)), `bit flip at ${at}`).toBe('auth-failed');
    }
    expect(reason(rx.unprotectRtp(good))).toBe('ok');
    const c = bytesOf(tx.protectRtcp(rtcp(1, 1)));
    const badC = Buffer.from(c);
    badC[12] = (badC[12] ?? 0) ^ 0x01;
    expect(reason(rx.unprotectRtcp(badC))).toBe('auth-failed');
  });

  it('unknown SSRCs become streams only after authenticating, up to maxStreams', () => {
    const { tx, rx } = pair(suite, { maxStreams: 2 });
    const { tx: stranger } = pair(suite, {}, 99);
    // forged packets for new SSRCs do not use up the stream budget
    for (let ssrc = 100; ssrc < 110; ssrc++) expect(reason(rx.unprotectRtp(bytesOf(stranger.protectRtp(rtp(1, ssrc, bytes(10, 1))))))).toBe('auth-failed');
    expect(reason(rx.unprotectRtp(bytesOf(tx.protectRtp(rtp(1, 1, bytes(10, 1))))))).toBe('ok');
    expect(reason(rx.unprotectRtp(bytesOf(tx.protectRtp(rtp(1, 2, bytes(10, 1))))))).toBe('ok');
    expect(reason(tx.protectRtp(rtp(1, 3, bytes(10, 1))))).toBe('too-many-streams');
  });

  it('an out buffer that is too small is a result, not a throw', () => {
    const { tx, rx } = pair(suite);
    const p = rtp(1, 1, bytes(40, 1));
    expect(reason(tx.protectRtp(p, Buffer.alloc(p.length)))).toBe('buffer-too-small');
    const prot = bytesOf(tx.protectRtp(p));
    expect(reason(rx.unprotectRtp(prot, Buffer.alloc(10)))).toBe('buffer-too-small');
  });

  it('property: any bytes to any entry point return a known result and never throw', () => {
    const { tx, rx } = pair(suite, { mki: Buffer.from([1, 2, 3]) });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.boolean(), (arr, v2) => {
        const p = Buffer.from(arr);
        if (v2 && p.length > 0) p[0] = ((p[0] ?? 0) & 0x3f) | 0x80;
        for (const r of [rx.unprotectRtp(p), rx.unprotectRtcp(p), tx.protectRtp(p), tx.protectRtcp(p)]) {
          if (!r.ok) expect(SRTP_DROP_REASONS).toContain(r.reason);
        }
        // garbage never authenticates
        expect(rx.unprotectRtp(p).ok).toBe(false);
        expect(rx.unprotectRtcp(p).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('configuration errors throw GatehouseError with stable codes', () => {
  const k = keysFor('AEAD_AES_256_GCM', 1);
  const cases: [string, () => unknown, string][] = [
    ['unknown suite', () => createSrtpSession({ ...k, suite: 'NULL_CIPHER' as 'AEAD_AES_256_GCM' }), 'SRTP_UNKNOWN_SUITE'],
    ['key length', () => createSrtpSession({ ...k, suite: 'AEAD_AES_128_GCM' }), 'SRTP_BAD_KEY_LENGTH'],
    ['salt length', () => createSrtpSession({ suite: 'AEAD_AES_256_GCM', masterKey: k.masterKey, masterSalt: Buffer.alloc(14) }), 'SRTP_BAD_SALT_LENGTH'],
    ['replay window', () => createSrtpSession({ ...k, suite: 'AEAD_AES_256_GCM', replayWindow: 16 }), 'SRTP_BAD_REPLAY_WINDOW'],
    ['kdr', () => createSrtpSession({ ...k, suite: 'AEAD_AES_256_GCM', kdr: 3 }), 'SRTP_BAD_KDR'],
    ['lifetime', () => createSrtpSession({ ...k, suite: 'AEAD_AES_256_GCM', lifetime: 0 }), 'SRTP_BAD_LIFETIME'],
    ['mki length', () => createSrtpSession({ ...k, suite: 'AEAD_AES_256_GCM', mki: Buffer.alloc(0) }), 'SRTP_BAD_MKI'],
    ['several keys without mki', () => createSrtpSession({ ...k, suite: 'AEAD_AES_256_GCM', additionalKeys: [k] }), 'SRTP_MKI_REQUIRED'],
    ['duplicate mki', () => createSrtpSession({ ...k, suite: 'AEAD_AES_256_GCM', mki: Buffer.from([1]), additionalKeys: [{ ...k, mki: Buffer.from([1]) }] }), 'SRTP_DUPLICATE_MKI'],
  ];
  it.each(cases)('%s', (_name, make, code) => {
    let caught: unknown;
    try {
      make();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GatehouseError);
    expect((caught as GatehouseError).code).toBe(code);
    expect((caught as GatehouseError).category).toBe('config');
    // messages never contain key material
    expect((caught as GatehouseError).message).not.toContain(k.masterKey.toString('hex').slice(0, 8));
  });
});
