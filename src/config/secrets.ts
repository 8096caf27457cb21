/**
 * Secrets are referenced, never inlined (issue 2): `<name>_file` names a file whose content is
 * the secret (trailing newline trimmed, as written by `echo` or Docker/Kubernetes secrets) and
 * `<name>_env` names an environment variable. Resolution happens once at start so a missing
 * secret stops the process before anything listens (fail closed, nothing half-configured).
 */
import { readFileSync } from 'node:fs';

/** Bases of `*_file` / `*_env` pairs that hold secret material. */
const SECRET_BASES = new Set(['key', 'password', 'secret', 'token', 'kek', 'pin']);

export interface SecretSet {
  /** Secret value by the dotted path of its base, e.g. `state.password`, `sip.tls.key`. */
  get(path: string): string | undefined;
  /** Every secret value, for the log redactor's exact-match list. */
  values(): readonly string[];
}

export type SecretsResult = { readonly ok: true; readonly secrets: SecretSet } | { readonly ok: false; readonly problems: readonly string[] };

export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

export function resolveSecrets(config: object, sources: SecretSources): SecretsResult {
  const readFile = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const found = new Map<string, string>();
  const problems: string[] = [];
  walk(config, [], (path, obj) => {
    for (const [k, v] of Object.entries(obj)) {
      const m = /^(.+)_(file|env)$/.exec(k);
      if (!m || typeof v !== 'string') continue;
      const base = m[1] ?? '';
      const full = [...path, k].join('.');
      const isSecret = SECRET_BASES.has(base);
      if (m[2] === 'file') {
        let content: string;
        try {
          content = readFile(v);
        } catch (err) {
          problems.push(`${full}: cannot read ${v} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
          continue;
        }
        if (!isSecret) continue;
        if (`${base}_env` in obj) problems.push(`${full}: set only one of ${base}_file and ${base}_env`);
        const value = content.replace(/\r?\n$/, '');
        if (value === '') problems.push(`${full}: ${v} is empty`);
        else found.set([...path, base].join('.'), value);
      } else if (isSecret) {
        const value = sources.env[v];
        if (value === undefined || value === '') problems.push(`${full}: environment variable ${v} is not set`);
        else found.set([...path, base].join('.'), value);
      }
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, secrets: { get: (p) => found.get(p), values: () => [...found.values()] } };
}

function walk(value: unknown, path: string[], visit: (path: string[], obj: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, [...path, String(i)], visit));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Record<string, unknown>;
  visit(path, obj);
  for (const [k, v] of Object.entries(obj)) walk(v, [...path, k], visit);
}
