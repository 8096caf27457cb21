/**
 * The HTTPS join server at the HTTP level (no browser): routes, room id validation, security
 * headers, static asset caching, certificates, and start-up failures an operator can act on.
 * Requests use raw paths (node:https), so nothing normalises them on the way.
 */
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCertificate } from '../../../src/adapters/http/dev-certificate.ts';
import { startJoinServer } from '../../../src/adapters/http/join-server.ts';
import type { JoinServer } from '../../../src/adapters/http/join-server.ts';
import { webRequestsTotal } from '../../../src/metrics/web.ts';
import { memoryLogger, webFixture } from './web-fixture.ts';
import type { WebFixture } from './web-fixture.ts';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function get(server: JoinServer, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method, headers, ca: server.certificate, servername: 'localhost' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let fx: WebFixture;
let server: JoinServer;
const WSS = 'wss://127.0.0.1:5063';

beforeAll(async () => {
  fx = await webFixture();
  server = await fx.start({ wssUrl: WSS });
});
afterAll(() => fx.dispose());

describe('GET /join/ROOM', () => {
  it('serves the page with the room and the WSS URL in data attributes, not inline script', async () => {
    const r = await get(server, '/join/board-room?utm=x');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toContain('data-room="board-room"');
    expect(r.body).toContain(`data-wss-url="${WSS}"`);
    expect(r.body).toContain('data-sip-domain="127.0.0.1"');
    expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(r.body).toMatch(/<script type="module" src="\/assets\/join-[A-Z0-9]+\.js" integrity="sha384-[A-Za-z0-9+/=]+">/);
    expect(r.body).not.toMatch(/https?:\/\//);
  });

  it('sends the CSP and security headers (CSP3, RFC 6797)', async () => {
    const h = (await get(server, '/join/board-room')).headers;
    const csp = String(h['content-security-policy']);
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'self'", "script-src 'self'", `connect-src 'self' ${WSS}`, "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]),
    );
    expect(csp).not.toContain('unsafe');
    expect(h['strict-transport-security']).toBe('max-age=31536000');
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['permissions-policy']).toContain('camera=(self), microphone=(self)');
  });

  const bad = ['/join/', '/join/bad%20room', `/join/${'a'.repeat(65)}`, '/join/..', '/join/.', '/join/a/b', '/join/%3Cscript%3E', '/join/r%C3%A9union', '/', '/join'];
  for (const path of bad) {
    it(`answers ${path} with the 404 page`, async () => {
      const r = await get(server, path);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toContain('No such room');
      expect(r.body).not.toContain('data-room');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    });
  }

  it('accepts the longest valid room id (64 characters)', async () => {
    expect((await get(server, `/join/${'A1._-'.repeat(12)}abcd`)).status).toBe(200);
  });

  it('refuses other methods with 405 and Allow', async () => {
    const r = await get(server, '/join/board-room', 'POST');
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET, HEAD');
  });

  it('counts requests by route, never by room', async () => {
    const before = (await webRequestsTotal.get()).values.find((v) => v.labels.route === 'join' && v.labels.status === '200')?.value ?? 0;
    await get(server, '/join/counted-room');
    const after = await webRequestsTotal.get();
    expect(after.values.find((v) => v.labels.route === 'join' && v.labels.status === '200')?.value).toBe(before + 1);
    expect(JSON.stringify(after.values)).not.toContain('counted-room');
  });
});

describe('static assets', () => {
  it('serves the bundle with its content type, immutable caching and a working ETag', async () => {
    const page = (await get(server, '/join/board-room')).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1] ?? '';
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(page)?.[1] ?? '';
    const js = await get(server, script);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body.length).toBeGreaterThan(10_000);
    const css = await get(server, style);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await get(server, script, 'GET', { 'If-None-Match': String(js.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const head = await get(server, script, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  for (const path of ['/assets/manifest.json', '/assets/../manifest.json', '/assets/join.html', '/assets/%2e%2e/manifest.json', '/manifest.json']) {
    it(`does not serve ${path}`, async () => {
      expect((await get(server, path)).status).toBe(404);
    });
  }
});

describe('certificates', () => {
  it('generates a development certificate for localhost/127.0.0.1 and warns', async () => {
    expect(server.usingDevCertificate).toBe(true);
    const cert = new X509Certificate(server.certificate);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.ca).toBe(false);
    const warning = fx.logger.lines.find((l) => l.level === 'warn' && /development only/.test(l.msg ?? ''));
    expect(warning).toBeDefined();
    expect(JSON.stringify(warning)).not.toContain('PRIVATE KEY');
  });

  it('uses the configured certificate without a warning', async () => {
    const operator = await createDevCertificate(['gw.test']);
    const logger = memoryLogger();
    const s = await startJoinServer(
      { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: operator.cert, key: operator.key }, wssUrl: WSS, assetsDir: fx.assetsDir },
      { logger },
    );
    try {
      expect(s.usingDevCertificate).toBe(false);
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
      const port = Number(new URL(s.url).port);
      const presented = await new Promise<string>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port, ca: operator.cert, servername: 'gw.test' }, () => {
          resolve(c.getPeerX509Certificate()?.fingerprint256 ?? '');
          c.end();
        });
        c.on('error', reject);
      });
      expect(presented).toBe(operator.fingerprint256);
    } finally {
      await s.close();
    }
  });
});

describe('start-up failures an operator can act on', () => {
  it('says to run `npm run build:web` when the bundle is missing', async () => {
    await expect(
      startJoinServer({ listen: { host: '127.0.0.1', port: 0, family: 4 }, wssUrl: WSS, assetsDir: '/nonexistent/gatehouse-web' }, { logger: memoryLogger() }),
    ).rejects.toThrow(/run `npm run build:web`/);
  });

  for (const [url, why] of [
    ['ws://127.0.0.1:5062', /must use wss:/],
    ['not a url', /is not a URL/],
    ['wss://user:pw@127.0.0.1:5063', /must not contain credentials/],
  ] as const) {
    it(`rejects web.wss_url ${url}`, async () => {
      await expect(
        startJoinServer({ listen: { host: '127.0.0.1', port: 0, family: 4 }, wssUrl: url, assetsDir: fx.assetsDir }, { logger: memoryLogger() }),
      ).rejects.toThrow(why);
    });
  }

  it('falls back to connect-src wss: for an IPv6 literal (CSP host-source has no IPv6 form)', async () => {
    const logger = memoryLogger();
    const s = await startJoinServer({ listen: { host: '127.0.0.1', port: 0, family: 4 }, wssUrl: 'wss://[::1]:5063', assetsDir: fx.assetsDir }, { logger });
    try {
      const r = await get(s, '/join/board-room');
      expect(r.headers['content-security-policy']).toContain("connect-src 'self' wss:;");
      expect(r.body).toContain('data-sip-domain="[::1]"');
      expect(logger.lines.some((l) => l.level === 'warn' && /IPv6/.test(l.msg ?? ''))).toBe(true);
    } finally {
      await s.close();
    }
  });
});
