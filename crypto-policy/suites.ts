/**
 * The SRTP crypto suites Gatehouse knows, as one readonly table (DESIGN.md convention 4; pattern:
 * rtpengine `__crypto_suites[]`, pion/srtp `protection_profile.go`). Everything else in the policy
 * reads these rows; nothing switches on a suite name.
 *
 * Sources per column:
 * - SDES names and parameters: RFC 4568 s6.2.1/6.2.2 (AES_CM_128_*), RFC 6188 s7.1 (AES_256_CM_*),
 *   RFC 7714 s14.1 (AEAD_*). Lengths in bytes.
 * - DTLS-SRTP protection profile ids: RFC 5764 s4.1.2 (0x0001, 0x0002), RFC 7714 s14.2
 *   (0x0007, 0x0008); IANA "DTLS-SRTP Protection Profiles". The AES_256_CM suites of RFC 6188
 *   have no registered DTLS-SRTP profile (0x0003/0x0004 are unassigned), hence null.
 * - SRTCP tag of the _32 suites is 80 bits: RFC 4568 s6.2.2, RFC 5764 s4.1.2, RFC 6188 s7.1.
 * - Key lifetime: 2^48 SRTP / 2^31 SRTCP packets for AES-CM (RFC 3711 s9.2, RFC 4568 s6.2.1,
 *   RFC 6188) and for AES-GCM (RFC 7714 s14.2: "at most 2^31 SRTCP packets and at most 2^48 SRTP
 *   packets").
 * - Approval per mode: see `approvedIn` and crypto-policy/README.md ("FIPS mode").
 */

