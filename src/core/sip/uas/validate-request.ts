import { getContentType, getHeaderValues, getMaxForwards, getRequire, getTopVia } from '../headers.ts';
import { KNOWN_METHODS, type SipHeader, type SipRequest, type SipResponse } from '../message.ts';
import { createResponse } from '../response.ts';
import { MAGIC_COOKIE, viaBranch } from '../via.ts';
import { isMergedRequest, type RecentRequests } from './merged-requests.ts';
import { DEFAULT_SESSION_TIMER, negotiateSessionTimerUas, type SessionTimerConfig } from './session-timer.ts';

/** What this UAS supports; it answers OPTIONS from the same data (RFC 3261 11.2). */
export interface UasConfig {
  /** Methods handled (Allow). */
  readonly allowedMethods: readonly string[];
  /** Option tags supported (Supported; a Require outside it -> 420). */
  readonly supportedExtensions: readonly string[];
  /** Body types handled (Accept; others -> 415). */
  readonly acceptedContentTypes: readonly string[];
  /** Request-URI schemes served; others -> 416. Default sip, sips. */
  readonly supportedSchemes?: readonly string[];
  /**
   * Max-Forwards 0 (RFC 4475 3.3.11): 'reject' answers 483 like a proxy would (RFC 3261 16.3,
   * OPTIONS excepted); 'process' treats it like an endpoint. Default 'reject'.
   */
  readonly zeroMaxForwards?: 'reject' | 'process';
  /** Status for methods not in KNOWN_METHODS: 405 (with Allow) or 501 (RFC 3261 21.5.2). Default 405. */
  readonly unknownMethodStatus?: 405 | 501;
  /** RFC 4028 session timers for INVITE/UPDATE; omit to not negotiate them. */
  readonly sessionTimer?: SessionTimerConfig;
}

export const DEFAULT_UAS_CONFIG: UasConfig = Object.freeze({
  allowedMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'UPDATE'],
  supportedExtensions: ['timer'],
  // SDP offers/answers; RFC 5168 picture_fast_update in INFO (room systems asking for a key frame)
  acceptedContentTypes: ['application/sdp', 'application/media_control+xml'],
  sessionTimer: DEFAULT_SESSION_TIMER,
});

/** Stable reason codes (metric labels) for refusals. */
export type UasRejectReason =
  | 'bad-branch' | 'too-many-hops' | 'method-not-allowed' | 'unsupported-scheme' | 'merged-request'
  | 'bad-extension' | 'unsupported-media-type' | 'not-acceptable' | 'session-interval-too-small';

export type UasVerdict =
  | { readonly kind: 'proceed' }
  | { readonly kind: 'respond'; readonly reason: UasRejectReason; readonly response: SipResponse };

export interface UasContext {
  /** Recent requests for 8.2.2.2 merged-request detection. */
  readonly recent?: RecentRequests;
  /** To tag for the error response. */
  readonly toTag?: string;
}

const allowHeader = (cfg: UasConfig): SipHeader => ({ name: 'Allow', value: cfg.allowedMethods.join(', ') });

function mediaMatches(range: string, type: string): boolean {
  const r = range.split(';')[0]?.trim().toLowerCase() ?? '';
  if (r === '*/*') return true;
  const [rt, rs] = r.split('/');
  const [t, s] = type.split('/');
  return rt === t && (rs === '*' || rs === s);
}

/**
 * RFC 3261 8.2 request processing order for a parsed request outside any transaction logic:
 * method (8.2.1), Request-URI scheme (8.2.2.1), merged requests (8.2.2.2), Require (8.2.2.3),
 * content (8.2.3), then the RFC 4475 3.2.1 branch check, Max-Forwards and session-timer size.
 * ACK is never answered (17): it always proceeds. Malformed messages never get here: the
 * parser's SipParseError already carries their 400 (bad Content-Length included).
 */
export function validateRequest(req: SipRequest, cfg: UasConfig = DEFAULT_UAS_CONFIG, ctx: UasContext = {}): UasVerdict {
  if (req.method === 'ACK') return { kind: 'proceed' };
  const reply = (reason: UasRejectReason, status: number, phrase?: string, headers: SipHeader[] = []): UasVerdict => ({
    kind: 'respond', reason, response: createResponse(req, status, phrase, headers, ctx.toTag === undefined ? {} : { toTag: ctx.toTag }),
  });

  const branch = viaBranch(getTopVia(req));
  if (branch === MAGIC_COOKIE) return reply('bad-branch', 400, 'Bad Request - Malformed Via branch');

  if (getMaxForwards(req) === 0 && (cfg.zeroMaxForwards ?? 'reject') === 'reject' && req.method !== 'OPTIONS') {
    return reply('too-many-hops', 483);
  }
  if (!cfg.allowedMethods.includes(req.method)) {
    const status = KNOWN_METHODS.includes(req.method) ? 405 : (cfg.unknownMethodStatus ?? 405);
    return reply('method-not-allowed', status, undefined, [allowHeader(cfg)]);
  }
  if (!(cfg.supportedSchemes ?? ['sip', 'sips']).includes(req.uri.scheme)) return reply('unsupported-scheme', 416);
  if (ctx.recent !== undefined && isMergedRequest(ctx.recent, req)) return reply('merged-request', 482);
  if (req.method !== 'CANCEL') {
    const unsupported = getRequire(req).filter((t) => !cfg.supportedExtensions.includes(t));
    if (unsupported.length > 0) return reply('bad-extension', 420, undefined, [{ name: 'Unsupported', value: unsupported.join(', ') }]);
  }
  const ct = getContentType(req);
  if (req.body.length > 0 && ct !== null && !cfg.acceptedContentTypes.includes(`${ct.type}/${ct.subtype}`)) {
    return reply('unsupported-media-type', 415, undefined, [{ name: 'Accept', value: cfg.acceptedContentTypes.join(', ') }]);
  }
  // RFC 4475 3.3.15: an INVITE whose Accept excludes every type we answer with -> 406.
  const accept = getHeaderValues(req, 'Accept');
  if (req.method === 'INVITE' && accept.length > 0 && !cfg.acceptedContentTypes.some((t) => accept.some((r) => mediaMatches(r, t)))) {
    return reply('not-acceptable', 406);
  }
  if (cfg.sessionTimer !== undefined && (req.method === 'INVITE' || req.method === 'UPDATE')) {
    const st = negotiateSessionTimerUas(req, cfg.sessionTimer);
    if (st.kind === 'reject') return reply('session-interval-too-small', 422, undefined, [...st.headers]);
  }
  return { kind: 'proceed' };
}

/** RFC 3261 11.2: 200 to OPTIONS with Allow, Accept, Supported (and Accept-Encoding/Language). */
export function answerOptions(req: SipRequest, cfg: UasConfig = DEFAULT_UAS_CONFIG, toTag?: string): SipResponse {
  return createResponse(req, 200, undefined, [
    allowHeader(cfg),
    { name: 'Accept', value: cfg.acceptedContentTypes.join(', ') },
    { name: 'Accept-Encoding', value: 'identity' },
    { name: 'Accept-Language', value: 'en' },
    { name: 'Supported', value: cfg.supportedExtensions.join(', ') },
  ], toTag === undefined ? {} : { toTag });
}
