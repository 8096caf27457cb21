/**
 * The built-in profiles. They live as data files next to this module (operators read them as
 * examples for their own) and are imported as JSON modules, because pure code reads no files.
 * They go through the same validator as operator files; a broken built-in fails at import.
 */
import defaultJson from './profiles/default.json' with { type: 'json' };
import fipsJson from './profiles/fips.json' with { type: 'json' };
import interopJson from './profiles/interop.json' with { type: 'json' };
import secureJson from './profiles/secure.json' with { type: 'json' };
import { parseProfile, type Profile } from './profile-schema.ts';

export const BUILTIN_PROFILES: readonly Profile[] = Object.freeze([
  parseProfile(defaultJson, 'built-in profile default'),
  parseProfile(secureJson, 'built-in profile secure'),
  parseProfile(fipsJson, 'built-in profile fips'),
  parseProfile(interopJson, 'built-in profile interop'),
]);

export const DEFAULT_PROFILE_NAME = 'default';