export const SUITE_NAMES = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
  'AES_256_CM_HMAC_SHA1_80',
  'AES_256_CM_HMAC_SHA1_32',
] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** Modes a profile runs in; a profile may only list suites approved in its mode. */
export const POLICY_MODES = ['default', 'secure', 'fips'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

export interface SrtpSuite {
  readonly name: SuiteName;
  readonly rfc: string;
  readonly cipher: 'AES-CM' | 'AES-GCM';
  /** DTLS-SRTP protection profile id (RFC 5764 s4.1.2), null when none is registered. */
  readonly dtlsProfileId: number | null;
  readonly dtlsProfileName: string | null;
  /** Master key length in bytes. */
  readonly keyLength: number;
  /** Master salt length in bytes (14 for AES-CM per RFC 3711, 12 for GCM per RFC 7714 s8.1). */
  readonly saltLength: number;
  /** HMAC-SHA1 session authentication key length in bytes; 0 for AEAD suites. */
  readonly authKeyLength: number;
  readonly srtpAuthTagLength: number;
  readonly srtcpAuthTagLength: number;
  readonly aead: boolean;
  readonly maxLifetimeSrtp: bigint;
  readonly maxLifetimeSrtcp: bigint;
  readonly approvedIn: Readonly<Record<PolicyMode, boolean>>;
}

const L48 = 2n ** 48n;
const L31 = 2n ** 31n;

export const SUITES: readonly SrtpSuite[] = Object.freeze(([
  {
    name: 'AEAD_AES_256_GCM', rfc: 'RFC 7714', cipher: 'AES-GCM',
    dtlsProfileId: 0x0008, dtlsProfileName: 'SRTP_AEAD_AES_256_GCM',
    keyLength: 32, saltLength: 12, authKeyLength: 0, srtpAuthTagLength: 16, srtcpAuthTagLength: 16, aead: true,
    maxLifetimeSrtp: L48, maxLifetimeSrtcp: L31,
    approvedIn: { default: true, secure: true, fips: true },
  },
  {
    name: 'AEAD_AES_128_GCM', rfc: 'RFC 7714', cipher: 'AES-GCM',
    dtlsProfileId: 0x0007, dtlsProfileName: 'SRTP_AEAD_AES_128_GCM',
    keyLength: 16, saltLength: 12, authKeyLength: 0, srtpAuthTagLength: 16, srtcpAuthTagLength: 16, aead: true,
    maxLifetimeSrtp: L48, maxLifetimeSrtcp: L31,
    approvedIn: { default: true, secure: false, fips: true },
  },
  {
    name: 'AES_CM_128_HMAC_SHA1_80', rfc: 'RFC 4568', cipher: 'AES-CM',
    dtlsProfileId: 0x0001, dtlsProfileName: 'SRTP_AES128_CM_HMAC_SHA1_80',
    keyLength: 16, saltLength: 14, authKeyLength: 20, srtpAuthTagLength: 10, srtcpAuthTagLength: 10, aead: false,
    maxLifetimeSrtp: L48, maxLifetimeSrtcp: L31,
    approvedIn: { default: true, secure: false, fips: true },
  },
  {
    name: 'AES_CM_128_HMAC_SHA1_32', rfc: 'RFC 4568', cipher: 'AES-CM',
    dtlsProfileId: 0x0002, dtlsProfileName: 'SRTP_AES128_CM_HMAC_SHA1_32',
    keyLength: 16, saltLength: 14, authKeyLength: 20, srtpAuthTagLength: 4, srtcpAuthTagLength: 10, aead: false,
    maxLifetimeSrtp: L48, maxLifetimeSrtcp: L31,
    // 32-bit tags sit at the SP 800-107r1 s5.3.3 floor for truncated HMAC and allow forgery by
    // brute force within one call; kept out of FIPS mode (README "FIPS mode").
    approvedIn: { default: true, secure: false, fips: false },
  },
  {
    name: 'AES_256_CM_HMAC_SHA1_80', rfc: 'RFC 6188', cipher: 'AES-CM',
    dtlsProfileId: null, dtlsProfileName: null,
    keyLength: 32, saltLength: 14, authKeyLength: 20, srtpAuthTagLength: 10, srtcpAuthTagLength: 10, aead: false,
    maxLifetimeSrtp: L48, maxLifetimeSrtcp: L31,
    approvedIn: { default: true, secure: false, fips: true },
  },
  {
    name: 'AES_256_CM_HMAC_SHA1_32', rfc: 'RFC 6188', cipher: 'AES-CM',
    dtlsProfileId: null, dtlsProfileName: null,
    keyLength: 32, saltLength: 14, authKeyLength: 20, srtpAuthTagLength: 4, srtcpAuthTagLength: 10, aead: false,
    maxLifetimeSrtp: L48, maxLifetimeSrtcp: L31,
    approvedIn: { default: true, secure: false, fips: false },
  },
] satisfies SrtpSuite[]).map((s) => Object.freeze({ ...s, approvedIn: Object.freeze({ ...s.approvedIn }) })));

/**
 * Names other software puts in `a=crypto` lines. Either an exact synonym of a table row
 * (`maps`), or a name we recognise and refuse with a precise reason (`rejects`), so an operator
 * reading an explanation never sees just "unknown suite" for something well known.
 */
export type SuiteAlias =
  | { readonly alias: string; readonly maps: SuiteName; readonly source: string }
  | { readonly alias: string; readonly rejects: string; readonly source: string };

export const SUITE_ALIASES: readonly SuiteAlias[] = Object.freeze([
  // FreeSWITCH's SUITES[] spells the RFC 6188 suites with CM first; same key/salt/tag lengths.
  { alias: 'AES_CM_256_HMAC_SHA1_80', maps: 'AES_256_CM_HMAC_SHA1_80', source: 'FreeSWITCH switch_core_media.c SUITES[]' },
  { alias: 'AES_CM_256_HMAC_SHA1_32', maps: 'AES_256_CM_HMAC_SHA1_32', source: 'FreeSWITCH switch_core_media.c SUITES[]' },
  { alias: 'AES_128_CM_HMAC_SHA1_80', maps: 'AES_CM_128_HMAC_SHA1_80', source: 'seen in the wild (e.g. voipmonitor suite table)' },
  { alias: 'AES_128_CM_HMAC_SHA1_32', maps: 'AES_CM_128_HMAC_SHA1_32', source: 'seen in the wild (e.g. voipmonitor suite table)' },
  // FreeSWITCH's `_8` names are NOT RFC 7714 suites under another name: switch_rtp.c maps them to
  // libsrtp srtp_crypto_policy_set_aes_gcm_{128,256}_8_auth, i.e. AES-GCM with an 8-octet tag
  // (RFC 5282 / early draft-ietf-avtcore-srtp-aes-gcm). RFC 7714 s14.1 defines only the 16-octet
  // tag; mapping them would make every packet fail authentication, so they are refused.
  {
    alias: 'AEAD_AES_256_GCM_8',
    rejects: 'AES-256-GCM with an 8-octet tag (FreeSWITCH/libsrtp name); RFC 7714 defines only the 16-octet tag AEAD_AES_256_GCM',
    source: 'FreeSWITCH switch_rtp.c -> libsrtp srtp_crypto_policy_set_aes_gcm_256_8_auth',
  },
  {
    alias: 'AEAD_AES_128_GCM_8',
    rejects: 'AES-128-GCM with an 8-octet tag (FreeSWITCH/libsrtp name); RFC 7714 defines only the 16-octet tag AEAD_AES_128_GCM',
    source: 'FreeSWITCH switch_rtp.c -> libsrtp srtp_crypto_policy_set_aes_gcm_128_8_auth',
  },
  { alias: 'F8_128_HMAC_SHA1_80', rejects: 'AES-f8 (RFC 4568 s6.2.3) is not implemented', source: 'RFC 4568 s6.2.3' },
  { alias: 'F8_128_HMAC_SHA1_32', rejects: 'AES-f8 is not implemented', source: 'rtpengine crypto table' },
  { alias: 'AES_192_CM_HMAC_SHA1_80', rejects: 'AES-192 counter mode (RFC 6188) is not implemented', source: 'RFC 6188 s7.1' },
  { alias: 'AES_192_CM_HMAC_SHA1_32', rejects: 'AES-192 counter mode (RFC 6188) is not implemented', source: 'RFC 6188 s7.1' },
  { alias: 'AES_CM_192_HMAC_SHA1_80', rejects: 'AES-192 counter mode (FreeSWITCH name) is not implemented', source: 'FreeSWITCH SUITES[]' },
  { alias: 'AES_CM_192_HMAC_SHA1_32', rejects: 'AES-192 counter mode (FreeSWITCH name) is not implemented', source: 'FreeSWITCH SUITES[]' },
  { alias: 'NULL_HMAC_SHA1_80', rejects: 'NULL cipher: media would be unencrypted', source: 'rtpengine crypto table' },
  { alias: 'NULL_HMAC_SHA1_32', rejects: 'NULL cipher: media would be unencrypted', source: 'rtpengine crypto table' },
  { alias: 'AES_CM_128_NULL_AUTH', rejects: 'no authentication: packets could be forged', source: 'FreeSWITCH SUITES[]' },
] satisfies SuiteAlias[]);

export type SuiteLookup =
  | { readonly ok: true; readonly suite: SrtpSuite; readonly via: 'name' | 'alias' | 'case-insensitive'; readonly offeredAs: string }
  | { readonly ok: false; readonly code: 'SUITE_REFUSED_ALIAS' | 'SUITE_UNKNOWN'; readonly reason: string; readonly offeredAs: string };

const BY_NAME: ReadonlyMap<string, SrtpSuite> = new Map(SUITES.map((s) => [s.name, s]));
const ALIAS_BY_UPPER: ReadonlyMap<string, SuiteAlias> = new Map(SUITE_ALIASES.map((a) => [a.alias.toUpperCase(), a]));

/** Shown in reasons: peer input, so keep it printable and short (never a key, but still bounded). */
export function printableName(offered: string): string {
  // The usual case: a suite name as is (a regex: native scanning beats a character loop here).
  if (PRINTABLE_48.test(offered)) return offered;
  const clean = offered.replace(/[^\x21-\x7e]/g, '?');
  return clean.length > 48 ? `${clean.slice(0, 45)}...` : clean;
}

const PRINTABLE_48 = /^[\x21-\x7e]{0,48}$/;

/** Resolve a suite name as offered in `a=crypto` (RFC 4568 s9.1 srtp-crypto-suite). */
export function lookupSuite(offered: string): SuiteLookup {
  // Exact canonical names first by comparison: a Map lookup hashes the offered string, which
  // is new for every parsed line.
  const exact = exactSuite(offered) ?? BY_NAME.get(offered);
  if (exact) return { ok: true, suite: exact, via: 'name', offeredAs: offered };
  const upper = offered.toUpperCase();
  const folded = BY_NAME.get(upper);
  if (folded) return { ok: true, suite: folded, via: 'case-insensitive', offeredAs: offered };
  const alias = ALIAS_BY_UPPER.get(upper);
  if (alias) {
    if ('maps' in alias) return { ok: true, suite: suiteByName(alias.maps), via: 'alias', offeredAs: offered };
    return { ok: false, code: 'SUITE_REFUSED_ALIAS', reason: alias.rejects, offeredAs: offered };
  }
  return { ok: false, code: 'SUITE_UNKNOWN', reason: 'unknown SRTP crypto suite', offeredAs: offered };
}

/**
 * The row whose canonical name is exactly `offered`, else undefined. Dispatches on the length
 * and one or two distinguishing characters, then confirms with a single comparison: a Map
 * lookup would hash the offered string (new for every parsed line), and a plain switch compares
 * it in full against every same-length name.
 */
function exactSuite(offered: string): SrtpSuite | undefined {
  let candidate: SuiteName;
  if (offered.length === 16) {
    // AEAD_AES_256_GCM, AEAD_AES_128_GCM
    candidate = offered.charCodeAt(9) === 50 ? 'AEAD_AES_256_GCM' : 'AEAD_AES_128_GCM';
  } else if (offered.length === 23) {
    // AES_CM_128_HMAC_SHA1_{80,32}, AES_256_CM_HMAC_SHA1_{80,32}
    const cm = offered.charCodeAt(4) === 67;
    const tag80 = offered.charCodeAt(21) === 56;
    candidate = cm ? (tag80 ? 'AES_CM_128_HMAC_SHA1_80' : 'AES_CM_128_HMAC_SHA1_32') : tag80 ? 'AES_256_CM_HMAC_SHA1_80' : 'AES_256_CM_HMAC_SHA1_32';
  } else {
    return undefined;
  }
  return offered === candidate ? BY_NAME.get(candidate) : undefined;
}

/** Row for a canonical name; the type guarantees it exists, the throw guards the table itself. */
export function suiteByName(name: SuiteName): SrtpSuite {
  const s = BY_NAME.get(name);
  if (!s) throw new Error(`suite table has no row for ${name}`); // table bug, not input
  return s;
}

export type DtlsProfileLookup =
  | { readonly ok: true; readonly suite: SrtpSuite }
  | { readonly ok: false; readonly reason: string };

export function suiteByDtlsProfileId(id: number): DtlsProfileLookup {
  const s = SUITES.find((row) => row.dtlsProfileId === id);
  if (s) return { ok: true, suite: s };
  const hex = `0x${id.toString(16).padStart(4, '0')}`;
  return { ok: false, reason: `DTLS-SRTP protection profile ${hex} is not supported` };
}

export function isSuiteName(value: string): value is SuiteName {
  return BY_NAME.has(value);
}

export function masterKeySaltLength(suite: SrtpSuite): number {
  return suite.keyLength + suite.saltLength;
}
