/**
 * Errors of the crypto policy (DESIGN.md convention 5). Two kinds:
 * - PolicyConfigError: an operator profile/override file is wrong (category 'config'); lists every
 *   problem as `path: reason`, so the operator fixes them all in one go.
 * - PolicyRejectError: a peer's offer cannot be accepted under the selected profile (category
 *   'policy', SIP 488 Not Acceptable Here, RFC 3261 s21.4.26) with a Warning header text
 *   (RFC 3261 s20.43, warn-code 399 "miscellaneous warning") naming the profile and reason.
 */
import { GatehouseError } from '../src/core/errors.ts';

export interface ConfigIssue {
  /** e.g. `profiles[0].suites[2]`, `overrides[1].match.cidr[0]`; empty for the root. */
  readonly path: string;
  readonly reason: string;
}

export class PolicyConfigError extends GatehouseError {
  readonly issues: readonly ConfigIssue[];

  constructor(what: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.path === '' ? '(root)' : i.path}: ${i.reason}`);
    super('config', 'POLICY_CONFIG_INVALID', `${what} is invalid:\n${lines.join('\n')}`);
    this.name = 'PolicyConfigError';
    this.issues = issues;
  }
}

export type PolicyRejectCode = 'POLICY_NO_ACCEPTABLE_SUITE' | 'POLICY_PLAINTEXT_REFUSED' | 'POLICY_NO_MEDIA';

/** Quoted-string safe (RFC 3261 s25.1): no quotes/backslashes/controls, bounded length. */
export function warningText(text: string): string {
  const clean = text.replace(/[\\"]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 240 ? `${clean.slice(0, 237)}...` : clean;
}

export class PolicyRejectError extends GatehouseError {
  readonly profile: string;
  /** The per-media summary reasons that led to the rejection (never keys). */
  readonly reasons: readonly string[];
  declare readonly code: PolicyRejectCode;

  constructor(code: PolicyRejectCode, profile: string, summary: string, reasons: readonly string[]) {
    const text = warningText(`profile ${profile}: ${summary}`);
    super('policy', code, `crypto policy rejected the offer: ${text}`, {
      sipStatus: 488,
      sipReason: `399 gatehouse "${text}"`,
    });
    this.name = 'PolicyRejectError';
    this.profile = profile;
    this.reasons = reasons;
  }
}
