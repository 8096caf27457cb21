/**
 * Bench-driven fast paths in the policy (test/bench/sdp.bench.ts, parse+policy+answer) must
 * behave exactly like the straightforward versions they replaced; the references below are the
 * previous code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from '../../../crypto-policy/builtin-profiles.ts';
import { classifyTransport } from '../../../crypto-policy/media-decision.ts';
import { negotiate } from '../../../crypto-policy/negotiate.ts';
import type { Profile } from '../../../crypto-policy/profile-schema.ts';
import { selectSdes } from '../../../crypto-policy/sdes-select.ts';
import { lookupSuite, printableName, SUITE_ALIASES, SUITE_NAMES, SUITES } from '../../../crypto-policy/suites.ts';
import type { SuiteLookup } from '../../../crypto-policy/suites.ts';
import { countingRng, crypto, media } from './helpers.ts';

const P = Object.fromEntries(BUILTIN_PROFILES.map((p) => [p.name, p])) as Record<'default' | 'secure' | 'fips' | 'interop', Profile>;

function referenceLookup(offered: string): SuiteLookup {
  const byName = new Map(SUITES.map((s) => [s.name as string, s]));
  const exact = byName.get(offered);
  if (exact) return { ok: true, suite: exact, via: 'name', offeredAs: offered };
  const upper = offered.toUpperCase();
  const folded = byName.get(upper);
  if (folded) return { ok: true, suite: folded, via: 'case-insensitive', offeredAs: offered };
  const alias = SUITE_ALIASES.find((a) => a.alias.toUpperCase() === upper);
  if (alias) {
    if ('maps' in alias) return { ok: true, suite: byName.get(alias.maps) ?? (SUITES[0] as (typeof SUITES)[number]), via: 'alias', offeredAs: offered };
    return { ok: false, code: 'SUITE_REFUSED_ALIAS', reason: alias.rejects, offeredAs: offered };
  }
  return { ok: false, code: 'SUITE_UNKNOWN', reason: 'unknown SRTP crypto suite', offeredAs: offered };
}

function referenceTransport(proto: string): string {
  const p = proto.toUpperCase();
  if (/^(UDP|TCP)\/TLS\/RTP\/SAVPF?$/.test(p)) return 'dtls-srtp';
  if (/^RTP\/SAVPF?$/.test(p)) return 'srtp';
  if (/^RTP\/AVPF?$/.test(p)) return 'rtp';
  if (/^((UDP|TCP)\/)?DTLS\/SCTP$/.test(p) || p === 'UDP/TLS/UDPTL') return 'dtls-other';
  return 'other';
}

function referencePrintable(offered: string): string {
  if (offered.length <= 48 && [...offered].every((c) => c.charCodeAt(0) >= 0x21 && c.charCodeAt(0) <= 0x7e && c.length === 1)) return offered;
  const clean = offered.replace(/[^\x21-\x7e]/g, '?');
  return clean.length > 48 ? `${clean.slice(0, 45)}...` : clean;
}

/** One character of a known name changed: same length, differing where the dispatch looks. */
const nearName = fc
  .tuple(fc.constantFrom(...SUITE_NAMES, ...SUITE_ALIASES.map((a) => a.alias)), fc.nat(40), fc.constantFrom('A', 'C', '2', '1', '3', '8', '_', 'x', 'é', 'ı'))
  .map(([n, i, c]) => {
    const at = i % n.length;
    return n.slice(0, at) + c + n.slice(at + 1);
  });

describe('crypto-policy fast paths match their previous versions', () => {
  it('lookupSuite (exact names by length and a distinguishing character) equals the Map lookup (RFC 4568 s6.2, RFC 7714 s14.1)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...SUITE_NAMES), nearName, fc.string({ maxLength: 30 })), (s) => {
        expect(lookupSuite(s)).toEqual(referenceLookup(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('classifyTransport (usual spellings first) equals the pattern version (RFC 8866 s5.14 proto)', () => {
    const proto = fc.oneof(
      fc.constantFrom('RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'TCP/TLS/RTP/SAVP', 'TCP/TLS/RTP/SAVPF', 'rtp/savp', 'UDP/DTLS/SCTP', 'DTLS/SCTP', 'udp/tls/udptl', 'udptl', 'TCP/BFCP'),
      fc.string({ unit: fc.constantFrom('R', 'T', 'P', '/', 'S', 'A', 'V', 'F', 'U', 'D', 'L', 'C', 'r', 'p'), maxLength: 20 }),
    );
    fc.assert(fc.property(proto, (p) => {
        expect(classifyTransport(p)).toBe(referenceTransport(p));
      }), { numRuns: 3000 });
  });

  it('printableName (one regex) equals the character check it replaced', () => {
    fc.assert(fc.property(fc.oneof(fc.constantFrom(...SUITE_NAMES), fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), (s) => {
          expect(printableName(s)).toBe(referencePrintable(s));
        }), { numRuns: 3000 });
  });

  it('the "allows ..." list in a refusal follows each profile (kept per suites list)', () => {
    const refused = (p: Profile) => selectSdes(p, [crypto(1, 'AES_256_CM_HMAC_SHA1_32', 46)], countingRng).lines[0]?.reason;
    for (let round = 0; round < 2; round++) {
      expect(refused(P.default)).toBe(`AES_256_CM_HMAC_SHA1_32 is not allowed by profile default (allows ${P.default.suites.join(', ')})`);
      expect(refused(P.secure)).toBe(`AES_256_CM_HMAC_SHA1_32 is not allowed by profile secure (allows ${P.secure.suites.join(', ')})`);
      const custom: Profile = { ...P.default, name: 'custom', suites: ['AES_CM_128_HMAC_SHA1_80'] };
      expect(refused(custom)).toBe('AES_256_CM_HMAC_SHA1_32 is not allowed by profile custom (allows AES_CM_128_HMAC_SHA1_80)');
    }
  });

  it('downgrade reason finds the preferred suite offered in any letter case (RFC 5234 2.3), as upper-casing did', () => {
    for (const spelled of ['AEAD_AES_256_GCM', 'aead_aes_256_gcm', 'Aead_Aes_256_Gcm']) {
      const n = negotiate({ profile: P.default, media: [media({ proto: 'RTP/SAVP', crypto: [crypto(1, spelled, 44, { lifetime: 1n << 60n }), crypto(2, 'AES_CM_128_HMAC_SHA1_80', 30)] })], rng: countingRng });
      expect(n.downgrades[0]?.reason).toMatch(/^AEAD_AES_256_GCM offered but rejected: lifetime 2\^60 exceeds/);
    }
    const other = negotiate({ profile: P.default, media: [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AEAD_AES_256_GCM_8', 44), crypto(2, 'AES_CM_128_HMAC_SHA1_80', 30)] })], rng: countingRng });
    expect(other.downgrades[0]?.reason).toBe('peer did not offer AEAD_AES_256_GCM');
  });
});
