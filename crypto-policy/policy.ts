/**
 * The policy as configured: built-in profiles, operator profiles (parsed objects handed in by the
 * config adapter; validated like config), per-peer override rules and the default profile name.
 * Checked once at start (DESIGN.md convention 10); every problem is reported with its path.
 */
import { BUILTIN_PROFILES, DEFAULT_PROFILE_NAME } from './builtin-profiles.ts';
import { PolicyConfigError, type ConfigIssue } from './errors.ts';
import { negotiate, type Negotiation, type ProfileChoice } from './negotiate.ts';
import type { MediaOffer } from './media-offer.ts';
import { checkOverrideRules, matchOverride, type OverrideRule, type PeerContext } from './peer-overrides.ts';
import { checkProfile, type Profile } from './profile-schema.ts';
import type { Rng } from './sdes-select.ts';

export interface CryptoPolicyConfig {
  /** Operator profile objects (already parsed from YAML/JSON by the adapter). */
  readonly profiles?: readonly unknown[];
  /** Override rules, in priority order. */
  readonly overrides?: readonly unknown[];
  readonly defaultProfile?: string;
}

export type ProfileLookup = { readonly ok: true; readonly profile: Profile } | { readonly ok: false; readonly reason: string };

export class CryptoPolicy {
  readonly defaultProfile: string;
  readonly rules: readonly OverrideRule[];
  readonly #profiles: ReadonlyMap<string, Profile>;

  constructor(profiles: readonly Profile[], rules: readonly OverrideRule[], defaultProfile: string) {
    this.#profiles = new Map(profiles.map((p) => [p.name, p]));
    this.rules = rules;
    this.defaultProfile = defaultProfile;
  }

  /** All profiles, built-ins first, in definition order. */
  profiles(): readonly Profile[] {
    return [...this.#profiles.values()];
  }

  findProfile(name: string): ProfileLookup {
    const p = this.#profiles.get(name);
    if (p) return { ok: true, profile: p };
    return { ok: false, reason: `unknown profile "${name.slice(0, 64)}" (known: ${[...this.#profiles.keys()].join(', ')})` };
  }

  /** Which profile applies to this peer, and why. First matching override wins. */
  selectProfile(peer: PeerContext): { readonly profile: Profile; readonly choice: ProfileChoice } {
    const m = matchOverride(this.rules, peer);
    const name = m ? m.rule.profile : this.defaultProfile;
    const found = this.#profiles.get(name);
    if (!found) throw new Error(`validated policy lost profile ${name}`); // construction checks every name
    const choice: ProfileChoice = m
      ? {
          profile: name,
          source: 'override',
          rule: { index: m.rule.index, name: m.rule.name, matched: m.matched },
          reason: `override rule ${m.rule.index}${m.rule.name ? ` (${m.rule.name})` : ''} matched: ${m.matched.join('; ')}`,
        }
      : { profile: name, source: 'default', rule: null, reason: this.rules.length > 0 ? `no override rule matched; default profile ${name}` : `default profile ${name}` };
    return { profile: found, choice };
  }

  /** Negotiate an offer for a peer: override rules pick the profile unless `profile` is given. */
  negotiate(media: readonly MediaOffer[], peer: PeerContext, options: { readonly profile?: string; readonly rng?: Rng } = {}): Negotiation {
    if (options.profile !== undefined) {
      const p = this.findProfile(options.profile);
      if (!p.ok) throw new PolicyConfigError('requested profile', [{ path: 'profile', reason: p.reason }]);
      const choice: ProfileChoice = { profile: p.profile.name, source: 'explicit', rule: null, reason: `profile ${p.profile.name} requested explicitly` };
      return negotiate(options.rng ? { profile: p.profile, media, peer, profileChoice: choice, rng: options.rng } : { profile: p.profile, media, peer, profileChoice: choice });
    }
    const sel = this.selectProfile(peer);
    return negotiate(options.rng ? { profile: sel.profile, media, peer, profileChoice: sel.choice, rng: options.rng } : { profile: sel.profile, media, peer, profileChoice: sel.choice });
  }
}

/** Validate the policy config; throws PolicyConfigError listing every `path: reason`. */
export function createCryptoPolicy(config: CryptoPolicyConfig = {}): CryptoPolicy {
  const issues: ConfigIssue[] = [];
  const profiles: Profile[] = [...BUILTIN_PROFILES];
  const names = new Set(profiles.map((p) => p.name));
  (config.profiles ?? []).forEach((raw, i) => {
    const r = checkProfile(raw, `profiles[${i}]`);
    if (!r.ok) {
      issues.push(...r.issues);
      return;
    }
    if (names.has(r.profile.name)) {
      const builtin = BUILTIN_PROFILES.some((b) => b.name === r.profile.name);
      issues.push({ path: `profiles[${i}].name`, reason: builtin ? `"${r.profile.name}" is a built-in profile; choose another name` : `duplicate profile name "${r.profile.name}"` });
      return;
    }
    names.add(r.profile.name);
    profiles.push(r.profile);
  });
  const defaultProfile = config.defaultProfile ?? DEFAULT_PROFILE_NAME;
  if (!names.has(defaultProfile)) issues.push({ path: 'defaultProfile', reason: `unknown profile "${defaultProfile.slice(0, 64)}"` });
  const rules = checkOverrideRules(config.overrides ?? [], names);
  if (!rules.ok) issues.push(...rules.issues);
  if (issues.length > 0) throw new PolicyConfigError('crypto policy configuration', issues);
  return new CryptoPolicy(profiles, rules.ok ? rules.rules : [], defaultProfile);
}
