import { findHeaders, getTopVia } from '../headers.ts';
import type { SipHeader, SipRequest } from '../message.ts';
import { getParam, setParam } from '../params.ts';
import { bareHost } from '../uri.ts';
import { formatVia, type Via } from '../via.ts';

export interface SourceAddress {
  /** IP address as the socket reports it (IPv6 without brackets). */
  readonly address: string;
  readonly port: number;
}

/**
 * Stamp the top Via of an incoming request (RFC 3261 18.2.1, RFC 3581 4): add `received` when
 * the sent-by host is not the packet's source address, and fill an empty `rport` with the source
 * port (then `received` is always added). Returns the request unchanged when nothing differs.
 */
export function stampVia(req: SipRequest, source: SourceAddress): SipRequest {
  const top = getTopVia(req);
  const rport = getParam(top.params, 'rport');
  const wantsRport = rport !== undefined;
  const hostDiffers = bareHost(top.host).toLowerCase() !== source.address.toLowerCase();
  if (!hostDiffers && !wantsRport) return req;
  let params = top.params;
  if (hostDiffers || wantsRport) params = setParam(params, 'received', source.address);
  if (wantsRport) params = setParam(params, 'rport', String(source.port));
  const stamped: Via = { ...top, params };
  // Replace only the first value of the first Via header line (it may carry several values).
  const first = findHeaders(req, 'Via')[0] as SipHeader;
  const rest = first.value.slice(splitFirstValueEnd(first.value));
  const replacement: SipHeader = { name: 'Via', value: formatVia(stamped) + rest };
  return { ...req, headers: req.headers.map((h) => (h === first ? replacement : h)) };
}

/** Index where the first comma-separated value of a Via header ends (quotes respected). */
function splitFirstValueEnd(v: string): number {
  let inQuote = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === ',') return i;
  }
  return v.length;
}

/**
 * Where to send a response (RFC 3261 18.2.2, RFC 3581 4): reliable transports reuse the
 * connection; otherwise maddr, then received + rport/port of the top Via, else sent-by.
 */
export function responseDestination(via: Via): { host: string; port: number } {
  const secure = via.transport === 'TLS' || via.transport === 'WSS';
  const defaultPort = secure ? 5061 : 5060;
  const maddr = getParam(via.params, 'maddr');
  const received = getParam(via.params, 'received');
  const rport = getParam(via.params, 'rport');
  const port = rport !== undefined && rport !== null && /^[0-9]+$/.test(rport) ? Number(rport) : (via.port ?? defaultPort);
  if (maddr !== undefined && maddr !== null) return { host: bareHost(maddr), port: via.port ?? defaultPort };
  if (received !== undefined && received !== null) return { host: bareHost(received), port };
  return { host: bareHost(via.host), port };
}
