import { describe, expect, it } from 'vitest';
import { SdpParseError, parseCrypto, serializeCrypto } from '../../../sdp/index.ts';
import type { CryptoAttribute } from '../../../sdp/index.ts';

/** RFC 4568 (SDES) a=crypto vectors: RFC examples, real-device quirks, and malformed lines. */

function bytes(b64: string): number {
  return Buffer.from(b64, 'base64').length;
}

describe('RFC 4568 a=crypto parse + canonical serialize', () => {
  const cases: readonly { name: string; input: string; canonical: string; check: (c: CryptoAttribute) => void }[] = [
    {
      name: 'RFC 4568 4 example: lifetime 2^20 and MKI 1:4',
      input: '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4',
      canonical: '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4',
      check: (c) => {
        expect(c.tag).toBe(1);
        expect(c.suite).toBe('AES_CM_128_HMAC_SHA1_80');
        expect(c.keyParams).toHaveLength(1);
        expect(c.keyParams[0]?.keySalt.length).toBe(30);
        expect(c.keyParams[0]?.lifetime).toBe(1n << 20n);
        expect(c.keyParams[0]?.mki).toEqual({ value: 1n, length: 4 });
        expect(c.sessionParams).toEqual([]);
      },
    },
    {
      name: 'RFC 4568 8.1 example: two key-params with MKIs 1:4 and 2:4, FEC_ORDER',
      input: '2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP',
      canonical: '2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP',
      check: (c) => {
        expect(c.keyParams.map((k) => k.mki)).toEqual([{ value: 1n, length: 4 }, { value: 2n, length: 4 }]);
        expect(c.sessionParams).toEqual([{ kind: 'FEC_ORDER', value: 'FEC_SRTP' }]);
      },
    },
    {
      name: 'RFC 4568 6.3 session params: KDR=1 and UNENCRYPTED_SRTCP with MKI 1:32',
      input: '1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP',
      canonical: '1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP',
      check: (c) => {
        expect(c.keyParams[0]?.mki).toEqual({ value: 1n, length: 32 });
        expect(c.sessionParams).toEqual([{ kind: 'KDR', value: 1 }, { kind: 'UNENCRYPTED_SRTCP' }]);
      },
    },
    {
      name: 'RFC 4568 6.3.2-6.3.6: every SRTP session parameter, plus an unknown one kept',
      input: '9 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP KDR=24 FEC_ORDER=SRTP_FEC FEC_KEY=inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4 WSH=128 -X_VENDOR=7',
      canonical: '9 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP KDR=24 FEC_ORDER=SRTP_FEC FEC_KEY=inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4 WSH=128 -X_VENDOR=7',
      check: (c) => {
        expect(c.sessionParams.map((p) => p.kind)).toEqual(['UNENCRYPTED_SRTP', 'UNENCRYPTED_SRTCP', 'UNAUTHENTICATED_SRTP', 'KDR', 'FEC_ORDER', 'FEC_KEY', 'WSH', 'unknown']);
        const fec = c.sessionParams[5];
        expect(fec?.kind === 'FEC_KEY' ? fec.keyParams[0]?.mki : undefined).toEqual({ value: 1n, length: 4 });
      },
    },
    {
      name: 'RFC 4568 6.1 lifetime as 2^31 (SRTCP maximum) is kept exactly',
      input: '2 AES_CM_128_HMAC_SHA1_80 inline:TAaxNnQt8/qLQMnDuG4vxYfWl6K7eBK/ufk04pR4|2^31|1:1',
      canonical: '2 AES_CM_128_HMAC_SHA1_80 inline:TAaxNnQt8/qLQMnDuG4vxYfWl6K7eBK/ufk04pR4|2^31|1:1',
      check: (c) => {
        expect(c.keyParams[0]?.lifetime).toBe(2147483648n);
        expect(c.keyParams[0]?.mki).toEqual({ value: 1n, length: 1 });
      },
    },
    {
      name: 'RFC 4568 6.1 lifetime in decimal; a power of two is written canonically as 2^n',
      input: '3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576',
      canonical: '3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20',
      check: (c) => expect(c.keyParams[0]?.lifetime).toBe(1048576n),
    },
    {
      name: 'RFC 4568 6.1 lifetime in decimal that is not a power of two stays decimal',
      input: '3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000000',
      canonical: '3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000000',
      check: (c) => expect(c.keyParams[0]?.lifetime).toBe(1000000n),
    },
    {
      // key and salt from the rtpengine log in sipwise/rtpengine#1622, joined; rtpengine sends it unpadded
      name: 'RFC 4568 9.1 44-byte AEAD_AES_256_GCM key-salt without base64 padding (sipwise/rtpengine#1197)',
      input: '1 AEAD_AES_256_GCM inline:czR43Q05Tlky5pj/m6BomEKXh+b5okz/iSUDQqgvHDJWi/0EDtIq16vYCOM',
      canonical: '1 AEAD_AES_256_GCM inline:czR43Q05Tlky5pj/m6BomEKXh+b5okz/iSUDQqgvHDJWi/0EDtIq16vYCOM=',
      check: (c) => expect(c.keyParams[0]?.keySalt.length).toBe(44),
    },
    {
      name: 'RFC 4568 9.1 unpadded 46-byte key-salt gets its padding back on output',
      input: '1 AEAD_AES_256_GCM inline:oJzigckA3E7VxafV0JyOiPV8BS3m6IaqDS8bCseg4KjQ6CqmR0ShaNFJdhQ',
      canonical: '1 AEAD_AES_256_GCM inline:oJzigckA3E7VxafV0JyOiPV8BS3m6IaqDS8bCseg4KjQ6CqmR0ShaNFJdhQ=',
      check: (c) => expect(c.keyParams[0]?.keySalt.length).toBe(bytes('oJzigckA3E7VxafV0JyOiPV8BS3m6IaqDS8bCseg4KjQ6CqmR0ShaNFJdhQ=')),
    },
    {
      name: 'RFC 4568 9.1 odd spacing: tabs, double spaces, spaces around "|" and ";"',
      input: ' 7\tAES_CM_128_HMAC_SHA1_80   inline: PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR | 2^20 | 1:4 ; inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5  \tKDR=2 ',
      canonical: '7 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5 KDR=2',
      check: (c) => expect(c.keyParams).toHaveLength(2),
    },
    {
      name: 'RFC 5234 2.3 literals are case-insensitive: INLINE, kdr=, and a mixed-case suite kept as offered',
      input: '1 AeS_Cm_128_HmAC_shA1_80 INLINE:WnD7c1ksDGs+dIefCEo8omPg4uO8DYIinNGL5yxQ kdr=3 unencrypted_srtp',
      canonical: '1 AeS_Cm_128_HmAC_shA1_80 inline:WnD7c1ksDGs+dIefCEo8omPg4uO8DYIinNGL5yxQ KDR=3 UNENCRYPTED_SRTP',
      check: (c) => expect(c.suite).toBe('AeS_Cm_128_HmAC_shA1_80'),
    },
    {
      name: 'RFC 4568 9.1 tag upper bound 999999999',
      input: '999999999 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      canonical: '999999999 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      check: (c) => expect(c.tag).toBe(999999999),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = parseCrypto(c.input);
      c.check(parsed);
      expect(serializeCrypto(parsed)).toBe(c.canonical);
      expect(parseCrypto(serializeCrypto(parsed))).toEqual(parsed);
    });
  }
});

