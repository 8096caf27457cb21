/**
 * Turns zod issues into `path: reason` pairs (DESIGN.md convention 10: unknown keys are rejected
 * with the key's path). An unrecognised key is reported at its own path (`tls.cipher`), not at its
 * parent, so the operator sees exactly which line of the file to fix.
 */
import type { z } from 'zod';
import type { ConfigIssue } from './errors.ts';

export function joinPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base;
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export function issuesFromZod(error: z.ZodError, base = ''): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath(base, [...issue.path, key]), reason: 'unknown key' });
      continue;
    }
    out.push({ path: joinPath(base, issue.path), reason: issue.message });
  }
  return out;
}
