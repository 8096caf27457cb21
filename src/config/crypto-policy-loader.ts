/**
 * Builds the CryptoPolicy from the gateway config: built-in profiles, the operator's profile
 * files from `policy.profiles_dir` (YAML or JSON, validated like config), `policy.overrides`
 * and `policy.profile` as the default. Reading files happens here; crypto-policy/ stays pure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createCryptoPolicy, PolicyConfigError, type CryptoPolicy } from '../../crypto-policy/index.ts';
import type { GatehouseConfig } from './schema.ts';

export type PolicyLoad = { readonly ok: true; readonly policy: CryptoPolicy } | { readonly ok: false; readonly problems: readonly string[] };

export function loadCryptoPolicy(config: GatehouseConfig): PolicyLoad {
  const problems: string[] = [];
  const files: string[] = [];
  const profiles: unknown[] = [];
  const dir = config.policy.profiles_dir;
  if (dir !== undefined) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
    } catch (err) {
      problems.push(`policy.profiles_dir: cannot read directory ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        profiles.push(parse(readFileSync(path, 'utf8')) as unknown);
        files.push(path);
      } catch (err) {
        problems.push(`${path}: ${(err as Error).message.split('\n')[0] ?? 'unreadable'}`);
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  try {
    return { ok: true, policy: createCryptoPolicy({ profiles, overrides: config.policy.overrides, defaultProfile: config.policy.profile }) };
  } catch (err) {
    if (!(err instanceof PolicyConfigError)) throw err;
    return { ok: false, problems: err.issues.map((i) => `${renamePath(i.path, files)}: ${i.reason}`) };
  }
}

/** Maps the policy's own paths (`profiles[1].suites[0]`, `overrides[0]...`) to config terms. */
function renamePath(path: string, files: readonly string[]): string {
  const m = /^profiles\[(\d+)\]\.?(.*)$/.exec(path);
  if (m) return `${files[Number(m[1])] ?? 'profile'}${m[2] ? `: ${m[2]}` : ''}`;
  if (path === 'defaultProfile') return 'policy.profile';
  if (path.startsWith('overrides')) return `policy.${path}`;
  return path === '' ? 'policy' : path;
}
