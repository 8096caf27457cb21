/**
 * HTTPS listener for browser guests (issue 6): `GET /join/ROOM` serves the join page, whose
 * bundled script (src/web/, built to dist/web/ by `npm run build:web`) calls `sip:ROOM@domain`
 * over the WSS listener of the SIP engine. Nothing here talks SIP.
 *
 * Security headers on every response:
 * - Content-Security-Policy: only this origin's scripts/styles; `connect-src` names the
 *   configured WSS origin; no inline script (the page's settings travel in data attributes),
 *   no plugins, no framing, no forms.
 * - Strict-Transport-Security (RFC 6797; browsers ignore it over a certificate with errors,
 *   section 8.1, so the development certificate does not pin anything).
 * - X-Content-Type-Options nosniff, Referrer-Policy no-referrer (the room id is in the URL),
 *   Permissions-Policy camera/microphone for this origin only, COOP/CORP same-origin.
 * When no certificate is configured a self-signed development certificate is generated and a
 * warning is logged (dev-certificate.ts).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { HostPort } from '../../config/host-port.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { Logger } from '../../ports/logger.ts';
import { isValidRoomId } from '../../web/messages.ts';
import { webDevCertificate, webRequestsTotal } from '../../metrics/web.ts';
import { createDevCertificate } from './dev-certificate.ts';
import { ASSET_PREFIX, loadStaticAssets, type StaticAssets } from './static-assets.ts';

export interface JoinServerOptions {
  /** `web.listen`, default 127.0.0.1:8443. */
  readonly listen: HostPort;
  /** From `web.cert_file` and `web.key_file`/`web.key_env` (PEM). Absent: development cert. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** `web.wss_url`: the SIP WSS listener as browsers reach it, e.g. wss://gw.example:5063. */
  readonly wssUrl: string;
  /** `web.fallback_wss_urls`: other instances' WSS URLs, tried in order by a guest whose
   * connection dropped mid-call (takeover, issue 7). */
  readonly fallbackWssUrls?: readonly string[];
  /** `web.sip_domain`: host part of `sip:ROOM@...`; default the WSS URL's host. */
  readonly sipDomain?: string;
  /** Directory of the built bundle; default dist/web in the repository. */
  readonly assetsDir?: string;
}

export interface JoinServerDeps {
  readonly logger: Logger;
  /**
   * With several instances: the join page URL of the live instance a room already runs on, or
   * null to serve it here (a room is relayed/mixed in one process, so a guest must call there).
   */
  readonly roomElsewhere?: (roomId: string) => Promise<string | null>;
}

export interface JoinServer {
  /** e.g. https://127.0.0.1:8443 (port 0 resolved). */
  readonly url: string;
  /** PEM of the certificate in use (the generated one in development), e.g. to reuse for WSS. */
  readonly certificate: string;
  readonly usingDevCertificate: boolean;
  close(): Promise<void>;
}

export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../../dist/web', import.meta.url));

const HSTS_MAX_AGE_S = 31_536_000;
const ASSET_MAX_AGE_S = 31_536_000;

/** Room ids accepted in `/join/ROOM` (also the SIP user part): the same check as the page. */
export const isRoomId = isValidRoomId;

interface Site {
  readonly roomElsewhere: ((roomId: string) => Promise<string | null>) | undefined;
  readonly assets: StaticAssets;
  readonly wssUrl: string;
  readonly wssFallbacks: string;
  readonly sipDomain: string;
  readonly headers: Readonly<Record<string, string>>;
}

