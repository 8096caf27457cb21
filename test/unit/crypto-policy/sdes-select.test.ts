import { describe, expect, it } from 'vitest';
import type { CryptoAttribute } from '../../../sdp/crypto-attribute.ts';
import { parseCrypto } from '../../../sdp/index.ts';
import { BUILTIN_PROFILES } from '../../../crypto-policy/builtin-profiles.ts';
import type { Profile } from '../../../crypto-policy/profile-schema.ts';
import { MAX_CRYPTO_LINES, selectSdes } from '../../../crypto-policy/sdes-select.ts';
import { countingRng, crypto } from './helpers.ts';

const P = Object.fromEntries(BUILTIN_PROFILES.map((p) => [p.name, p])) as Record<'default' | 'secure' | 'fips' | 'interop', Profile>;
const GCM256 = (tag: number, o = {}) => crypto(tag, 'AEAD_AES_256_GCM', 44, o);
const GCM128 = (tag: number, o = {}) => crypto(tag, 'AEAD_AES_128_GCM', 28, o);
const CM80 = (tag: number, o = {}) => crypto(tag, 'AES_CM_128_HMAC_SHA1_80', 30, o);
const CM32 = (tag: number, o = {}) => crypto(tag, 'AES_CM_128_HMAC_SHA1_32', 30, o);
const CM256_80 = (tag: number, o = {}) => crypto(tag, 'AES_256_CM_HMAC_SHA1_80', 46, o);
const CM256_32 = (tag: number, o = {}) => crypto(tag, 'AES_256_CM_HMAC_SHA1_32', 46, o);

