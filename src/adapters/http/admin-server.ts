/**
 * Admin listener (issue 2): `/healthz` (liveness: the event loop answers), `/readyz`
 * (readiness: 503 while starting or draining) and `/metrics` (Prometheus text format).
 * Bound to loopback by default because it has no authentication yet (TLS/mTLS is a later
 * issue); README says so.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from '../../app/readiness.ts';
import type { HostPort } from '../../config/host-port.ts';
import type { Logger } from '../../ports/logger.ts';
import { adminRequestsTotal } from '../../metrics/admin.ts';

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface AdminDeps {
  readonly listen: HostPort;
  readonly readiness: Readiness;
  readonly registry: Registry;
  readonly logger: Logger;
}

export async function startAdminServer(deps: AdminDeps): Promise<AdminServer> {
  const server = createServer((req, res) => {
    handle(req, res, deps).catch((err: unknown) => {
      deps.logger.error({ err, path: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
    });
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.listen.port, deps.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    adminRequestsTotal.inc({ path: 'other', status: '405' });
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
      adminRequestsTotal.inc({ path, status: '200' });
      send(res, 200, 'application/json', '{"status":"ok"}\n');
      return;
    case '/readyz': {
      const ready = deps.readiness.ready;
      const status = ready ? 200 : 503;
      adminRequestsTotal.inc({ path, status: String(status) });
      send(res, status, 'application/json', `${JSON.stringify({ ready, phase: deps.readiness.phase })}\n`);
      return;
    }
    case '/metrics': {
      const body = await deps.registry.metrics();
      adminRequestsTotal.inc({ path, status: '200' });
      send(res, 200, deps.registry.contentType, body);
      return;
    }
    default:
      adminRequestsTotal.inc({ path: 'other', status: '404' });
      send(res, 404, 'text/plain', 'not found: try /healthz, /readyz or /metrics\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
