/**
 * Non-zero key derivation rate (RFC 3711 s4.3.1): session keys are re-derived with
 * r = index DIV kdr. Independent check: key_id = label || r is XORed into the master salt, so a
 * kdr=0 session whose master salt already carries r (octets 8..13) must produce the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { createSrtpSession, SRTP_SUITE_NAMES, SRTP_SUITES } from '../../../src/core/srtp/index.ts';
import { bytes, bytesOf, keysFor, rtcp, rtp } from './helpers.ts';

/** The master salt with r (< 2^16 here) XORed into its last two octets (r's low bits). */
function saltWithR(salt: Buffer, r: number): Buffer {
  const s = Buffer.from(salt);
  s[12] = (s[12] ?? 0) ^ (r >>> 8);
  s[13] = (s[13] ?? 0) ^ (r & 0xff);
  return s;
}

describe.each(SRTP_SUITE_NAMES.map((s) => [s]))('%s with kdr 16', (suite) => {
  const s = SRTP_SUITES[suite];
  it('SRTP keys change every 16 packets exactly as key_id = label || r prescribes', () => {
    if (s.saltLength !== 14) {
      // GCM salts are 12 octets: r lands in the zero padding, which a 12-octet salt cannot carry;
      // check instead that the keys do change at the boundary and round-trip.
      const k = keysFor(suite, 3);
      const a = createSrtpSession({ suite, ...k, kdr: 16 });
      const plain = createSrtpSession({ suite, ...k });
      const p15 = rtp(15, 1, bytes(20, 1));
      const p16 = rtp(16, 1, bytes(20, 1));
      expect(bytesOf(a.protectRtp(p15)).equals(bytesOf(plain.protectRtp(p15)))).toBe(true);
      expect(bytesOf(a.protectRtp(p16)).equals(bytesOf(plain.protectRtp(p16)))).toBe(false);
      return;
    }
    const k = keysFor(suite, 3);
    const a = createSrtpSession({ suite, ...k, kdr: 16 });
    for (let seq = 0; seq < 70; seq++) {
      const p = rtp(seq, 0x42, bytes(30, seq));
      const r = seq >> 4;
      const reference = createSrtpSession({ suite, masterKey: k.masterKey, masterSalt: saltWithR(k.masterSalt, r) });
      reference.protectRtp(rtp((seq + 65535) & 0xffff, 0x99, Buffer.alloc(1))); // unrelated SSRC
      expect(bytesOf(a.protectRtp(p)).toString('hex'), `seq ${seq}`).toBe(bytesOf(reference.protectRtp(p)).toString('hex'));
    }
  });

  it('SRTCP keys follow the SRTCP index', () => {
    const k = keysFor(suite, 4);
    if (s.saltLength !== 14) {
      // 12-octet GCM salt: compare with a kdr=0 session around the boundary instead
      for (const [index, same] of [[15, true], [16, false]] as const) {
        const a = createSrtpSession({ suite, ...k, kdr: 16 });
        const plain = createSrtpSession({ suite, ...k });
        a.setOutboundRtcpIndex(0x42, index);
        plain.setOutboundRtcpIndex(0x42, index);
        const c = rtcp(0x42, 1);
        expect(bytesOf(a.protectRtcp(c)).equals(bytesOf(plain.protectRtcp(c))), `index ${index}`).toBe(same);
      }
      return;
    }
    const a = createSrtpSession({ suite, ...k, kdr: 16 });
    a.setOutboundRtcpIndex(0x42, 31);
    const c = rtcp(0x42, 1);
    const reference = createSrtpSession({ suite, masterKey: k.masterKey, masterSalt: saltWithR(k.masterSalt, 1) });
    reference.setOutboundRtcpIndex(0x42, 31);
    expect(bytesOf(a.protectRtcp(c)).equals(bytesOf(reference.protectRtcp(c)))).toBe(true);
  });

  it('a receiver with the same kdr follows, including reordering across a key boundary', () => {
    const k = keysFor(suite, 5);
    const tx = createSrtpSession({ suite, ...k, kdr: 16 });
    const rx = createSrtpSession({ suite, ...k, kdr: 16 });
    const sent = Array.from({ length: 100 }, (_, i) => bytesOf(tx.protectRtp(rtp(65500 + i, 7, bytes(20, i)))));
    const order = [0, 1, 2, 17, 16, 15, 14, 40, 33, 34, 32, 31, 30, 99, 98, 50];
    for (const i of order) {
      const u = rx.unprotectRtp(sent[i] as Buffer);
      expect(u.ok, `packet ${i}`).toBe(true);
    }
  });
});