describe('RFC 4568 malformed a=crypto: exact reasons, never key text', () => {
  const KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
  const bad: readonly [string, string, string][] = [
    ['RFC 4568 9.1 missing key-params', '1 AES_CM_128_HMAC_SHA1_80', 'needs tag, crypto-suite and key-params (RFC 4568 9.1)'],
    ['RFC 4568 9.1 tag 0', `0 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`, 'tag must be 1..999999999 (RFC 4568 9.1)'],
    ['RFC 4568 9.1 tag with 10 digits', `1234567890 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`, 'tag must be 1..999999999 (RFC 4568 9.1)'],
    ['RFC 4568 9.1 suite with bad characters', `1 AES-CM inline:${KEY}`, 'crypto-suite must be letters, digits and "_" (RFC 4568 9.1)'],
    ['RFC 4568 6.1 key method other than inline', `1 AES_CM_128_HMAC_SHA1_80 uri:${KEY}`, 'key-param 1: key method must be "inline" (RFC 4568 6.1)'],
    ['RFC 4568 6.1 empty key-salt', '1 AES_CM_128_HMAC_SHA1_80 inline:|2^20', 'key-param 1: empty key-salt (RFC 4568 6.1)'],
    ['RFC 4568 6.1 key-salt not base64', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY.slice(0, 20)}!!${KEY.slice(22)}`, 'key-param 1: key-salt is not valid base64 (RFC 4568 6.1)'],
    ['RFC 4568 6.1 key-salt impossible base64 length', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}A`, 'key-param 1: key-salt is not valid base64 (RFC 4568 6.1)'],
    ['RFC 4568 6.1 lifetime not a number', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|forever`, 'key-param 1: lifetime must be "2^n" or a decimal number (RFC 4568 6.1)'],
    ['RFC 4568 6.1 lifetime 0', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|0`, 'key-param 1: lifetime is 0'],
    ['RFC 4568 6.1 lifetime exponent too big', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^65`, 'key-param 1: lifetime exponent above 64'],
    ['RFC 4568 6.1 MKI length 0', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^20|1:0`, 'key-param 1: MKI length must be 1..128 (RFC 4568 6.1)'],
    ['RFC 4568 6.1 MKI length 129', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1:129`, 'key-param 1: MKI length must be 1..128 (RFC 4568 6.1)'],
    ['RFC 4568 6.1 MKI value too big for its length', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|256:1`, 'key-param 1: MKI value does not fit in MKI length'],
    ['RFC 4568 6.1 MKI not decimal', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|x:4`, 'key-param 1: MKI must be "<value>:<length>" in decimal (RFC 4568 6.1)'],
    ['RFC 4568 9.1 MKI before lifetime', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1:4|2^20`, 'key-param 1: lifetime must come before MKI (RFC 4568 9.1)'],
    ['RFC 4568 9.1 too many fields', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^20|1:4|9`, 'key-param 1: too many "|" fields (RFC 4568 9.1)'],
    ['RFC 4568 9.1 empty second key-param', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY};`, 'empty key-param (RFC 4568 9.1)'],
    ['RFC 4568 6.1 error names the failing key-param', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY};inline:${KEY}|2^99`, 'key-param 2: lifetime exponent above 64'],
    ['RFC 4568 6.3.1 KDR above 24', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} KDR=25`, 'KDR must be 0..24 (RFC 4568 6.3.1)'],
    ['RFC 4568 6.3.1 KDR without value', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} KDR`, 'KDR must be 0..24 (RFC 4568 6.3.1)'],
    ['RFC 4568 6.3.4 FEC_ORDER unknown', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} FEC_ORDER=FIRST`, 'FEC_ORDER must be FEC_SRTP or SRTP_FEC (RFC 4568 6.3.4)'],
    ['RFC 4568 6.3.5 FEC_KEY empty', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} FEC_KEY=`, 'FEC_KEY needs key-params (RFC 4568 6.3.5)'],
    ['RFC 4568 6.3.6 WSH below 64', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} WSH=32`, 'WSH must be a number >= 64 (RFC 4568 6.3.6)'],
    ['RFC 4568 6.3.2 flag with a value', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} UNENCRYPTED_SRTP=1`, 'UNENCRYPTED_SRTP takes no value (RFC 4568 6.3)'],
  ];
  for (const [name, input, reason] of bad) {
    it(name, () => {
      let err: unknown;
      try {
        parseCrypto(input, 12);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SdpParseError);
      const e = err as SdpParseError;
      expect(e.reason).toBe(`a=crypto: ${reason}`);
      expect(e.line).toBe(12);
      expect(e.code).toBe('SDP_CRYPTO');
      expect(e.message).not.toContain(KEY.slice(0, 12));
      expect(e.sipReason ?? '').not.toContain(KEY.slice(0, 12));
    });
  }
});
