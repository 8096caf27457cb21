import { getCallId, getContact, getCSeq, getFrom, getRecordRoutes, getTo } from '../headers.ts';
import type { SipRequest, SipResponse } from '../message.ts';
import { formatNameAddr, type NameAddr } from '../name-addr.ts';
import { getParam, removeParam } from '../params.ts';
import { SipParseError } from '../parse-error.ts';
import { formatUri } from '../uri.ts';
import type { DialogState } from './dialog-state.ts';

export interface DialogCreateOptions {
  /** Our Contact URI, e.g. `sip:gw@192.0.2.9:5060;transport=tcp`. */
  readonly localContact: string;
  /** Transport the INVITE came in / went out on. */
  readonly transport: string;
}

const addressOf = (na: NameAddr): string => formatNameAddr({ ...na, params: removeParam(na.params, 'tag') });

function tagOf(na: NameAddr, what: string): string {
  const t = getParam(na.params, 'tag');
  if (t === undefined || t === null || t === '') throw new SipParseError('missing-header', `Missing ${what} tag`);
  return t;
}

function remoteTargetOf(msg: SipRequest | SipResponse): string {
  const c = getContact(msg);
  if (c === null) throw new SipParseError('missing-header', 'Missing Contact header');
  return formatUri(c.uri);
}

/** secure flag: a sips Request-URI over TLS (12.1.1 / 12.1.2). */
function isSecure(invite: SipRequest, transport: string): boolean {
  return invite.uri.kind === 'sip' && invite.uri.scheme === 'sips' && (transport === 'TLS' || transport === 'WSS');
}

/**
 * UAS side (RFC 3261 12.1.1): from the INVITE and the 1xx-with-tag or 2xx we send. Route set =
 * the request's Record-Route in order; remote target = its Contact; remote sequence = its CSeq;
 * local sequence empty.
 */
export function dialogFromUas(invite: SipRequest, response: SipResponse, opts: DialogCreateOptions): DialogState {
  return {
    version: 1,
    role: 'uas',
    state: response.status >= 200 ? 'confirmed' : 'early',
    callId: getCallId(invite),
    localTag: tagOf(getTo(response), 'To'),
    remoteTag: tagOf(getFrom(invite), 'From'),
    localSeq: null,
    remoteSeq: getCSeq(invite).seq,
    inviteSeq: null,
    localAddress: addressOf(getTo(invite)),
    remoteAddress: addressOf(getFrom(invite)),
    remoteTarget: remoteTargetOf(invite),
    routeSet: getRecordRoutes(invite).map(formatNameAddr),
    localContact: opts.localContact,
    secure: isSecure(invite, opts.transport),
    transport: opts.transport.toUpperCase(),
  };
}

/**
 * UAC side (RFC 3261 12.1.2): from the INVITE we sent and a 1xx-with-tag or 2xx received. Route
 * set = the response's Record-Route reversed; remote target = its Contact; local sequence = the
 * INVITE's CSeq; remote sequence empty.
 */
export function dialogFromUac(invite: SipRequest, response: SipResponse, opts: DialogCreateOptions): DialogState {
  const seq = getCSeq(invite).seq;
  return {
    version: 1,
    role: 'uac',
    state: response.status >= 200 ? 'confirmed' : 'early',
    callId: getCallId(invite),
    localTag: tagOf(getFrom(invite), 'From'),
    remoteTag: tagOf(getTo(response), 'To'),
    localSeq: seq,
    remoteSeq: null,
    inviteSeq: seq,
    localAddress: addressOf(getFrom(invite)),
    remoteAddress: addressOf(getTo(response)),
    remoteTarget: remoteTargetOf(response),
    routeSet: getRecordRoutes(response).reverse().map(formatNameAddr),
    localContact: opts.localContact,
    secure: isSecure(invite, opts.transport),
    transport: opts.transport.toUpperCase(),
  };
}

/** Dialog id of an incoming in-dialog request: local tag = To tag, remote = From tag (12). */
export function incomingRequestDialogKey(req: SipRequest): string | null {
  const local = getParam(getTo(req).params, 'tag');
  const remote = getParam(getFrom(req).params, 'tag');
  if (local === undefined || local === null || remote === undefined || remote === null) return null;
  return `${getCallId(req)}|${local}|${remote}`;
}

/** Dialog id for a response to a request we sent: local = From tag, remote = To tag. */
export function incomingResponseDialogKey(res: SipResponse): string | null {
  const local = getParam(getFrom(res).params, 'tag');
  const remote = getParam(getTo(res).params, 'tag');
  if (local === undefined || local === null || remote === undefined || remote === null) return null;
  return `${getCallId(res)}|${local}|${remote}`;
}
