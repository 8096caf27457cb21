/**
 * core/sip — pure SIP engine (RFC 3261 and friends). No sockets, no timers, no clock reads.
 *
 * MESSAGE API (stable; used by src/adapters/sip-net):
 *
 *   parseMessage(data: Uint8Array | string, limits?: SipLimits, framing?: 'datagram' | 'stream'): SipMessage
 *     Throws only SipParseError (GatehouseError, category 'parse'):
 *       .reason            stable SipParseReason (metric label), .code 'SIP_PARSE_<REASON>'
 *       .sipStatus         400 (505 for a SIP version other than 2.0)
 *       .sipReason         full reason phrase, e.g. "Bad Request - Missing Call-ID header"
 *       .partial           {method, headers} when the input was a request (start line may be bad)
 *                          whose top Via parsed; undefined otherwise
 *       .responseRoutable  partial !== undefined: send a response, else drop silently
 *     createErrorResponse(err, opts?): SipResponse | null   the 400/505 to send (null: drop; never for ACK)
 *     Datagram: Content-Length optional; longer datagram truncated, shorter -> 'body-too-short'.
 *     Stream: Content-Length mandatory and exact; src/adapters/sip-net/stream-framer.ts cuts
 *     messages out of the byte stream first (with RFC 5626 keep-alives and slowloris timing).
 *
 *   serializeMessage(msg: SipMessage): Buffer      (Content-Length always rewritten to body length)
 *
 *   Model (message.ts): SipRequest {kind:'request', method, uri: Uri, headers, body}
 *                       SipResponse {kind:'response', status, reason, headers, body}
 *     headers: readonly SipHeader[] = {name (canonical long form), value (raw, unfolded)} in wire order.
 *     Build a message as a literal: {kind:'request', method:'OPTIONS', uri, headers:[header('Via', ...)], body: EMPTY_BODY}
 *   Typed reads (headers.ts, parsed once and cached per header object):
 *     getVias, getTopVia, getFrom, getTo, getCallId, getCSeq, getMaxForwards, getContentLength,
 *     getContentType, getExpires, getContacts ('*' | NameAddr[]), getContact, getRoutes,
 *     getRecordRoutes, getRequire, getProxyRequire, getSupported, getAllow, getTokenList,
 *     fromTag, toTag, getHeader(msg, name), getHeaderValues(msg, name), findHeaders(msg, name)
 *   Values: Via {protocol, transport, host, port, params}  viaBranch(v), sentBy(v), formatVia(v)
 *           NameAddr {displayName, uri, params}             parseNameAddr, formatNameAddr
 *           Uri = SipUri {kind:'sip', scheme, user, password, host, port, params, headers}
 *                 | TelUri {kind:'tel', number, params} | OtherUri {kind:'other', scheme, opaque}
 *           parseUri, formatUri, bareHost('[::1]') -> '::1', uriHost('::1') -> '[::1]'
 *           SipParam {name, value}: getParam, hasParam, setParam, removeParam
 *           CSeq {seq, method}, MediaType {type, subtype, params}
 *   Responses: createResponse(req, status, reason?, extraHeaders?, {toTag?, body?}): SipResponse
 *     (RFC 3261 8.2.6: copies Via/From/To/Call-ID/CSeq, adds To tag for status > 100)
 *   reasonPhrase(status)
 *
 * TRANSACTIONS (transaction/, RFC 3261 17 + RFC 6026), pure: create*(request, now, {reliable, timers?})
 * and step*(state, event, now) -> {state, actions}. Events: response | request (retransmission
 * or ACK) | send-response (TU) | timer {name} | transport-error. Actions: send | pass-to-tu |
 * start-timer {name, at} | cancel-timer | timeout {timer} | transport-error | terminate.
 *   createInviteClient/stepInviteClient, createInviteServer/stepInviteServer ({sendTrying}),
 *   createNonInviteClient/stepNonInviteClient, createNonInviteServer/stepNonInviteServer,
 *   startUas2xx/stepUas2xx (13.3.1.4 2xx retransmission by the TU), buildNon2xxAck.
 *   Matching: serverTransactionKey(req) (ACK -> its INVITE), cancelTargetKey(cancel),
 *   clientTransactionKey(msg), newBranch(random). DEFAULT_TIMERS {t1: 500, t2: 4000, t4: 5000}.
 *
 * DIALOGS (dialog/, RFC 3261 12): DialogState (version 1, JSON-able) + exportDialog/importDialog/
 *   encodeDialog/decodeDialog (zod schema check), dialogFromUas, dialogFromUac, dialogKey,
 *   incomingRequestDialogKey, incomingResponseDialogKey, buildInDialogRequest(d, method, opts)
 *   -> {dialog, request} (BYE/INFO/re-INVITE/UPDATE next CSeq, ACK reuses INVITE CSeq; loose and
 *   strict routing), acceptInDialogRequest (12.2.2 CSeq order -> 500, target refresh),
 *   applyResponse (2xx target refresh, early -> confirmed), withLocalContact (takeover).
 *
 * UAS CORE (uas/): validateRequest(req, UasConfig, {recent?, toTag?}) -> proceed | respond
 *   (483, 405/501+Allow, 416, 482, 420+Unsupported, 415+Accept, 406, 400 bad branch, 422),
 *   answerOptions, answerCancel (200/481 + 487), stampVia(req, {address, port}) (received/rport),
 *   responseDestination(via), merged-request table (recordRequest, isMergedRequest, pruneRecent),
 *   RFC 4028 session timers (negotiateSessionTimerUas, sessionTimerFromUacResponse,
 *   sessionTimerDeadline, parseSessionExpires), glare (checkIncomingReinvite, glareRetryDelayMs).
 */
export * from './limits.ts';
export * from './parse-error.ts';
export * from './message.ts';
export * from './params.ts';
export * from './uri.ts';
export * from './name-addr.ts';
export * from './via.ts';
export * from './header-names.ts';
export * from './header-values.ts';
export * from './headers.ts';
export * from './parser.ts';
export * from './serializer.ts';
export * from './response.ts';
export * from './reason-phrases.ts';
export { unquote, quote } from './scanner.ts';
export * from './transaction/index.ts';
export * from './dialog/index.ts';
export * from './uas/index.ts';
