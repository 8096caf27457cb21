import { fromTag, getCallId, getCSeq, getTopVia } from '../headers.ts';
import type { SipRequest, SipResponse } from '../message.ts';
import { formatUri } from '../uri.ts';
import { MAGIC_COOKIE, sentBy, viaBranch } from '../via.ts';

/**
 * Transaction matching (RFC 3261 17.1.3 client, 17.2.3 server). Keys are strings for a Map.
 *
 * Server side with an RFC 3261 branch (z9hG4bK...): branch + sent-by + method, where an ACK
 * uses "INVITE" so that the ACK for a non-2xx final matches its INVITE transaction. The ACK for
 * a 2xx carries a new branch (17.1.1.3 / 13.2.2.4), so it matches nothing and belongs to the TU
 * (the dialog). A CANCEL is its own transaction (method CANCEL); `cancelTargetKey` finds the
 * INVITE it cancels (9.2).
 *
 * Without the magic cookie (RFC 2543 peers, RFC 4475 3.4.1) the key is built from Request-URI,
 * From tag, Call-ID, CSeq number, top Via sent-by and method (17.2.3 second part). The To tag
 * is left out: it would need the response the server sent, and for an INVITE the To of the
 * request has no tag yet.
 */
export function serverTransactionKey(req: SipRequest): string {
  return keyFor(req, req.method === 'ACK' ? 'INVITE' : req.method);
}

/** The key of the INVITE server transaction a CANCEL refers to. */
export function cancelTargetKey(cancel: SipRequest): string {
  return keyFor(cancel, 'INVITE');
}

function keyFor(req: SipRequest, method: string): string {
  const via = getTopVia(req);
  const branch = viaBranch(via);
  // A bare "z9hG4bK" (RFC 4475 3.2.1) identifies nothing: fall back like an RFC 2543 branch.
  if (branch !== null && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length) {
    return `3261|${branch}|${sentBy(via)}|${method}`;
  }
  return `2543|${formatUri(req.uri)}|${fromTag(req) ?? ''}|${getCallId(req)}|${String(getCSeq(req).seq)}|${sentBy(via)}|${branch ?? ''}|${method}`;
}

/**
 * Client side (17.1.3): a response matches the client transaction whose request had the same
 * top Via branch and whose method equals the response's CSeq method.
 */
export function clientTransactionKey(msg: SipRequest | SipResponse): string {
  const branch = viaBranch(getTopVia(msg)) ?? '';
  const method = msg.kind === 'request' ? msg.method : getCSeq(msg).method;
  return `${branch}|${method}`;
}

/** A new RFC 3261 branch (8.1.1.7): magic cookie + random. */
export function newBranch(random: string): string {
  return MAGIC_COOKIE + random;
}
