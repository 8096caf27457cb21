import { formatGenericParams, getParam, parseGenericParams, type SipParam } from './params.ts';
import { Scanner } from './scanner.ts';

/** One Via value (RFC 3261 20.42, 25.1 via-parm). */
export interface Via {
  /** "SIP/2.0" (normalised: no LWS). */
  readonly protocol: string;
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, WSS, or any other token (RFC 4475 3.1.1.10). */
  readonly transport: string;
  /** sent-by host as written (IPv6 with brackets). */
  readonly host: string;
  readonly port: number | null;
  readonly params: readonly SipParam[];
}

/** RFC 3261 8.1.1.7: branches starting with this are globally unique transaction ids. */
export const MAGIC_COOKIE = 'z9hG4bK';

function parseHostPort(sc: Scanner): { host: string; port: number | null } {
  let host: string;
  if (sc.peek() === 0x5b) {
    const end = sc.s.indexOf(']', sc.i);
    if (end < 0) sc.fail('unterminated IPv6 reference');
    host = sc.s.slice(sc.i, end + 1);
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) sc.fail('bad IPv6 reference');
    sc.i = end + 1;
  } else {
    const start = sc.i;
    while (!sc.eof() && /[A-Za-z0-9._-]/.test(sc.s[sc.i] ?? '')) sc.i++;
    host = sc.s.slice(start, sc.i);
    if (host === '' || host.startsWith('.') || host.startsWith('-')) sc.fail('bad sent-by host');
  }
  let port: number | null = null;
  if (sc.eat(':')) {
    const start = sc.i;
    while (!sc.eof() && sc.peek() >= 0x30 && sc.peek() <= 0x39) sc.i++;
    const p = sc.s.slice(start, sc.i);
    if (p === '' || p.length > 5 || Number(p) > 65535) sc.fail('bad sent-by port');
    port = Number(p);
  }
  return { host, port };
}

/** Parse one via-parm (already split from a comma list). */
export function parseVia(value: string): Via {
  const sc = new Scanner(value, 'Via header');
  sc.skipWs();
  const name = sc.token();
  sc.expect('/');
  const version = sc.token();
  sc.expect('/');
  const transport = sc.token().toUpperCase();
  const before = sc.i;
  sc.skipWs();
  if (sc.i === before) sc.fail('expected LWS before sent-by');
  const { host, port } = parseHostPort(sc);
  const params = parseGenericParams(sc);
  sc.skipWs();
  if (!sc.eof()) sc.fail(`unexpected '${value[sc.i] ?? ''}' at offset ${sc.i}`);
  return { protocol: `${name.toUpperCase()}/${version}`, transport, host, port, params };
}

export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port === null ? '' : ':' + String(v.port)}${formatGenericParams(v.params)}`;
}

export function viaBranch(v: Via): string | null {
  const b = getParam(v.params, 'branch');
  return b === undefined ? null : b;
}

/** sent-by as a comparable string: lower-cased host, port defaulted per transport (RFC 3261 18.2.1 / 19.1.2). */
export function sentBy(v: Via): string {
  const secure = v.transport === 'TLS' || v.transport === 'WSS';
  return `${v.host.toLowerCase()}:${String(v.port ?? (secure ? 5061 : 5060))}`;
}
