import { getContact, getCSeq, getRecordRoutes } from '../headers.ts';
import { EMPTY_BODY, type SipHeader, type SipRequest, type SipResponse } from '../message.ts';
import { formatNameAddr, parseNameAddr } from '../name-addr.ts';
import { hasParam } from '../params.ts';
import { SipParseError } from '../parse-error.ts';
import { formatUri, parseUri, type Uri } from '../uri.ts';
import { formatVia, type Via } from '../via.ts';
import type { DialogState } from './dialog-state.ts';

/** Methods whose Contact replaces the remote target (RFC 3261 12.2, RFC 3311, RFC 6665). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export interface InDialogRequestOptions {
  /** Our top Via: transport, sent-by and a fresh branch (the caller generates it, 8.1.1.7). */
  readonly via: { readonly transport: string; readonly host: string; readonly port: number | null };
  readonly branch: string;
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly extraHeaders?: readonly SipHeader[];
  readonly maxForwards?: number;
  /** First local CSeq when the local sequence is still empty (12.2.1.1); default 1. */
  readonly initialSeq?: number;
}

/** URI params that may not appear in a Request-URI (RFC 3261 19.1.1 table: method; and no headers). */
function asRequestUri(u: Uri): Uri {
  if (u.kind !== 'sip') return u;
  return { ...u, params: u.params.filter((p) => p.name.toLowerCase() !== 'method'), headers: [] };
}

/**
 * Request-URI and Route for a request in the dialog (RFC 3261 12.2.1.1): loose routing when the
 * first route has `lr`, else the strict-routing form (first route as Request-URI, remote target
 * appended as the last Route).
 */
export function targetAndRoutes(d: DialogState): { uri: Uri; routes: string[] } {
  const target = parseUri(d.remoteTarget);
  if (d.routeSet.length === 0) return { uri: target, routes: [] };
  const first = parseNameAddr(d.routeSet[0] as string, 'Route header');
  if (first.uri.kind !== 'sip' || hasParam(first.uri.params, 'lr')) return { uri: target, routes: [...d.routeSet] };
  return { uri: asRequestUri(first.uri), routes: [...d.routeSet.slice(1), `<${d.remoteTarget}>`] };
}

/**
 * Build a request inside the dialog (RFC 3261 12.2.1.1): BYE, re-INVITE, INFO, UPDATE, ... take
 * the next local CSeq; ACK (for a 2xx, 13.2.2.4) reuses the INVITE's CSeq number and leaves the
 * dialog unchanged. CANCEL is not built here: it copies the INVITE (9.1).
 */
export function buildInDialogRequest(d: DialogState, method: string, opts: InDialogRequestOptions): { dialog: DialogState; request: SipRequest } {
  let dialog = d;
  let seq: number;
  if (method === 'ACK') {
    if (d.inviteSeq === null) throw new SipParseError('missing-header', 'No INVITE to acknowledge in this dialog');
    seq = d.inviteSeq;
  } else {
    seq = d.localSeq === null ? (opts.initialSeq ?? 1) : d.localSeq + 1;
    dialog = { ...d, localSeq: seq, inviteSeq: method === 'INVITE' ? seq : d.inviteSeq };
  }
  const { uri, routes } = targetAndRoutes(d);
  const via: Via = { protocol: 'SIP/2.0', transport: opts.via.transport.toUpperCase(), host: opts.via.host, port: opts.via.port, params: [{ name: 'branch', value: opts.branch }, { name: 'rport', value: null }] };
  const headers: SipHeader[] = [
    { name: 'Via', value: formatVia(via) },
    { name: 'Max-Forwards', value: String(opts.maxForwards ?? 70) },
    { name: 'From', value: `${d.localAddress};tag=${d.localTag}` },
    { name: 'To', value: `${d.remoteAddress};tag=${d.remoteTag}` },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${String(seq)} ${method}` },
  ];
  for (const r of routes) headers.push({ name: 'Route', value: r });
  if (TARGET_REFRESH.has(method)) headers.push({ name: 'Contact', value: `<${d.localContact}>` });
  headers.push(...(opts.extraHeaders ?? []));
  const body = opts.body ?? EMPTY_BODY;
  if (body.length > 0 && opts.contentType !== undefined) headers.push({ name: 'Content-Type', value: opts.contentType });
  return { dialog, request: { kind: 'request', method, uri, headers, body } };
}

export type InDialogVerdict =
  | { readonly ok: true; readonly dialog: DialogState }
  /** 12.2.2: a CSeq lower than the remote sequence is out of order -> 500. */
  | { readonly ok: false; readonly status: 500; readonly reason: string };

/**
 * A request arrived in this dialog (RFC 3261 12.2.2): check and advance the remote sequence,
 * and apply a target refresh (Contact of re-INVITE/UPDATE...). ACK and CANCEL carry the CSeq of
 * the request they belong to and do not advance it.
 */
export function acceptInDialogRequest(d: DialogState, req: SipRequest): InDialogVerdict {
  if (req.method === 'ACK' || req.method === 'CANCEL') return { ok: true, dialog: d };
  const seq = getCSeq(req).seq;
  if (d.remoteSeq !== null && seq < d.remoteSeq) return { ok: false, status: 500, reason: 'Server Internal Error - CSeq out of order' };
  let dialog: DialogState = { ...d, remoteSeq: seq };
  if (TARGET_REFRESH.has(req.method)) {
    const c = getContact(req);
    if (c !== null) dialog = { ...dialog, remoteTarget: formatUri(c.uri) };
  }
  return { ok: true, dialog };
}

/**
 * A response to our request in this dialog: a 2xx to a target refresh request replaces the
 * remote target (12.2.1.2); a 2xx to the initial INVITE of an early UAC dialog confirms it and
 * recomputes the route set from its Record-Route (13.2.2.4, 12.1.2).
 */
export function applyResponse(d: DialogState, res: SipResponse): DialogState {
  if (res.status < 200 || res.status >= 300) return d;
  const method = getCSeq(res).method;
  let out = d;
  if (TARGET_REFRESH.has(method)) {
    const c = getContact(res);
    if (c !== null) out = { ...out, remoteTarget: formatUri(c.uri) };
  }
  if (d.state === 'early' && method === 'INVITE') {
    out = { ...out, state: 'confirmed' };
    if (d.role === 'uac') out = { ...out, routeSet: getRecordRoutes(res).reverse().map(formatNameAddr) };
  }
  return out;
}

/** Our Contact changed (takeover: the new instance sends a target refresh with its own Contact). */
export function withLocalContact(d: DialogState, localContact: string, transport?: string): DialogState {
  return { ...d, localContact, transport: transport?.toUpperCase() ?? d.transport };
}
