/**
 * `npm run bench -- [NAME...] [--json]`: runs the benches in test/bench/<name>.bench.ts.
 * With --json prints one BenchRow JSON object per line; otherwise a readable table.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchRow } from './contract.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const wanted = args.filter((a) => !a.startsWith('--'));

const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();

const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; available: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}

const selected = wanted.length > 0 ? wanted : available;
const rows: BenchRow[] = [];
for (const name of selected) {
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { bench: Bench };
  const out = await mod.bench.run();
  for (const row of out) {
    rows.push(row);
    if (json) console.log(JSON.stringify(row));
  }
}

if (!json) {
  const header = ['bench', 'metric', 'value', 'unit', 'baseline', 'ratio'];
  const lines = rows.map((r) => [r.bench, r.metric, formatNumber(r.value), r.unit, r.baseline ?? '', r.ratio === undefined ? '' : r.ratio.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

function formatNumber(n: number): string {
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(4);
}
