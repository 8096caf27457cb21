import { describe, expect, it } from 'vitest';
import { SUITES, SUITE_ALIASES, lookupSuite, suiteByDtlsProfileId, suiteByName } from '../../../crypto-policy/suites.ts';

// One row per suite: the numbers come from the RFC named in each case.
const ROWS = [
  { name: 'AEAD_AES_256_GCM', src: 'RFC 7714 s14.1/s14.2', dtls: 0x0008, key: 32, salt: 12, tag: 16, rtcpTag: 16, aead: true, fips: true, secure: true },
  { name: 'AEAD_AES_128_GCM', src: 'RFC 7714 s14.1/s14.2', dtls: 0x0007, key: 16, salt: 12, tag: 16, rtcpTag: 16, aead: true, fips: true, secure: false },
  { name: 'AES_CM_128_HMAC_SHA1_80', src: 'RFC 4568 s6.2.1, RFC 5764 s4.1.2', dtls: 0x0001, key: 16, salt: 14, tag: 10, rtcpTag: 10, aead: false, fips: true, secure: false },
  { name: 'AES_CM_128_HMAC_SHA1_32', src: 'RFC 4568 s6.2.2, RFC 5764 s4.1.2 (SRTCP tag 80 bits)', dtls: 0x0002, key: 16, salt: 14, tag: 4, rtcpTag: 10, aead: false, fips: false, secure: false },
  { name: 'AES_256_CM_HMAC_SHA1_80', src: 'RFC 6188 s7.1 (no DTLS-SRTP profile)', dtls: null, key: 32, salt: 14, tag: 10, rtcpTag: 10, aead: false, fips: true, secure: false },
  { name: 'AES_256_CM_HMAC_SHA1_32', src: 'RFC 6188 s7.1 (SRTCP tag 80 bits, no DTLS-SRTP profile)', dtls: null, key: 32, salt: 14, tag: 4, rtcpTag: 10, aead: false, fips: false, secure: false },
] as const;

describe('suite table', () => {
  it('has exactly the six suites, in preference order', () => {
    expect(SUITES.map((s) => s.name)).toEqual(ROWS.map((r) => r.name));
  });
  for (const r of ROWS) {
    it(`${r.src}: ${r.name}`, () => {
      const s = suiteByName(r.name);
      expect(s.dtlsProfileId).toBe(r.dtls);
      expect([s.keyLength, s.saltLength, s.srtpAuthTagLength, s.srtcpAuthTagLength, s.aead]).toEqual([r.key, r.salt, r.tag, r.rtcpTag, r.aead]);
      expect(s.approvedIn).toEqual({ default: true, secure: r.secure, fips: r.fips });
      // RFC 3711 s9.2 / RFC 7714 s14.2: 2^48 SRTP and 2^31 SRTCP packets per master key.
      expect(s.maxLifetimeSrtp).toBe(2n ** 48n);
      expect(s.maxLifetimeSrtcp).toBe(2n ** 31n);
      expect(s.authKeyLength).toBe(r.aead ? 0 : 20);
    });
  }
  it('is frozen (readonly data, not switches)', () => {
    expect(Object.isFrozen(SUITES)).toBe(true);
    expect(Object.isFrozen(SUITES[0])).toBe(true);
    expect(() => {
      (SUITES[0] as { keyLength: number }).keyLength = 1;
    }).toThrow(TypeError);
  });
});

describe('lookupSuite', () => {
  const CASES: { offered: string; ok: boolean; suite?: string; via?: string; reason?: RegExp }[] = [
    { offered: 'AEAD_AES_256_GCM', ok: true, suite: 'AEAD_AES_256_GCM', via: 'name' },
    { offered: 'aes_cm_128_hmac_sha1_80', ok: true, suite: 'AES_CM_128_HMAC_SHA1_80', via: 'case-insensitive' },
    // FreeSWITCH SUITES[] spelling of RFC 6188 suites: same parameters, mapped.
    { offered: 'AES_CM_256_HMAC_SHA1_80', ok: true, suite: 'AES_256_CM_HMAC_SHA1_80', via: 'alias' },
    { offered: 'AES_CM_256_HMAC_SHA1_32', ok: true, suite: 'AES_256_CM_HMAC_SHA1_32', via: 'alias' },
    // FreeSWITCH _8 names are 8-octet-tag GCM (libsrtp *_8_auth), not RFC 7714: refused with the reason.
    { offered: 'AEAD_AES_256_GCM_8', ok: false, reason: /8-octet tag.*RFC 7714/ },
    { offered: 'AEAD_AES_128_GCM_8', ok: false, reason: /8-octet tag.*RFC 7714/ },
    { offered: 'F8_128_HMAC_SHA1_80', ok: false, reason: /AES-f8/ },
    { offered: 'AES_192_CM_HMAC_SHA1_80', ok: false, reason: /AES-192/ },
    { offered: 'NULL_HMAC_SHA1_80', ok: false, reason: /unencrypted/ },
    { offered: 'AES_CM_128_NULL_AUTH', ok: false, reason: /no authentication/ },
    { offered: 'SOMETHING_NEW_128', ok: false, reason: /unknown SRTP crypto suite/ },
    { offered: '', ok: false, reason: /unknown/ },
  ];
  for (const c of CASES) {
    it(`${c.offered || '(empty)'} -> ${c.ok ? c.suite : 'refused'}`, () => {
      const r = lookupSuite(c.offered);
      expect(r.ok).toBe(c.ok);
      if (r.ok) {
        expect(r.suite.name).toBe(c.suite);
        expect(r.via).toBe(c.via);
      } else {
        expect(r.reason).toMatch(c.reason ?? /./);
        expect(r.code).toBe(c.offered.endsWith('_NEW_128') || c.offered === '' ? 'SUITE_UNKNOWN' : 'SUITE_REFUSED_ALIAS');
      }
    });
  }
  it('every alias either maps to a table row or carries a reason', () => {
    for (const a of SUITE_ALIASES) {
      const r = lookupSuite(a.alias);
      if ('maps' in a) expect(r.ok && r.suite.name === a.maps).toBe(true);
      else expect(!r.ok && r.reason === a.rejects).toBe(true);
    }
  });
});

describe('suiteByDtlsProfileId (RFC 5764 s4.1.2, RFC 7714 s14.2)', () => {
  const IDS: [number, string | null][] = [
    [0x0001, 'AES_CM_128_HMAC_SHA1_80'],
    [0x0002, 'AES_CM_128_HMAC_SHA1_32'],
    [0x0007, 'AEAD_AES_128_GCM'],
    [0x0008, 'AEAD_AES_256_GCM'],
    [0x0005, null], // SRTP_NULL_HMAC_SHA1_80: not supported
    [0x0003, null], // unassigned
  ];
  for (const [id, name] of IDS) {
    it(`0x000${id.toString(16)} -> ${name ?? 'error'}`, () => {
      const r = suiteByDtlsProfileId(id);
      if (name === null) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toContain(`0x000${id.toString(16)}`);
      } else expect(r.ok && r.suite.name).toBe(name);
    });
  }
});
