/**
 * Session behaviour: replay window (RFC 3711 s3.3.2), key lifetime (s9.2, RFC 4568 s6.1), MKI
 * (s3.1, s8.1), per-SSRC contexts, SRTCP index handling (s3.4), in-place operation.
 */
import { describe, expect, it } from 'vitest';
import { createSrtpSession, SRTP_SUITE_NAMES } from '../../../src/core/srtp/index.ts';
import type { SrtpResult } from '../../../src/core/srtp/index.ts';
import { bytes, bytesOf, keysFor, pair, rtcp, rtp } from './helpers.ts';

const reason = (r: SrtpResult): string => (r.ok ? 'ok' : r.reason);

describe.each(SRTP_SUITE_NAMES.map((s) => [s]))('%s', (suite) => {
  it('round-trips RTP and RTCP, for several SSRCs independently', () => {
    const { tx, rx } = pair(suite);
    for (const ssrc of [1, 0xffffffff, 0x80000000]) {
      for (let seq = 0; seq < 5; seq++) {
        const p = rtp(seq, ssrc, bytes(50 + seq, seq));
        const back = rx.unprotectRtp(bytesOf(tx.protectRtp(p)));
        expect(back.ok && back.out.subarray(0, back.length).equals(p)).toBe(true);
      }
      const c = rtcp(ssrc, 3);
      const cb = rx.unprotectRtcp(bytesOf(tx.protectRtcp(c)));
      expect(cb.ok && cb.out.subarray(0, cb.length).equals(c)).toBe(true);
    }
  });

  it('with a caller-supplied out buffer the result object is reused (no allocation per packet); without one each result is its own', () => {
    const { tx, rx } = pair(suite);
    const wire = Buffer.alloc(200);
    const plain = Buffer.alloc(200);
    const p1 = rtp(1, 9, bytes(40, 1));
    const a = tx.protectRtp(p1, wire);
    const aLength = a.ok ? a.length : -1;
    const back = rx.unprotectRtp(wire.subarray(0, aLength), plain);
    expect(back.ok && back.out === plain && back.length === p1.length).toBe(true);
    const b = tx.protectRtp(rtp(2, 9, bytes(30, 2)), wire);
    expect(b).toBe(a); // refilled: its length is now the second packet's
    expect(b.ok && b.length).toBe(aLength - 10);
    const c = tx.protectRtp(rtp(3, 9, bytes(40, 3)));
    const d = tx.protectRtp(rtp(4, 9, bytes(40, 4)));
    expect(c).not.toBe(d);
    expect(c.ok && d.ok && c.out !== d.out).toBe(true);
  });

  it('replay window: a repeat is "replay", older than the window is "too-old", configurable size', () => {
    const { tx, rx } = pair(suite, { replayWindow: 64 });
    const packets = Array.from({ length: 200 }, (_, i) => bytesOf(tx.protectRtp(rtp(i, 7, bytes(20, i)))));
    expect(reason(rx.unprotectRtp(packets[199] as Buffer))).toBe('ok');
    expect(reason(rx.unprotectRtp(packets[199] as Buffer))).toBe('replay');
    expect(reason(rx.unprotectRtp(packets[136] as Buffer))).toBe('ok'); // 63 behind: inside
    expect(reason(rx.unprotectRtp(packets[136] as Buffer))).toBe('replay');
    expect(reason(rx.unprotectRtp(packets[135] as Buffer))).toBe('too-old'); // 64 behind: outside
    const rtcpPackets = Array.from({ length: 3 }, (_, i) => bytesOf(tx.protectRtcp(rtcp(7, i))));
    expect(reason(rx.unprotectRtcp(rtcpPackets[1] as Buffer))).toBe('ok');
    expect(reason(rx.unprotectRtcp(rtcpPackets[0] as Buffer))).toBe('ok');
    expect(reason(rx.unprotectRtcp(rtcpPackets[1] as Buffer))).toBe('replay');
  });

  it('protect refuses to reuse an index unless allowRepeatTx (GCM nonce reuse guard)', () => {
    const { tx } = pair(suite);
    expect(reason(tx.protectRtp(rtp(10, 9, bytes(10, 1))))).toBe('ok');
    expect(reason(tx.protectRtp(rtp(10, 9, bytes(10, 2))))).toBe('replay');
    const { tx: lax } = pair(suite, { allowRepeatTx: true });
    expect(reason(lax.protectRtp(rtp(10, 9, bytes(10, 1))))).toBe('ok');
    expect(reason(lax.protectRtp(rtp(10, 9, bytes(10, 1))))).toBe('ok');
  });

  it('lifetime: refuses protect and unprotect past the signalled lifetime with its own reason', () => {
    const { tx, rx } = pair(suite, { lifetime: 5 });
    const sent: Buffer[] = [];
    for (let i = 0; i < 4; i++) sent.push(bytesOf(tx.protectRtp(rtp(i, 3, bytes(10, i)))));
    sent.push(bytesOf(tx.protectRtcp(rtcp(3, 1)))); // SRTCP counts against the same lifetime
    expect(tx.remainingPackets()).toBe(0);
    expect(reason(tx.protectRtp(rtp(4, 3, bytes(10, 4))))).toBe('lifetime-exceeded');
    expect(reason(tx.protectRtcp(rtcp(3, 2)))).toBe('lifetime-exceeded');
    for (let i = 0; i < 4; i++) expect(reason(rx.unprotectRtp(sent[i] as Buffer))).toBe('ok');
    expect(reason(rx.unprotectRtcp(sent[4] as Buffer))).toBe('ok');
    const { tx: other } = pair(suite);
    expect(reason(rx.unprotectRtp(bytesOf(other.protectRtp(rtp(9, 3, bytes(10, 9))))))).toBe('lifetime-exceeded');
  });

  it('forged packets spend no lifetime and move no state', () => {
    const { tx, rx } = pair(suite, { lifetime: 3 });
    const good = bytesOf(tx.protectRtp(rtp(1, 3, bytes(10, 1))));
    const forged = Buffer.from(good);
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0x80;
    for (let i = 0; i < 10; i++) expect(reason(rx.unprotectRtp(forged))).toBe('auth-failed');
    expect(reason(rx.unprotectRtp(good))).toBe('ok');
  });

  it('MKI: packets carry it, unknown MKI is refused, a second key is accepted and can be switched to', () => {
    const k1 = keysFor(suite, 10);
    const k2 = keysFor(suite, 20);
    const mki1 = Buffer.from([0, 1]);
    const mki2 = Buffer.from([0, 2]);
    const tx = createSrtpSession({ suite, ...k1, mki: mki1, additionalKeys: [{ ...k2, mki: mki2 }] });
    const rx = createSrtpSession({ suite, ...k1, mki: mki1, additionalKeys: [{ ...k2, mki: mki2 }] });
    const onlyFirst = createSrtpSession({ suite, ...k1, mki: mki1 });
    const p1 = bytesOf(tx.protectRtp(rtp(1, 5, bytes(30, 1))));
    tx.useKey(mki2);
    const p2 = bytesOf(tx.protectRtp(rtp(2, 5, bytes(30, 2))));
    const c2 = bytesOf(tx.protectRtcp(rtcp(5, 1)));
    expect(reason(rx.unprotectRtp(p1))).toBe('ok');
    expect(reason(rx.unprotectRtp(p2))).toBe('ok');
    expect(reason(rx.unprotectRtcp(c2))).toBe('ok');
    expect(reason(onlyFirst.unprotectRtp(p2))).toBe('unknown-mki');
    expect(reason(onlyFirst.unprotectRtcp(c2))).toBe('unknown-mki');
    expect(() => tx.useKey(Buffer.from([9, 9]))).toThrow(/MKI/);
  });

  it('works in place: out may be the buffer the packet lives in', () => {
    const { tx, rx } = pair(suite);
    const p = rtp(77, 1, bytes(160, 3));
    const buf = Buffer.alloc(p.length + 64);
    p.copy(buf);
    const r = tx.protectRtp(buf.subarray(0, p.length), buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const u = rx.unprotectRtp(buf.subarray(0, r.length), buf);
    expect(u.ok && buf.subarray(0, u.length).equals(p)).toBe(true);
  });

  it('SRTCP starts at index 0 (RFC 3711 s3.4) and a tampered index fails authentication', () => {
    const { tx, rx } = pair(suite);
    const first = bytesOf(tx.protectRtcp(rtcp(8, 1)));
    const trailerAt = suiteTrailerOffset(first, suite);
    expect(first.readUInt32BE(trailerAt)).toBe(0x80000000);
    const second = bytesOf(tx.protectRtcp(rtcp(8, 2)));
    expect(second.readUInt32BE(trailerAt)).toBe(0x80000001);
    const wrong = Buffer.from(second);
    wrong.writeUInt32BE(0x80000005, trailerAt);
    expect(reason(rx.unprotectRtcp(wrong))).toBe('auth-failed');
    expect(reason(rx.unprotectRtcp(second))).toBe('ok');
  });
});

function suiteTrailerOffset(p: Buffer, suite: string): number {
  return suite.startsWith('AEAD') ? p.length - 4 : p.length - 10 - 4;
}
