/**
 * Schema of a crypto-policy profile (built-in JSON files in ./profiles and operator files, which
 * an adapter reads and hands over as parsed objects). Strict: unknown keys are errors with their
 * path. Cross-field rules (suite approved in the mode, DTLS order is a subset of the suites, ...)
 * are checked here too, so a profile that parses is usable as is.
 */
import { z } from 'zod';
import { issuesFromZod, joinPath } from './config-issues.ts';
import { PolicyConfigError, type ConfigIssue } from './errors.ts';
import { POLICY_MODES, SUITE_NAMES, suiteByName, type PolicyMode, type SuiteName } from './suites.ts';

export const TLS_GROUPS = ['X25519', 'X448', 'P-256', 'P-384', 'P-521', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const;
export type TlsGroup = (typeof TLS_GROUPS)[number];

/** Groups per mode. FIPS: SP 800-56A Rev3 curves and RFC 7919 groups (X25519/X448 are not in
 * 800-56A). Secure: no 2048-bit finite-field group and no P-256, "strong (EC)DHE" (DESIGN.md). */
const GROUPS_ALLOWED: Readonly<Record<PolicyMode, readonly TlsGroup[]>> = {
  default: TLS_GROUPS,
  secure: ['X25519', 'X448', 'P-384', 'P-521', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'],
  fips: ['P-256', 'P-384', 'P-521', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'],
};
/** Cipher names per mode (OpenSSL names, TLS 1.3 names included). FIPS: AES-GCM only (SP 800-52r2
 * s3.3.1 approved AEAD); secure: AES-256-GCM only (DESIGN.md "secure mode"). */
const CIPHER_RULE: Readonly<Record<PolicyMode, RegExp | null>> = {
  default: null,
  secure: /AES[_-]?256[_-]GCM/,
  fips: /AES[_-]?(128|256)[_-]GCM/,
};

const suiteName = z.enum(SUITE_NAMES);
const uniqueList = <T extends z.ZodType>(item: T) => z.array(item);

export const tlsSettingsSchema = z
  .object({
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']),
    ciphers: uniqueList(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an OpenSSL cipher name')).min(1),
    groups: uniqueList(z.enum(TLS_GROUPS)).min(1),
    dhBits: z.number().int().min(2048).max(8192),
  })
  .strict();

export const profileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - and _, at most 64'),
    description: z.string().max(500),
    mode: z.enum(POLICY_MODES),
    /** SDES preference, best first. Selection follows this order, never the offer's. */
    suites: uniqueList(suiteName).min(1),
    keying: z.object({ sdes: z.boolean(), dtls: z.boolean() }).strict(),
    /** use_srtp order (RFC 5764 s4.1.1), best first; a subset of `suites` with DTLS profile ids. */
    dtlsProfiles: uniqueList(suiteName),
    allowMki: z.boolean(),
    allowPlaintext: z.boolean(),
    allowBestEffortSrtp: z.boolean(),
    tls: tlsSettingsSchema,
  })
  .strict();

export type Profile = Readonly<z.infer<typeof profileSchema>>;

function duplicates<T>(list: readonly T[]): number[] {
  const seen = new Set<T>();
  const out: number[] = [];
  list.forEach((v, i) => {
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}

/** Cross-field checks on a shape-valid profile; returns issues (empty = fine). */
function crossCheck(p: Profile, base: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const at = (...seg: PropertyKey[]) => joinPath(base, seg);
  for (const i of duplicates(p.suites)) out.push({ path: at('suites', i), reason: `duplicate suite ${p.suites[i]}` });
  for (const i of duplicates(p.dtlsProfiles)) out.push({ path: at('dtlsProfiles', i), reason: `duplicate suite ${p.dtlsProfiles[i]}` });
  p.suites.forEach((name, i) => {
    if (!suiteByName(name).approvedIn[p.mode]) out.push({ path: at('suites', i), reason: `${name} is not approved in mode ${p.mode}` });
  });
  p.dtlsProfiles.forEach((name: SuiteName, i) => {
    const s = suiteByName(name);
    if (s.dtlsProfileId === null) out.push({ path: at('dtlsProfiles', i), reason: `${name} has no DTLS-SRTP protection profile (RFC 5764/7714)` });
    if (!p.suites.includes(name)) out.push({ path: at('dtlsProfiles', i), reason: `${name} is not in suites` });
  });
  if (p.keying.dtls && p.dtlsProfiles.length === 0) out.push({ path: at('dtlsProfiles'), reason: 'keying.dtls is true but no DTLS-SRTP profile is listed' });
  if (!p.keying.sdes && !p.keying.dtls && !p.allowPlaintext) out.push({ path: at('keying'), reason: 'no keying allowed and plaintext refused: nothing could ever be accepted' });
  if (p.mode !== 'default' && p.allowPlaintext) out.push({ path: at('allowPlaintext'), reason: `mode ${p.mode} never allows plaintext` });
  for (const i of duplicates(p.tls.ciphers)) out.push({ path: at('tls', 'ciphers', i), reason: 'duplicate cipher' });
  for (const i of duplicates(p.tls.groups)) out.push({ path: at('tls', 'groups', i), reason: 'duplicate group' });
  const rule = CIPHER_RULE[p.mode];
  if (rule) p.tls.ciphers.forEach((c, i) => {
    if (!rule.test(c.toUpperCase())) out.push({ path: at('tls', 'ciphers', i), reason: `${c} is not allowed in mode ${p.mode}` });
  });
  const groups = GROUPS_ALLOWED[p.mode];
  p.tls.groups.forEach((g, i) => {
    if (!groups.includes(g)) out.push({ path: at('tls', 'groups', i), reason: `${g} is not allowed in mode ${p.mode}` });
  });
  if (p.mode === 'secure' && p.tls.dhBits < 3072) out.push({ path: at('tls', 'dhBits'), reason: 'mode secure needs dhBits >= 3072' });
  return out;
}

export type ProfileCheck = { readonly ok: true; readonly profile: Profile } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Validate without throwing; `base` prefixes paths (e.g. `profiles[2]`). */
export function checkProfile(input: unknown, base = ''): ProfileCheck {
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error, base) };
  const issues = crossCheck(parsed.data, base);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, profile: deepFreeze(parsed.data) };
}

/** Validate or throw PolicyConfigError listing every `path: reason`. */
export function parseProfile(input: unknown, source = 'crypto-policy profile'): Profile {
  const r = checkProfile(input);
  if (!r.ok) throw new PolicyConfigError(source, r.issues);
  return r.profile;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
