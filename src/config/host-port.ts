/**
 * `host:port` listen addresses as operators write them: `127.0.0.1:5060`, `[::1]:5060`,
 * `0.0.0.0:5061`. IPv6 needs brackets (RFC 3986 3.2.2) so the port is unambiguous.
 */
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export type HostPortResult = { readonly ok: true; readonly value: HostPort } | { readonly ok: false; readonly reason: string };

export function parseHostPort(text: string): HostPortResult {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  const plain = /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const m = bracketed ?? plain;
  if (!m) {
    return { ok: false, reason: `expected host:port (IPv6 as [addr]:port), got "${text}"` };
  }
  const host = m[1] ?? '';
  const port = Number(m[2]);
  const family = isIP(host);
  if (family === 0) return { ok: false, reason: `"${host}" is not an IP address (listen addresses are IPs, not names)` };
  if (bracketed && family !== 6) return { ok: false, reason: `brackets are only for IPv6 addresses, got "${host}"` };
  if (port < 1 || port > 65535) return { ok: false, reason: `port ${port} is out of range 1-65535` };
  return { ok: true, value: { host, port, family: family === 6 ? 6 : 4 } };
}

/** For callers that received a value the schema already validated. */
export function hostPortOf(text: string): HostPort {
  const r = parseHostPort(text);
  if (!r.ok) throw new Error(`invalid listen address: ${r.reason}`);
  return r.value;
}

export function formatHostPort(hp: { host: string; port: number }): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
