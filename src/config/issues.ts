/**
 * Turns schema validation issues into operator-facing `path: reason` lines, naming where the
 * offending value came from and suggesting the nearest known key for a misspelling.
 */
import type { z } from 'zod';

const SECRET_WORDS = /(password|passwd|secret|token|key|kek)$/i;

export function describeIssue(
  issue: z.core.$ZodIssue,
  sources: ReadonlyMap<string, string>,
  keysAt: (path: readonly string[]) => readonly string[],
): string[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = [...path, key].join('.');
      const src = sources.get(full) ?? [...sources].find(([k]) => k.startsWith(`${full}.`))?.[1];
      const where = src ? ` (from ${src})` : '';
      if (SECRET_WORDS.test(key)) {
        return `${full}${where}: unknown key; secrets are never accepted inline: reference them with ${key}_file (a path) or ${key}_env (a variable name)`;
      }
      const hint = suggest(key, keysAt(path));
      return `${full}${where}: unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`;
    });
  }
  const dotted = path.join('.') || '(top level)';
  const src = sourceFor(path, sources);
  return [`${dotted}${src ? ` (from ${src})` : ''}: ${issue.message}`];
}

function sourceFor(path: readonly string[], sources: ReadonlyMap<string, string>): string | undefined {
  for (let i = path.length; i > 0; i--) {
    const s = sources.get(path.slice(0, i).join('.'));
    if (s) return s;
  }
  return undefined;
}

function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance; config keys are short, so the O(n*m) table is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
