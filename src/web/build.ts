/**
 * Bundles the guest join page for the HTTPS join server (issue 6): `node src/web/build.ts`
 * (npm script `build:web`). Writes to dist/web/ (gitignored):
 *   join-<hash>.js, join-<hash>.css  content-hashed, so the server may cache them for ever
 *   join.html, not-found.html        templates the server fills (escaped) per request
 *   manifest.json                    { script, style, pages } for src/adapters/http/static-assets.ts
 * Everything the page needs is in that directory: no CDN, no external fonts.
 *
 * Usage: node src/web/build.ts [--out DIR]
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface WebManifest {
  readonly version: 1;
  /** File names inside the output directory. */
  readonly script: string;
  readonly style: string;
  readonly pages: { readonly join: string; readonly notFound: string };
}

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
export const DEFAULT_WEB_DIST = join(REPO_ROOT, 'dist', 'web');

export async function buildWeb(outDir: string = DEFAULT_WEB_DIST): Promise<WebManifest> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: { join: join(here, 'join-page.ts'), 'join-style': join(here, 'join.css') },
    outdir: outDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Browsers with RTCTransportStats.srtpCipher and module scripts.
    target: ['chrome112', 'firefox115', 'safari16.4', 'edge112'],
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  let script: string | undefined;
  let style: string | undefined;
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    const entry = meta.entryPoint === undefined ? '' : basename(meta.entryPoint);
    if (entry === 'join-page.ts') script = basename(file);
    if (entry === 'join.css') style = basename(file);
  }
  if (script === undefined || style === undefined) throw new Error('esbuild produced no join script or style');
  await copyFile(join(here, 'join.html'), join(outDir, 'join.html'));
  await copyFile(join(here, 'not-found.html'), join(outDir, 'not-found.html'));
  const manifest: WebManifest = { version: 1, script, style, pages: { join: 'join.html', notFound: 'not-found.html' } };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 && process.argv[i + 1] !== undefined ? resolve(process.argv[i + 1] ?? '') : DEFAULT_WEB_DIST;
  const manifest = await buildWeb(out);
  process.stdout.write(`join page built in ${relative(process.cwd(), out) || '.'}: ${manifest.script}, ${manifest.style}\n`);
}
