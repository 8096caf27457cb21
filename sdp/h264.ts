/**
 * H.264 offer/answer rules (RFC 6184 8.2.2): the answer must keep the offered
 * packetization-mode and profile; the level may be lowered unless level-asymmetry-allowed=1
 * (RFC 6184 8.1), in which case each side states what it can receive and levels may differ.
 * Profiles are classified from profile-level-id as libwebrtc does (profile_idc + constraint
 * flags), because e.g. 42e01f and 42c01f are the same Constrained Baseline profile.
 */

export type H264Profile = 'constrained-baseline' | 'baseline' | 'main' | 'extended' | 'high' | 'constrained-high' | 'unknown';

export interface ProfileLevel {
  readonly profile: H264Profile;
  /** level_idc (e.g. 31 = level 3.1); level 1b is reported as 9 (as libwebrtc does). */
  readonly level: number;
}

/** RFC 6184 8.1: default when profile-level-id is absent is 420010 (Baseline, level 1). */
export const DEFAULT_PROFILE_LEVEL_ID = '420010';

export function parseProfileLevelId(text: string | undefined): ProfileLevel | undefined {
  const t = text ?? DEFAULT_PROFILE_LEVEL_ID;
  if (!/^[0-9A-Fa-f]{6}$/.test(t)) return undefined;
  const idc = parseInt(t.slice(0, 2), 16);
  const iop = parseInt(t.slice(2, 4), 16);
  let level = parseInt(t.slice(4, 6), 16);
  const set0 = (iop & 0x80) !== 0;
  const set1 = (iop & 0x40) !== 0;
  const set3 = (iop & 0x10) !== 0;
  let profile: H264Profile = 'unknown';
  switch (idc) {
    case 0x42:
      profile = set1 ? 'constrained-baseline' : 'baseline';
      // Level 1b: level_idc 11 with constraint_set3 in Baseline/Main (H.264 A.3.1).
      if (level === 11 && set3) level = 9;
      break;
    case 0x4d:
      profile = set0 ? 'constrained-baseline' : 'main';
      if (level === 11 && set3) level = 9;
      break;
    case 0x58:
      profile = set0 && set1 ? 'constrained-baseline' : set0 ? 'baseline' : 'extended';
      break;
    case 0x64:
      profile = (iop & 0x0c) === 0x0c ? 'constrained-high' : 'high';
      break;
    default:
      profile = 'unknown';
  }
  return { profile, level };
}

export function packetizationMode(params: ReadonlyMap<string, string>): number {
  const v = params.get('packetization-mode');
  return v === undefined || v === '' ? 0 : Number(v);
}

/**
 * Rewrites the level byte of the offered profile-level-id to `level` (keeping the offerer's
 * profile bytes), used when the answerer's maximum level is below the offered one and
 * level-asymmetry is not allowed (RFC 6184 8.2.2).
 */
export function withLevel(profileLevelId: string, level: number): string {
  const l = level === 9 ? 11 : level;
  return profileLevelId.slice(0, 4) + l.toString(16).padStart(2, '0');
}
