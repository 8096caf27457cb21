/**
 * Per-peer overrides: a rule matches a peer by source CIDR, TLS client-certificate subject, or
 * SIP From/To domain and selects another profile. Rules are tried in config order; the first
 * match wins. Within one rule every criterion given must match (AND); give two rules for OR.
 *
 * Certificate subject matching is by RDN subset: every `type=value` the rule lists must appear
 * in the peer's subject (so `CN=trunk.example.com` matches `C=US, O=Acme, CN=trunk.example.com`).
 * Attribute types compare case-insensitively, values exactly. The TLS adapter verifies the chain
 * before the subject reaches here; the subject is never trusted on its own.
 *
 * Domains compare case-insensitively; `*.example.com` matches any sub-domain (not the apex).
 */
import { z } from 'zod';
import { issuesFromZod, joinPath } from './config-issues.ts';
import type { ConfigIssue } from './errors.ts';
import { cidrContains, parseCidr, parseIp, type Cidr } from './cidr.ts';

/** What the signalling adapter knows about the peer of this call. */
export interface PeerContext {
  /** Source address of the SIP/WebSocket connection. */
  readonly ip?: string;
  /** Verified TLS client certificate subject (`CN=..., O=...` or Node's newline-separated form). */
  readonly certSubject?: string;
  readonly fromDomain?: string;
  readonly toDomain?: string;
}

const domainPattern = z.string().regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'expected a domain or *.domain');

export const overrideRuleSchema = z
  .object({
    name: z.string().max(100).optional(),
    match: z
      .object({
        cidr: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
        // snake_case like the rest of the gateway config file these rules live in
        cert_subject: z.string().min(3).max(1000).optional(),
        from_domain: domainPattern.optional(),
        to_domain: domainPattern.optional(),
      })
      .strict(),
    profile: z.string().min(1),
  })
  .strict();

type Rdn = { readonly type: string; readonly value: string };

export interface OverrideRule {
  readonly index: number;
  readonly name: string | null;
  readonly profile: string;
  readonly cidrs: readonly Cidr[];
  readonly certSubject: readonly Rdn[] | null;
  readonly fromDomain: string | null;
  readonly toDomain: string | null;
}

/** Split a DN in either `A=b, C=d` (RFC 4514 style) or Node's `A=b\nC=d` form into RDNs. */
export function parseSubject(subject: string): Rdn[] | null {
  const parts = subject.split(/\n|,(?=\s*[A-Za-z][A-Za-z0-9.-]*\s*=)|\/(?=[A-Za-z][A-Za-z0-9.-]*=)/);
  const out: Rdn[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    out.push({ type: part.slice(0, eq).trim().toUpperCase(), value: part.slice(eq + 1).trim() });
  }
  return out.length > 0 ? out : null;
}

export type RulesCheck = { readonly ok: true; readonly rules: readonly OverrideRule[] } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Validate override rules (`knownProfiles` resolves `profile`); paths are prefixed by `base`. */
export function checkOverrideRules(input: unknown, knownProfiles: ReadonlySet<string>, base = 'overrides'): RulesCheck {
  const list = z.array(z.unknown()).safeParse(input);
  if (!list.success) return { ok: false, issues: issuesFromZod(list.error, base) };
  const issues: ConfigIssue[] = [];
  const rules: OverrideRule[] = [];
  // Each rule on its own, so one broken rule does not hide the problems of the others.
  list.data.forEach((raw, index) => {
    const parsed = overrideRuleSchema.safeParse(raw);
    if (!parsed.success) {
      issues.push(...issuesFromZod(parsed.error, joinPath(base, [index])));
      return;
    }
    const r = parsed.data;
    const at = (...seg: PropertyKey[]) => joinPath(base, [index, ...seg]);
    const m = r.match;
    if (m.cidr === undefined && m.cert_subject === undefined && m.from_domain === undefined && m.to_domain === undefined) {
      issues.push({ path: at('match'), reason: 'needs at least one of cidr, cert_subject, from_domain, to_domain' });
    }
    if (!knownProfiles.has(r.profile)) issues.push({ path: at('profile'), reason: `unknown profile "${r.profile}"` });
    const cidrTexts = m.cidr === undefined ? [] : typeof m.cidr === 'string' ? [m.cidr] : m.cidr;
    const cidrs: Cidr[] = [];
    cidrTexts.forEach((text, i) => {
      const c = parseCidr(text);
      if (c.ok) cidrs.push(c.value);
      else issues.push({ path: typeof m.cidr === 'string' ? at('match', 'cidr') : at('match', 'cidr', i), reason: c.reason });
    });
    let subject: Rdn[] | null = null;
    if (m.cert_subject !== undefined) {
      subject = parseSubject(m.cert_subject);
      if (subject === null) issues.push({ path: at('match', 'cert_subject'), reason: 'expected a DN such as "CN=trunk.example.com, O=Example"' });
    }
    rules.push({
      index,
      name: r.name ?? null,
      profile: r.profile,
      cidrs,
      certSubject: subject,
      fromDomain: m.from_domain?.toLowerCase() ?? null,
      toDomain: m.to_domain?.toLowerCase() ?? null,
    });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, rules };
}

function domainMatches(pattern: string, domain: string | undefined): boolean {
  if (domain === undefined) return false;
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (pattern.startsWith('*.')) return d.endsWith(pattern.slice(1)) && d.length > pattern.length - 1;
  return d === pattern;
}

export interface OverrideMatch {
  readonly rule: OverrideRule;
  /** Human text per criterion that matched, e.g. `source 192.0.2.7 in 192.0.2.0/24`. */
  readonly matched: readonly string[];
}

/** First rule whose every criterion matches the peer, or null. */
export function matchOverride(rules: readonly OverrideRule[], peer: PeerContext): OverrideMatch | null {
  if (rules.length === 0) return null; // nothing to match: skip parsing the peer's address and subject
  const ip = peer.ip === undefined ? null : parseIp(peer.ip);
  const subject = peer.certSubject === undefined ? null : parseSubject(peer.certSubject);
  for (const rule of rules) {
    const matched: string[] = [];
    let ok = true;
    if (rule.cidrs.length > 0) {
      const hit = ip?.ok ? rule.cidrs.find((c) => cidrContains(c, ip.value)) : undefined;
      if (hit) matched.push(`source ${peer.ip} in ${hit.text}`);
      else ok = false;
    }
    if (ok && rule.certSubject) {
      const want = rule.certSubject;
      if (subject && want.every((w) => subject.some((s) => s.type === w.type && s.value === w.value))) {
        matched.push(`certificate subject has ${want.map((w) => `${w.type}=${w.value}`).join(', ')}`);
      } else ok = false;
    }
    if (ok && rule.fromDomain !== null) {
      if (domainMatches(rule.fromDomain, peer.fromDomain)) matched.push(`From domain ${peer.fromDomain} matches ${rule.fromDomain}`);
      else ok = false;
    }
    if (ok && rule.toDomain !== null) {
      if (domainMatches(rule.toDomain, peer.toDomain)) matched.push(`To domain ${peer.toDomain} matches ${rule.toDomain}`);
      else ok = false;
    }
    if (ok) return { rule, matched };
  }
  return null;
}
