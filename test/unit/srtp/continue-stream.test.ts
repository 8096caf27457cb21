/**
 * Continuing an inbound stream in a second session (takeover): the first session's highest
 * authenticated index (RFC 3711 3.3.1: ROC * 2^16 + SEQ) primes the second, which then
 * decrypts packets past a wrap that a fresh session (ROC 0) cannot; replays of what the first
 * session received are refused.
 */
import { describe, expect, it } from 'vitest';
import { createSrtpSession, SRTP_SUITE_NAMES } from '../../../src/core/srtp/index.ts';
import { bytes, bytesOf, keysFor, rtp } from './helpers.ts';

describe('SrtpSession.inboundIndexes / primeInbound', () => {
  it.each(SRTP_SUITE_NAMES.map((s) => [s]))('%s: a stream past one wrap continues in a primed session, not in a fresh one', (suite) => {
    const k = keysFor(suite, 3);
    const tx = createSrtpSession({ suite, ...k });
    const first = createSrtpSession({ suite, ...k });
    const ssrc = 0xcafe0001;
    const payload = bytes(160, 1);
    const packets: Buffer[] = [];
    for (let i = 0; i < 70_000; i++) {
      payload.writeUInt32BE(i, 0);
      packets.push(bytesOf(tx.protectRtp(rtp((65_000 + i) & 0xffff, ssrc, payload))));
    }
    // the first session sees packets 0..68,999 (ROC 0 -> 1 at packet 536)
    for (let i = 0; i < 69_000; i++) expect(first.unprotectRtp(packets[i] as Buffer).ok).toBe(true);
    const state = first.inboundIndexes();
    expect(state).toEqual([{ ssrc, index: 65_000 + 68_999 }]);

    const fresh = createSrtpSession({ suite, ...k });
    expect(fresh.unprotectRtp(packets[69_500] as Buffer)).toMatchObject({ ok: false, reason: 'auth-failed' });

    const primed = createSrtpSession({ suite, ...k });
    primed.primeInbound(ssrc, (state[0] as { index: number }).index);
    expect(primed.unprotectRtp(packets[68_999] as Buffer)).toMatchObject({ ok: false, reason: 'replay' }); // the first session had it
    for (let i = 69_001; i < 70_000; i++) expect(primed.unprotectRtp(packets[i] as Buffer).ok).toBe(true);
    // priming an SSRC the session already follows changes nothing
    primed.primeInbound(ssrc, 0);
    expect(primed.inboundIndexes()).toEqual([{ ssrc, index: 65_000 + 69_999 }]);
  });

  it('refuses an index outside 0..2^48-1', () => {
    const s = createSrtpSession({ suite: 'AEAD_AES_128_GCM', ...keysFor('AEAD_AES_128_GCM', 1) });
    expect(() => s.primeInbound(1, -1)).toThrow(/SRTP index/);
    expect(() => s.primeInbound(1, 2 ** 48)).toThrow(/SRTP index/);
  });
});
