import { attributeError } from './errors.ts';
import { firstMediaOrSession, mediaOrSession } from './attributes.ts';
import type { MediaSection, SessionDescription } from './model.ts';
import { ParsedDescription } from './parsed-model.ts';

/** `a=fingerprint` (RFC 8122 5) and `a=setup` (RFC 4145 4, RFC 5763 5). */

export interface Fingerprint {
  /** Hash function name lowercased: sha-256, sha-1, sha-384, sha-512, ... (RFC 8122 5). */
  readonly hash: string;
  /** Canonical uppercase colon-separated hex, e.g. `AB:CD:...`. */
  readonly value: string;
}

/**
 * RFC 8122 5:
 *   fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint
 *   fingerprint = 2UHEX *(":" 2UHEX)
 * Lowercase hex is accepted (seen from some stacks) and canonicalised to uppercase.
 */
export function parseFingerprint(text: string, lineNo = 0): Fingerprint {
  const m = /^[ \t]*([A-Za-z0-9\-_]+)[ \t]+([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)[ \t]*$/.exec(text);
  if (m === null) throw attributeError("malformed 'a=fingerprint' (RFC 8122 5)", lineNo);
  return { hash: (m[1] as string).toLowerCase(), value: (m[2] as string).toUpperCase() };
}

export function serializeFingerprint(f: Fingerprint): string {
  return `${f.hash} ${f.value}`;
}

/** RFC 8122 5: fingerprints at media level apply to that media, else the session-level ones. */
export function fingerprints(sdp: SessionDescription, media: MediaSection): Fingerprint[] {
  return mediaOrSession(sdp, media, 'fingerprint').map((a) => parseFingerprint(a.value, a.lineNo));
}

/**
 * fingerprints() shared by the callers that only read it (the crypto policy bridge and
 * securityOffers both ask for every m= section of the same offer): parsed once per parsed
 * description and frozen. Any other description (built by hand) gets a fresh frozen list.
 */
export function offeredFingerprints(sdp: SessionDescription, media: MediaSection): readonly Fingerprint[] {
  const memo = ParsedDescription.memo(sdp);
  const ok = memo !== undefined && sdp.media[media.index] === media;
  const hit = ok ? memo.fingerprints?.[media.index] : undefined;
  if (hit !== undefined) return hit;
  const list = Object.freeze(fingerprints(sdp, media));
  if (ok) (memo.fingerprints ??= [])[media.index] = list;
  return list;
}

export type SetupRole = 'active' | 'passive' | 'actpass' | 'holdconn';
const ROLES: readonly string[] = ['active', 'passive', 'actpass', 'holdconn'];

/** RFC 4145 4: `a=setup:<role>`; media-level overrides session-level. */
export function setup(sdp: SessionDescription, media: MediaSection): SetupRole | undefined {
  const a = firstMediaOrSession(sdp, media, 'setup');
  if (a === undefined) return undefined;
  const v = a.value.trim().toLowerCase();
  if (!ROLES.includes(v)) throw attributeError("malformed 'a=setup' (RFC 4145 4)", a.lineNo);
  return v as SetupRole;
}
