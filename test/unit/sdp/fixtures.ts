import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * SDP fixtures live in test/fixtures/sdp. Each file starts with `# key: value` header lines
 * (source, device, edits) that cite where the SDP was published; the SDP follows. Files are
 * stored with LF; `crlf` gives the on-the-wire form.
 */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/sdp');

export interface Fixture {
  readonly name: string;
  readonly header: ReadonlyMap<string, string>;
  /** SDP with LF line ends, header removed. */
  readonly sdp: string;
}

export function loadFixture(name: string): Fixture {
  const text = readFileSync(join(FIXTURE_DIR, name), 'utf8');
  const header = new Map<string, string>();
  const lines = text.split('\n');
  let i = 0;
  for (; i < lines.length && (lines[i] ?? '').startsWith('#'); i++) {
    const m = /^#\s*([a-z-]+):\s*(.*)$/.exec(lines[i] ?? '');
    if (m !== null) header.set(m[1] as string, m[2] as string);
  }
  return { name, header, sdp: lines.slice(i).join('\n') };
}

export function crlf(lfText: string): string {
  return lfText.replace(/\r?\n/g, '\r\n');
}

export function allFixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).sort();
}

/** Device fixtures (real SDP from public sources), i.e. everything but expected outputs. */
export function deviceFixtureNames(): string[] {
  return allFixtureNames().filter((n) => n.endsWith('.sdp') && !n.endsWith('.expected-answer.sdp'));
}
