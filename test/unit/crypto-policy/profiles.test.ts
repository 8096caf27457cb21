import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from '../../../crypto-policy/builtin-profiles.ts';
import { PolicyConfigError } from '../../../crypto-policy/errors.ts';
import { checkProfile, parseProfile, type Profile } from '../../../crypto-policy/profile-schema.ts';
import { createCryptoPolicy } from '../../../crypto-policy/policy.ts';
import defaultJson from '../../../crypto-policy/profiles/default.json' with { type: 'json' };

function builtin(name: string): Profile {
  const p = BUILTIN_PROFILES.find((x) => x.name === name);
  if (!p) throw new Error(`no built-in ${name}`);
  return p;
}

describe('built-in profiles (crypto-policy/profiles/*.json)', () => {
  const EXPECT = {
    default: { suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'], plaintext: false, bestEffort: false, mki: false, mode: 'default' },
    secure: { suites: ['AEAD_AES_256_GCM'], plaintext: false, bestEffort: false, mki: false, mode: 'secure' },
    fips: { suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80'], plaintext: false, bestEffort: false, mki: false, mode: 'fips' },
    interop: {
      suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_32'],
      plaintext: false, bestEffort: true, mki: true, mode: 'default',
    },
  } as const;
  it('are exactly default, secure, fips, interop', () => {
    expect(BUILTIN_PROFILES.map((p) => p.name)).toEqual(['default', 'secure', 'fips', 'interop']);
  });
  for (const [name, e] of Object.entries(EXPECT)) {
    it(`${name}: suites in order, flags`, () => {
      const p = builtin(name);
      expect(p.suites).toEqual(e.suites);
      expect([p.allowPlaintext, p.allowBestEffortSrtp, p.allowMki, p.mode]).toEqual([e.plaintext, e.bestEffort, e.mki, e.mode]);
      expect(p.keying).toEqual({ sdes: true, dtls: true });
      expect(Object.isFrozen(p.suites)).toBe(true);
    });
  }
  it('fips: no 32-bit tags, no X25519, AES-GCM TLS ciphers only', () => {
    const p = builtin('fips');
    expect(p.suites.some((s) => s.endsWith('_32'))).toBe(false);
    expect(p.tls.groups).not.toContain('X25519');
    expect(p.tls.ciphers.every((c) => /AES(128|256)[-_]GCM|AES_(128|256)_GCM/.test(c))).toBe(true);
  });
  it('DTLS order never lists AES_256_CM (no DTLS-SRTP profile)', () => {
    for (const p of BUILTIN_PROFILES) expect(p.dtlsProfiles.filter((s) => s.startsWith('AES_256_CM'))).toEqual([]);
  });
});

function issuesOf(input: unknown): string[] {
  const r = checkProfile(input);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.reason}`);
}

describe('profile schema: errors list path: reason', () => {
  const base = structuredClone(defaultJson) as Record<string, unknown>;
  const CASES: { what: string; patch: (p: Record<string, unknown>) => void; expect: RegExp[] }[] = [
    { what: 'unknown top-level key', patch: (p) => { p.allowNull = true; }, expect: [/^allowNull: unknown key$/] },
    { what: 'unknown nested key', patch: (p) => { (p.tls as Record<string, unknown>).cipher = 'x'; }, expect: [/^tls\.cipher: unknown key$/] },
    { what: 'unknown suite', patch: (p) => { p.suites = ['AEAD_AES_256_GCM', 'ROT13']; }, expect: [/^suites\[1\]: /] },
    { what: 'duplicate suite', patch: (p) => { p.suites = ['AEAD_AES_256_GCM', 'AEAD_AES_256_GCM']; p.dtlsProfiles = ['AEAD_AES_256_GCM']; }, expect: [/^suites\[1\]: duplicate suite/] },
    { what: 'DTLS suite with no DTLS profile', patch: (p) => { p.suites = ['AES_256_CM_HMAC_SHA1_80']; p.dtlsProfiles = ['AES_256_CM_HMAC_SHA1_80']; }, expect: [/^dtlsProfiles\[0\]: AES_256_CM_HMAC_SHA1_80 has no DTLS-SRTP protection profile/] },
    { what: 'DTLS suite not in suites', patch: (p) => { p.dtlsProfiles = ['AES_CM_128_HMAC_SHA1_32']; }, expect: [/^dtlsProfiles\[0\]: AES_CM_128_HMAC_SHA1_32 is not in suites/] },
    { what: 'fips with a 32-bit tag', patch: (p) => { p.mode = 'fips'; p.suites = ['AES_CM_128_HMAC_SHA1_32']; p.dtlsProfiles = []; p.tls = { minVersion: 'TLSv1.2', ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'], groups: ['P-256'], dhBits: 2048 }; }, expect: [/^suites\[0\]: AES_CM_128_HMAC_SHA1_32 is not approved in mode fips/, /^dtlsProfiles: keying.dtls is true/] },
    { what: 'fips with X25519 and ChaCha20', patch: (p) => { p.mode = 'fips'; }, expect: [/^tls\.ciphers\[1\]: TLS_CHACHA20_POLY1305_SHA256 is not allowed in mode fips/, /^tls\.groups\[0\]: X25519 is not allowed in mode fips/] },
    { what: 'secure with AES-128', patch: (p) => { p.mode = 'secure'; }, expect: [/^suites\[1\]: AEAD_AES_128_GCM is not approved in mode secure/, /^tls\.dhBits: mode secure needs dhBits >= 3072/] },
    { what: 'plaintext outside default mode', patch: (p) => { p.mode = 'secure'; p.suites = ['AEAD_AES_256_GCM']; p.dtlsProfiles = ['AEAD_AES_256_GCM']; p.allowPlaintext = true; p.tls = { minVersion: 'TLSv1.3', ciphers: ['TLS_AES_256_GCM_SHA384'], groups: ['X25519'], dhBits: 3072 }; }, expect: [/^allowPlaintext: mode secure never allows plaintext$/] },
    { what: 'nothing acceptable', patch: (p) => { p.keying = { sdes: false, dtls: false }; }, expect: [/^keying: no keying allowed and plaintext refused/] },
    { what: 'bad name and types', patch: (p) => { p.name = 'Has Space'; p.allowMki = 'yes'; }, expect: [/^name: /, /^allowMki: /] },
    { what: 'DH too small', patch: (p) => { (p.tls as Record<string, unknown>).dhBits = 1024; }, expect: [/^tls\.dhBits: /] },
    { what: 'not an object', patch: () => {}, expect: [] },
  ];
  for (const c of CASES.slice(0, -1)) {
    it(c.what, () => {
      const p = structuredClone(base);
      c.patch(p);
      const issues = issuesOf(p);
      for (const re of c.expect) expect(issues.some((i) => re.test(i)), `${re} in ${JSON.stringify(issues)}`).toBe(true);
    });
  }
  it('parseProfile throws PolicyConfigError whose message lists every path', () => {
    const p = structuredClone(base);
    p.extra = 1;
    (p.tls as Record<string, unknown>).groups = ['P-999'];
    try {
      parseProfile(p, 'operator profile /etc/gatehouse/p.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyConfigError);
      const err = e as PolicyConfigError;
      expect(err.category).toBe('config');
      expect(err.code).toBe('POLICY_CONFIG_INVALID');
      expect(err.message).toContain('operator profile /etc/gatehouse/p.yaml is invalid');
      expect(err.message).toContain('extra: unknown key');
      expect(err.message).toContain('tls.groups[0]:');
    }
  });
  it('a valid operator profile passes and is frozen', () => {
    const p = structuredClone(base);
    p.name = 'trunk-gcm';
    const prof = parseProfile(p);
    expect(prof.name).toBe('trunk-gcm');
    expect(Object.isFrozen(prof.tls)).toBe(true);
  });
});

describe('profile schema properties (fast-check)', () => {
  it('any value: parses or throws PolicyConfigError, nothing else', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }), (v) => {
        try {
          parseProfile(v);
        } catch (e) {
          if (!(e instanceof PolicyConfigError)) throw e;
          expect(e.issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
  it('a valid profile with one random extra key is rejected naming that key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in (defaultJson as object)) && k !== '__proto__'), fc.anything(), (k, v) => {
        const p: Record<string, unknown> = { ...structuredClone(defaultJson), [k]: v };
        const issues = issuesOf(p);
        expect(issues).toContain(`${k}: unknown key`);
      }),
      { numRuns: 200 },
    );
  });
  it('random field values in an otherwise valid profile: result or PolicyConfigError', () => {
    const keys = Object.keys(defaultJson);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything(), (k, v) => {
        const p: Record<string, unknown> = { ...structuredClone(defaultJson), [k]: v };
        try {
          parseProfile(p);
        } catch (e) {
          if (!(e instanceof PolicyConfigError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
  it('createCryptoPolicy on random config: policy or PolicyConfigError', () => {
    fc.assert(
      fc.property(fc.record({ profiles: fc.option(fc.array(fc.anything(), { maxLength: 3 }), { nil: undefined }), overrides: fc.option(fc.array(fc.anything(), { maxLength: 3 }), { nil: undefined }), defaultProfile: fc.option(fc.string(), { nil: undefined }) }), (cfg) => {
        try {
          createCryptoPolicy(cfg);
        } catch (e) {
          if (!(e instanceof PolicyConfigError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});