/** profile × offer shape -> chosen tag (null = nothing acceptable), plus a reason regexp for a line. */
const TABLE: { profile: keyof typeof P; what: string; offer: CryptoAttribute[]; chosen: number | null; suite?: string; line?: [number, RegExp] }[] = [
  // Policy order, not offer order (RFC 4568 s7.1.2 lets the answerer pick any line).
  { profile: 'default', what: 'SHA1_80 listed before GCM-256: GCM-256 wins', offer: [CM80(1), GCM256(2)], chosen: 2, line: [0, /acceptable, but AEAD_AES_256_GCM \(tag 2\) comes first in profile default/] },
  { profile: 'default', what: 'GCM-128 and SHA1_80: GCM-128', offer: [CM80(5), GCM128(9)], chosen: 9 },
  { profile: 'default', what: 'SHA1_80 only: accepted (downgrade)', offer: [CM80(1)], chosen: 1 },
  { profile: 'default', what: 'SHA1_32 only: refused', offer: [CM32(1)], chosen: null, line: [0, /AES_CM_128_HMAC_SHA1_32 is not allowed by profile default/] },
  { profile: 'default', what: 'AES_256_CM only: refused', offer: [CM256_80(1)], chosen: null },
  { profile: 'secure', what: 'everything but GCM-256: refused', offer: [GCM128(1), CM80(2), CM32(3)], chosen: null },
  { profile: 'secure', what: 'GCM-256 last in a long list: chosen', offer: [CM32(1), CM80(2), GCM128(3), GCM256(4)], chosen: 4 },
  { profile: 'fips', what: 'AES_256_CM_80 beats AES_CM_128_80', offer: [CM80(1), CM256_80(2)], chosen: 2 },
  { profile: 'fips', what: '32-bit tags refused', offer: [CM32(1), CM256_32(2)], chosen: null },
  { profile: 'interop', what: 'SHA1_32 accepted', offer: [CM32(3)], chosen: 3 },
  { profile: 'interop', what: 'AES_256_CM_32 preferred over AES_CM_128_32', offer: [CM32(1), CM256_32(2)], chosen: 2 },
  // Aliases: FreeSWITCH's AES_CM_256 spelling maps; _8 GCM names are refused.
  { profile: 'interop', what: 'alias AES_CM_256_HMAC_SHA1_80 maps, answer echoes the offered name', offer: [crypto(7, 'AES_CM_256_HMAC_SHA1_80', 46)], chosen: 7, suite: 'AES_CM_256_HMAC_SHA1_80' },
  { profile: 'default', what: 'AEAD_AES_256_GCM_8 refused, 16-octet GCM accepted', offer: [crypto(1, 'AEAD_AES_256_GCM_8', 44), GCM256(2)], chosen: 2, line: [0, /8-octet tag/] },
  { profile: 'default', what: 'lower-case suite name matches', offer: [crypto(4, 'aead_aes_128_gcm', 28)], chosen: 4, suite: 'aead_aes_128_gcm' },
  // Key length must match the suite (RFC 4568 s6.1).
  { profile: 'default', what: 'GCM-256 with a 30-byte key: refused, SHA1_80 chosen', offer: [crypto(1, 'AEAD_AES_256_GCM', 30), CM80(2)], chosen: 2, line: [0, /key\|\|salt is 30 bytes, AEAD_AES_256_GCM needs 44 \(32\+12/] },
  // Lifetime (RFC 4568 s6.1, RFC 3711 s9.2 max 2^48).
  { profile: 'default', what: 'lifetime 2^31 accepted', offer: [CM80(1, { lifetime: 2n ** 31n })], chosen: 1 },
  { profile: 'default', what: 'lifetime 2^48 accepted', offer: [GCM256(1, { lifetime: 2n ** 48n })], chosen: 1 },
  { profile: 'default', what: 'lifetime 2^49 refused', offer: [GCM256(1, { lifetime: 2n ** 49n }), CM80(2)], chosen: 2, line: [0, /lifetime 2\^49 exceeds the AEAD_AES_256_GCM maximum of 2\^48 packets \(RFC 7714\)/] },
  // MKI only when the profile allows it.
  { profile: 'default', what: 'MKI refused (allowMki false)', offer: [CM80(1, { mki: { value: 1n, length: 4 } })], chosen: null, line: [0, /MKI offered but profile default does not allow MKI/] },
  { profile: 'interop', what: 'MKI accepted (allowMki true)', offer: [CM80(1, { mki: { value: 1n, length: 4 } })], chosen: 1 },
  { profile: 'interop', what: 'MKI of 17 bytes refused', offer: [CM80(1, { mki: { value: 1n, length: 17 } })], chosen: null, line: [0, /MKI length 17 outside 1\.\.16/] },
  // Session parameters (RFC 4568 s6.3).
  { profile: 'default', what: 'UNENCRYPTED_SRTP refused', offer: [GCM256(1, { params: [{ kind: 'UNENCRYPTED_SRTP' }] }), CM80(2)], chosen: 2, line: [0, /UNENCRYPTED_SRTP \(RFC 4568 s6\.3\.2\) refused by profile default \(allowPlaintext: false\)/] },
  { profile: 'default', what: 'UNENCRYPTED_SRTCP refused', offer: [CM80(1, { params: [{ kind: 'UNENCRYPTED_SRTCP' }] })], chosen: null },
  { profile: 'interop', what: 'UNAUTHENTICATED_SRTP refused even in interop', offer: [CM80(1, { params: [{ kind: 'UNAUTHENTICATED_SRTP' }] })], chosen: null, line: [0, /UNAUTHENTICATED_SRTP/] },
  { profile: 'default', what: 'KDR=16 accepted and recorded', offer: [CM80(1, { params: [{ kind: 'KDR', value: 16 }] })], chosen: 1 },
  { profile: 'default', what: 'WSH and FEC_ORDER recorded', offer: [CM80(1, { params: [{ kind: 'WSH', value: 128 }, { kind: 'FEC_ORDER', value: 'FEC_SRTP' }] })], chosen: 1 },
  { profile: 'default', what: 'FEC_KEY refused', offer: [CM80(1, { params: [{ kind: 'FEC_KEY', keyParams: [] }] })], chosen: null, line: [0, /FEC_KEY/] },
  { profile: 'default', what: 'unknown mandatory parameter rejects the line (s6.3.7)', offer: [GCM256(1, { params: [{ kind: 'unknown', text: 'NEW_THING=1' }] }), CM80(2)], chosen: 2, line: [0, /unknown mandatory session parameter NEW_THING \(RFC 4568 s6\.3\.7\)/] },
  { profile: 'default', what: 'unknown "-" parameter is optional and ignored', offer: [GCM256(1, { params: [{ kind: 'unknown', text: '-NEW_THING=1' }] })], chosen: 1 },
  // Tags: duplicates refused; the chosen tag is echoed.
  { profile: 'default', what: 'duplicate tag: second line refused', offer: [CM80(3), crypto(3, 'AEAD_AES_256_GCM', 44)], chosen: 3, suite: 'AES_CM_128_HMAC_SHA1_80', line: [1, /duplicate tag 3/] },
  { profile: 'default', what: 'same suite twice: first offered wins', offer: [CM80(8), CM80(2)], chosen: 8, line: [1, /same suite as tag 8/] },
];

describe('SDES selection: profile × offer (RFC 4568)', () => {
  for (const c of TABLE) {
    it(`${c.profile}: ${c.what}`, () => {
      const out = selectSdes(P[c.profile], c.offer, countingRng);
      expect(out.lines).toHaveLength(c.offer.length);
      if (c.chosen === null) {
        expect(out.selection).toBeNull();
        expect(out.lines.every((l) => l.status === 'rejected')).toBe(true);
      } else {
        const s = out.selection;
        expect(s?.tag).toBe(c.chosen);
        // RFC 4568 s7.1.2: the answer carries the accepted line's tag and crypto-suite.
        expect(s?.answer.tag).toBe(c.chosen);
        if (c.suite) expect(s?.answer.suite).toBe(c.suite);
        expect(out.lines.filter((l) => l.status === 'chosen')).toHaveLength(1);
        expect(s?.local.keySalt.length).toBe(s ? s.suite.keyLength + s.suite.saltLength : -1);
      }
      if (c.line) expect(out.lines[c.line[0]]?.reason).toMatch(c.line[1]);
      // every line explained
      for (const l of out.lines) expect(l.reason.length).toBeGreaterThan(0);
    });
  }
});

describe('SDES answer details', () => {
  it('fresh key from the injected RNG, offered lifetime and MKI length mirrored', () => {
    const out = selectSdes(P.interop, [CM80(1, { lifetime: 2n ** 20n, mki: { value: 1n, length: 4 } })], countingRng);
    const s = out.selection;
    expect(s?.local.keySalt).toEqual(Uint8Array.from({ length: 30 }, (_, i) => i + 1));
    expect(s?.answer.keyParams).toEqual([{ method: 'inline', keySalt: s?.local.keySalt, lifetime: 2n ** 20n, mki: { value: 1n, length: 4 } }]);
    expect(s?.remote.keys[0]?.lifetime).toBe(2n ** 20n);
  });
  it('records KDR/WSH and echoes only declarative parameters', () => {
    const out = selectSdes(P.default, [CM80(1, { params: [{ kind: 'KDR', value: 16 }, { kind: 'WSH', value: 128 }, { kind: 'FEC_ORDER', value: 'SRTP_FEC' }] })], countingRng);
    expect(out.selection?.remote).toMatchObject({ kdr: 16, wsh: 128, fecOrder: 'SRTP_FEC' });
    expect(out.selection?.answer.sessionParams).toEqual([{ kind: 'FEC_ORDER', value: 'SRTP_FEC' }]);
    expect(out.lines[0]?.notes.join(' ')).toMatch(/KDR=16/);
  });
  it('several master keys need MKIs of one length (RFC 4568 s6.1)', () => {
    const k = (v: bigint | null, len = 1) => ({ method: 'inline' as const, keySalt: new Uint8Array(30), ...(v === null ? {} : { mki: { value: v, length: len } }) });
    const cases: [ReturnType<typeof k>[], RegExp | null][] = [
      [[k(1n), k(2n)], null],
      [[k(1n), k(null)], /not every key has an MKI/],
      [[k(1n), k(2n, 2)], /different MKI lengths/],
      [[k(1n), k(1n)], /share one MKI value/],
      [Array.from({ length: 9 }, (_, i) => k(BigInt(i))), /at most 8/],
    ];
    for (const [keys, err] of cases) {
      const out = selectSdes(P.interop, [crypto(1, 'AES_CM_128_HMAC_SHA1_80', 30, { keys })], countingRng);
      if (err === null) expect(out.selection?.remote.keys).toHaveLength(2);
      else expect(out.lines[0]?.reason).toMatch(err);
    }
  });
  it(`considers only the first ${MAX_CRYPTO_LINES} lines; the rest are reported`, () => {
    const offer = [...Array.from({ length: 20 }, (_, i) => CM32(i + 1)), GCM256(99)];
    const out = selectSdes(P.default, offer, countingRng);
    expect(out.selection).toBeNull();
    expect(out.lines).toHaveLength(21);
    expect(out.lines.slice(MAX_CRYPTO_LINES).every((l) => l.status === 'not-considered')).toBe(true);
    expect(out.lines[20]?.reason).toBe(`beyond the first ${MAX_CRYPTO_LINES} a=crypto lines of this m-line`);
  });
  it('unpadded base64 from the wire (parsed by sdp/) is accepted', () => {
    // 44-byte GCM-256 key||salt: 60 base64 chars with one "=" of padding; offered without it.
    const b64 = Buffer.from(new Uint8Array(44).fill(9)).toString('base64');
    expect(b64.endsWith('=')).toBe(true);
    const attr = parseCrypto(`1 AEAD_AES_256_GCM inline:${b64.replace(/=+$/, '')}`);
    const out = selectSdes(P.secure, [attr], countingRng);
    expect(out.selection?.suite.name).toBe('AEAD_AES_256_GCM');
  });
  it('a broken RNG is an internal error, not a silent short key', () => {
    expect(() => selectSdes(P.default, [CM80(1)], () => new Uint8Array(3))).toThrow(/key generator returned 3 bytes, wanted 30/);
  });
});
