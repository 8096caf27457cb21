/** The transform's suite view agrees with the RFC numbers (RFC 3711 s8.2, RFC 6188, RFC 7714 s14.2). */
import { describe, expect, it } from 'vitest';
import { SRTP_SUITES, srtpSuite, srtpSuiteForDtlsProfile } from '../../../src/core/srtp/suites.ts';

describe('SRTP suite view', () => {
  const expected: [string, number, number, number, number, number | null][] = [
    // name, key, salt, SRTP tag, SRTCP tag, DTLS-SRTP profile
    ['AEAD_AES_256_GCM', 32, 12, 16, 16, 0x0008],
    ['AEAD_AES_128_GCM', 16, 12, 16, 16, 0x0007],
    ['AES_CM_128_HMAC_SHA1_80', 16, 14, 10, 10, 0x0001],
    ['AES_CM_128_HMAC_SHA1_32', 16, 14, 4, 10, 0x0002],
    ['AES_256_CM_HMAC_SHA1_80', 32, 14, 10, 10, null],
    ['AES_256_CM_HMAC_SHA1_32', 32, 14, 4, 10, null],
  ];
  it.each(expected)('%s', (name, key, salt, rtpTag, rtcpTag, profile) => {
    const s = srtpSuite(name);
    expect([s.keyLength, s.saltLength, s.rtpTagLength, s.rtcpTagLength, s.dtlsProfile]).toEqual([key, salt, rtpTag, rtcpTag, profile]);
    expect(s.maxSrtpPackets).toBe(2 ** 48);
    expect(s.maxSrtcpPackets).toBe(2 ** 31);
    if (profile !== null) expect(srtpSuiteForDtlsProfile(profile)).toBe(s);
  });
  it('has exactly the six suites and no DTLS profile 0x0003', () => {
    expect(Object.keys(SRTP_SUITES).sort()).toEqual(expected.map((e) => e[0]).sort());
    expect(srtpSuiteForDtlsProfile(0x0003)).toBeUndefined();
  });
});
