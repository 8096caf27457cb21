/**
 * The bundled join page (dist/web/, made by `npm run build:web` = src/web/build.ts), loaded
 * once at start into memory: it is small, and serving from a fixed in-memory table means no
 * request path ever reaches the file system (no traversal by construction).
 *
 * Scripts and styles carry content hashes in their names, so they are cached for a year as
 * immutable; pages are rendered per request and never cached. Subresource Integrity hashes
 * (W3C SRI, sha384) are put on the <script>/<link> tags as defence in depth.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError } from '../../core/errors.ts';

export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly integrity: string;
}

export interface JoinPageValues {
  readonly room: string;
  readonly wssUrl: string;
  /** Space-separated WSS URLs the client tries after a lost connection (may be empty). */
  readonly wssFallbacks: string;
  readonly sipDomain: string;
}

export interface StaticAssets {
  /** Assets by URL path, e.g. `/assets/join-ABCD1234.js`. */
  readonly byPath: ReadonlyMap<string, StaticAsset>;
  renderJoin(values: JoinPageValues): string;
  renderNotFound(): string;
}

export const ASSET_PREFIX = '/assets/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface Manifest {
  readonly version: 1;
  readonly script: string;
  readonly style: string;
  readonly pages: { readonly join: string; readonly notFound: string };
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

export async function loadStaticAssets(dir: string): Promise<StaticAssets> {
  const manifest = await readManifest(dir);
  const byPath = new Map<string, StaticAsset>();
  for (const name of [manifest.script, manifest.style]) byPath.set(ASSET_PREFIX + name, await loadAsset(dir, name));
  // esbuild's `legalComments: 'linked'` licence file, if present, is served too.
  const legal = `${manifest.script}.LEGAL.txt`;
  const legalAsset = await loadAsset(dir, legal).catch(() => undefined);
  if (legalAsset !== undefined) byPath.set(ASSET_PREFIX + legal, legalAsset);

  const script = byPath.get(ASSET_PREFIX + manifest.script);
  const style = byPath.get(ASSET_PREFIX + manifest.style);
  if (script === undefined || style === undefined) throw missing(dir, 'script or style');
  const joinTemplate = await readText(dir, manifest.pages.join);
  const notFoundTemplate = await readText(dir, manifest.pages.notFound);
  const common = {
    script: ASSET_PREFIX + manifest.script,
    scriptIntegrity: script.integrity,
    style: ASSET_PREFIX + manifest.style,
    styleIntegrity: style.integrity,
  };
  const notFound = fill(notFoundTemplate, common);
  return {
    byPath,
    renderJoin: (v) => fill(joinTemplate, { ...common, room: v.room, wssUrl: v.wssUrl, wssFallbacks: v.wssFallbacks, sipDomain: v.sipDomain }),
    renderNotFound: () => notFound,
  };
}

/** Fills `{{name}}` placeholders with HTML-escaped values; an unknown placeholder is a bug. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Za-z]+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new GatehouseError('internal', 'web_template_placeholder', `join page template uses unknown placeholder {{${key}}}`);
    return escapeHtml(v);
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (err) {
    throw missing(dir, 'manifest.json', err);
  }
  const m = JSON.parse(text) as Partial<Manifest>;
  const names = [m.script, m.style, m.pages?.join, m.pages?.notFound];
  if (m.version !== 1 || !names.every((n): n is string => typeof n === 'string' && SAFE_NAME.test(n))) {
    throw new GatehouseError('config', 'web_bundle_invalid', `${join(dir, 'manifest.json')} is not a join page manifest: run \`npm run build:web\``);
  }
  return m as Manifest;
}

async function loadAsset(dir: string, name: string): Promise<StaticAsset> {
  const ext = /\.[a-z]+$/.exec(name)?.[0] ?? '';
  const contentType = CONTENT_TYPES[ext];
  if (contentType === undefined) throw new GatehouseError('internal', 'web_asset_type', `no content type for ${name}`);
  let body: Buffer;
  try {
    body = await readFile(join(dir, name));
  } catch (err) {
    throw missing(dir, name, err);
  }
  const sha384 = createHash('sha384').update(body).digest('base64');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, contentType, etag, integrity: `sha384-${sha384}` };
}

async function readText(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (err) {
    throw missing(dir, name, err);
  }
}

function missing(dir: string, what: string, cause?: unknown): GatehouseError {
  return new GatehouseError('config', 'web_bundle_missing', `join page bundle incomplete in ${dir} (${what}): run \`npm run build:web\``, { cause });
}