export async function startJoinServer(options: JoinServerOptions, deps: JoinServerDeps): Promise<JoinServer> {
  const log = deps.logger.child({ component: 'join-server' });
  const wss = parseWssUrl(options.wssUrl);
  const sipDomain = options.sipDomain ?? wss.hostname;
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const assets = await loadStaticAssets(assetsDir);

  let tls = options.tls;
  const usingDevCertificate = tls === undefined;
  if (tls === undefined) {
    const dev = await createDevCertificate();
    tls = { cert: dev.cert, key: dev.key };
    log.warn(
      { names: dev.names, fingerprint256: dev.fingerprint256 },
      'web.cert_file is not set: serving the join page with a generated self-signed certificate; for development only, browsers will warn',
    );
  }
  webDevCertificate.set(usingDevCertificate ? 1 : 0);

  const fallbacks = (options.fallbackWssUrls ?? []).map((u) => parseWssUrl(u, 'web.fallback_wss_urls'));
  const sources = [...new Set([wss, ...fallbacks].map(cspConnectSource))];
  const connect = sources.includes('wss:') ? 'wss:' : sources.join(' ');
  if (connect === 'wss:') log.warn({ wssUrl: options.wssUrl }, 'CSP cannot name an IPv6 literal host: connect-src allows any wss: origin');
  const wssFallbacks = (options.fallbackWssUrls ?? []).join(' ');
  const site: Site = { roomElsewhere: deps.roomElsewhere, assets, wssUrl: options.wssUrl, wssFallbacks, sipDomain, headers: securityHeaders(connect) };

  const server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    try {
      void handle(req, res, site).catch((err: unknown) => {
        log.error({ err }, 'join page request failed');
        if (!res.headersSent) send(res, 500, 'internal', site, { 'Content-Type': 'text/plain; charset=utf-8' }, 'internal error\n');
      });
    } catch (err) {
      log.error({ err }, 'join page request failed');
      if (!res.headersSent) send(res, 500, 'internal', site, { 'Content-Type': 'text/plain; charset=utf-8' }, 'internal error\n');
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'));
  await listen(server, options.listen);

  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `https://${host}:${addr.port}`;
  log.info({ url, wssUrl: options.wssUrl, sipDomain, assetsDir }, 'join page listening');
  return {
    url,
    certificate: tls.cert,
    usingDevCertificate,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, site: Site): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method', site, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, 'method not allowed\n');
    return;
  }
  const joinMatch = /^\/join\/([^/]*)$/.exec(path);
  if (joinMatch !== null) {
    const room = joinMatch[1] ?? '';
    if (isRoomId(room)) {
      // the room runs on another instance: the guest's page (and its WSS) must come from there
      const elsewhere = site.roomElsewhere ? await site.roomElsewhere(room).catch(() => null) : null;
      if (elsewhere !== null) {
        send(res, 302, 'join', site, { Location: elsewhere, 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8' }, `the room runs at ${elsewhere}\n`);
        return;
      }
      const html = site.assets.renderJoin({ room, wssUrl: site.wssUrl, wssFallbacks: site.wssFallbacks, sipDomain: site.sipDomain });
      send(res, 200, 'join', site, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, html);
      return;
    }
  }
  if (path === '/favicon.ico') {
    // Browsers ask for it on every page; answer "nothing" cheaply instead of a 404 page.
    send(res, 204, 'asset', site, { 'Cache-Control': `public, max-age=${ASSET_MAX_AGE_S}` }, undefined);
    return;
  }
  if (path.startsWith(ASSET_PREFIX)) {
    const asset = site.assets.byPath.get(path);
    if (asset !== undefined) {
      const headers = {
        'Content-Type': asset.contentType,
        'Cache-Control': `public, max-age=${ASSET_MAX_AGE_S}, immutable`,
        ETag: asset.etag,
      };
      if (req.headers['if-none-match'] === asset.etag) {
        send(res, 304, 'asset', site, headers, undefined);
        return;
      }
      send(res, 200, 'asset', site, headers, asset.body);
      return;
    }
  }
  send(res, 404, 'not_found', site, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, site.assets.renderNotFound());
}

function send(
  res: ServerResponse,
  status: number,
  route: string,
  site: Site,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer | undefined,
): void {
  webRequestsTotal.inc({ route, status: String(status) });
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...site.headers, ...headers, ...(payload ? { 'Content-Length': String(payload.length) } : {}) });
  res.end(res.req.method === 'HEAD' ? undefined : payload);
}

export function securityHeaders(connectSource: string): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "media-src 'self'",
    `connect-src 'self' ${connectSource}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'Strict-Transport-Security': `max-age=${HSTS_MAX_AGE_S}`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': 'camera=(self), microphone=(self), display-capture=(), geolocation=(), payment=(), usb=()',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function parseWssUrl(text: string, key = 'web.wss_url'): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch (cause) {
    throw new GatehouseError('config', 'web_wss_url_invalid', `${key} "${text}" is not a URL (expected wss://host:port)`, { cause });
  }
  if (u.protocol !== 'wss:') throw new GatehouseError('config', 'web_wss_url_invalid', `${key} must use wss: (browsers need TLS for media), got ${u.protocol}`);
  if (u.username !== '' || u.password !== '') throw new GatehouseError('config', 'web_wss_url_invalid', `${key} must not contain credentials`);
  // the page carries the list space-separated in one attribute
  if (/\s/.test(text)) throw new GatehouseError('config', 'web_wss_url_invalid', `${key} "${text}" must not contain spaces`);
  return u;
}

/** CSP host-source for the WSS origin (CSP3 2.3.1); host-source has no IPv6 literal form. */
export function cspConnectSource(u: URL): string {
  if (u.hostname.startsWith('[')) return 'wss:';
  return `wss://${u.host}`;
}

async function listen(server: Server, at: HostPort): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

