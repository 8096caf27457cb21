import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, parseIp } from '../../../crypto-policy/cidr.ts';
import { PolicyConfigError } from '../../../crypto-policy/errors.ts';
import { createCryptoPolicy } from '../../../crypto-policy/policy.ts';
import { parseSubject } from '../../../crypto-policy/peer-overrides.ts';
import { countingRng, crypto, media } from './helpers.ts';

describe('IP and CIDR parsing (RFC 4291 s2.2 text forms)', () => {
  const IPS: [string, 4 | 6 | null, bigint?][] = [
    ['192.0.2.1', 4, 0xc0000201n],
    ['0.0.0.0', 4, 0n],
    ['256.1.1.1', null],
    ['01.2.3.4', null],
    ['1.2.3', null],
    ['2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['[2001:db8::1]', 6, 0x20010db8000000000000000000000001n],
    ['fe80::1%eth0', 6, 0xfe800000000000000000000000000001n],
    ['::ffff:192.0.2.1', 6, 0xffffc0000201n],
    ['1:2:3:4:5:6:192.0.2.1', 6, 0x0001000200030004000500060c0000201n & ((1n << 128n) - 1n)],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['1::2::3', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['12345::', null],
    ['', null],
    ['hello', null],
  ];
  for (const [text, fam, value] of IPS) {
    it(`${text || '(empty)'} -> ${fam ?? 'error'}`, () => {
      const r = parseIp(text);
      if (fam === null) expect(r.ok).toBe(false);
      else {
        expect(r.ok && r.value.family).toBe(fam);
        if (r.ok && value !== undefined && text !== '1:2:3:4:5:6:192.0.2.1') expect(r.value.value).toBe(value);
      }
    });
  }
  it('1:2:3:4:5:6:192.0.2.1 keeps the dotted tail as the last 32 bits', () => {
    const r = parseIp('1:2:3:4:5:6:192.0.2.1');
    expect(r.ok && r.value.value & 0xffffffffn).toBe(0xc0000201n);
  });
  const CONTAINS: [string, string, boolean][] = [
    ['192.0.2.0/24', '192.0.2.77', true],
    ['192.0.2.0/24', '192.0.3.1', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['192.0.2.0/24', '::ffff:192.0.2.5', true], // dual-stack socket form
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:db9::5', false],
    ['2001:db8::/32', '192.0.2.1', false],
    ['192.0.2.7', '192.0.2.7', true],
  ];
  for (const [cidr, ip, want] of CONTAINS) {
    it(`${ip} in ${cidr}: ${want}`, () => {
      const c = parseCidr(cidr);
      const a = parseIp(ip);
      expect(c.ok && a.ok && cidrContains(c.value, a.value)).toBe(want);
    });
  }
  it('rejects host bits, bad prefixes and zone ids with a reason', () => {
    expect(parseCidr('192.0.2.1/24')).toMatchObject({ ok: false, reason: expect.stringMatching(/host bits/) });
    expect(parseCidr('192.0.2.0/33')).toMatchObject({ ok: false, reason: expect.stringMatching(/0\.\.32/) });
    expect(parseCidr('fe80::%eth0/64')).toMatchObject({ ok: false, reason: expect.stringMatching(/zone/) });
  });
});

describe('certificate subjects', () => {
  it('parses RFC 4514-style and Node newline-separated subjects alike', () => {
    expect(parseSubject('CN=trunk.example.com, O=Example, C=US')).toEqual(parseSubject('CN=trunk.example.com\nO=Example\nC=US'));
    expect(parseSubject('no equals sign')).toBeNull();
  });
});

const OVERRIDES = [
  { name: 'lab phones', match: { cidr: ['10.0.0.0/8', 'fd00::/8'] }, profile: 'interop' },
  { name: 'carrier trunk', match: { cert_subject: 'CN=sbc.carrier.example, O=Carrier' }, profile: 'secure' },
  { match: { from_domain: '*.fips.example' }, profile: 'fips' },
  { match: { to_domain: 'legacy.example', cidr: '192.0.2.0/24' }, profile: 'interop' },
];

describe('per-peer overrides: first match in config order wins', () => {
  const policy = createCryptoPolicy({ overrides: OVERRIDES });
  const CASES: { peer: Record<string, string>; profile: string; rule: number | null; matched?: RegExp }[] = [
    { peer: { ip: '10.1.2.3' }, profile: 'interop', rule: 0, matched: /source 10\.1\.2\.3 in 10\.0\.0\.0\/8/ },
    { peer: { ip: 'fd12::1' }, profile: 'interop', rule: 0, matched: /in fd00::\/8/ },
    { peer: { ip: '::ffff:10.9.9.9' }, profile: 'interop', rule: 0 },
    // rule 0 wins over rule 1 although both would match
    { peer: { ip: '10.1.2.3', certSubject: 'C=DE\nO=Carrier\nCN=sbc.carrier.example' }, profile: 'interop', rule: 0 },
    { peer: { ip: '203.0.113.5', certSubject: 'C=DE, O=Carrier, CN=sbc.carrier.example' }, profile: 'secure', rule: 1, matched: /certificate subject has CN=sbc\.carrier\.example, O=Carrier/ },
    { peer: { certSubject: 'CN=sbc.carrier.example, O=Other' }, profile: 'default', rule: null },
    { peer: { fromDomain: 'PBX.FIPS.EXAMPLE' }, profile: 'fips', rule: 2, matched: /From domain/ },
    { peer: { fromDomain: 'fips.example' }, profile: 'default', rule: null }, // *. is sub-domains only
    // rule 3 needs both To domain and CIDR (AND within a rule)
    { peer: { toDomain: 'legacy.example', ip: '192.0.2.10' }, profile: 'interop', rule: 3, matched: /To domain legacy\.example/ },
    { peer: { toDomain: 'legacy.example', ip: '198.51.100.1' }, profile: 'default', rule: null },
    { peer: {}, profile: 'default', rule: null },
  ];
  for (const c of CASES) {
    it(`${JSON.stringify(c.peer)} -> ${c.profile}`, () => {
      const { profile, choice } = policy.selectProfile(c.peer);
      expect(profile.name).toBe(c.profile);
      expect(choice.rule?.index ?? null).toBe(c.rule);
      expect(choice.source).toBe(c.rule === null ? 'default' : 'override');
      if (c.matched) expect(choice.reason).toMatch(c.matched);
    });
  }
  it('the negotiation explanation says which rule chose the profile', () => {
    const n = policy.negotiate([media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AES_CM_128_HMAC_SHA1_32', 30)] })], { ip: '10.0.0.1' }, { rng: countingRng });
    expect(n.profile).toBe('interop');
    expect(n.profileChoice.reason).toBe('override rule 0 (lab phones) matched: source 10.0.0.1 in 10.0.0.0/8');
    expect(n.verdict).toBe('accept');
  });
  it('an explicit profile beats the rules', () => {
    const n = policy.negotiate([], { ip: '10.0.0.1' }, { profile: 'secure' });
    expect(n.profileChoice).toMatchObject({ source: 'explicit', profile: 'secure' });
  });
});

describe('override and policy config errors', () => {
  function issues(cfg: Parameters<typeof createCryptoPolicy>[0]): string[] {
    try {
      createCryptoPolicy(cfg);
      return [];
    } catch (e) {
      if (!(e instanceof PolicyConfigError)) throw e;
      return e.issues.map((i) => `${i.path}: ${i.reason}`);
    }
  }
  it('paths name the rule and the field', () => {
    const got = issues({
      overrides: [
        { match: { cidr: ['10.0.0.0/8', '10.0.0.1/8'] }, profile: 'interop' },
        { match: {}, profile: 'nope' },
        { match: { cidr: '10.0.0.0/8', color: 'red' }, profile: 'default' },
        { match: { cert_subject: 'garbage' }, profile: 'default' },
      ],
      defaultProfile: 'missing',
    });
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^overrides\[0\]\.match\.cidr\[1\]: host bits set/),
        'overrides[1].match: needs at least one of cidr, cert_subject, from_domain, to_domain',
        'overrides[1].profile: unknown profile "nope"',
        'overrides[2].match.color: unknown key',
        'defaultProfile: unknown profile "missing"',
      ]),
    );
  });
  it('operator profiles: built-in names are reserved, duplicates and bad fields reported with index', () => {
    const got = issues({
      profiles: [
        { name: 'default' },
        { ...structuredClone(createCryptoPolicy().findProfile('default')), name: 'x' },
      ],
    });
    expect(got.some((i) => i.startsWith('profiles[0].'))).toBe(true);
    expect(got.some((i) => i.startsWith('profiles[1].ok: unknown key'))).toBe(true);
  });
  it('operator profiles can be used by overrides and as default', () => {
    const mine = { ...structuredClone(createCryptoPolicy().profiles()[1]), name: 'gcm-only', description: 'operator copy of secure' };
    const p = createCryptoPolicy({ profiles: [mine], defaultProfile: 'gcm-only', overrides: [{ match: { cidr: '192.0.2.0/24' }, profile: 'gcm-only' }] });
    expect(p.selectProfile({}).profile.name).toBe('gcm-only');
    expect(p.profiles().map((x) => x.name)).toEqual(['default', 'secure', 'fips', 'interop', 'gcm-only']);
    const dup = issues({ profiles: [mine, mine] });
    expect(dup).toContain('profiles[1].name: duplicate profile name "gcm-only"');
    expect(issues({ profiles: [{ ...mine, name: 'secure' }] })).toContain('profiles[0].name: "secure" is a built-in profile; choose another name');
  });
});
