import { getHeader, getSupported, getRequire } from '../headers.ts';
import type { SipHeader, SipRequest, SipResponse } from '../message.ts';
import { getParam, parseGenericParams } from '../params.ts';
import { SipParseError } from '../parse-error.ts';
import { parseDecimal, Scanner } from '../scanner.ts';

/**
 * Session timers (RFC 4028) as pure functions: negotiation on the UAS side, reading the answer on
 * the UAC side, and when to refresh or give up. Long calls stay alive (the refresher re-INVITEs
 * or UPDATEs at half the interval) and dead ones end (the other side sends BYE shortly before
 * expiry).
 */
export interface SessionExpires {
  /** delta-seconds. */
  readonly interval: number;
  readonly refresher: 'uac' | 'uas' | null;
}

export interface SessionTimerConfig {
  /** Our smallest acceptable interval, seconds (RFC 4028 4: at least 90). */
  readonly minSE: number;
  /** Interval we ask for when the peer asks nothing, seconds (RFC 4028 recommends 1800). */
  readonly defaultInterval: number;
  /** Who refreshes when the peer leaves it to us and supports timers. */
  readonly preferRefresher: 'uac' | 'uas';
}

export const DEFAULT_SESSION_TIMER: SessionTimerConfig = Object.freeze({ minSE: 90, defaultInterval: 1800, preferRefresher: 'uas' });

/** Session-Expires = delta-seconds *(SEMI se-params) (RFC 4028 4). */
export function parseSessionExpires(value: string): SessionExpires {
  const sc = new Scanner(value, 'Session-Expires header');
  sc.skipWs();
  const start = sc.i;
  while (!sc.eof() && sc.peek() >= 0x30 && sc.peek() <= 0x39) sc.i++;
  const interval = parseDecimal(value.slice(start, sc.i), 0xffff_ffff, 'Session-Expires header');
  const params = parseGenericParams(sc);
  sc.skipWs();
  if (!sc.eof()) sc.fail('trailing characters');
  const r = getParam(params, 'refresher')?.toLowerCase();
  if (r !== undefined && r !== 'uac' && r !== 'uas') throw new SipParseError('bad-header-value', 'Malformed Session-Expires header: bad refresher');
  return { interval, refresher: r ?? null };
}

export function getSessionExpires(msg: SipRequest | SipResponse): SessionExpires | null {
  const v = getHeader(msg, 'Session-Expires');
  return v === undefined ? null : parseSessionExpires(v);
}

export function getMinSE(msg: SipRequest | SipResponse): number | null {
  const v = getHeader(msg, 'Min-SE');
  if (v === undefined) return null;
  const m = /^\s*([0-9]+)/.exec(v);
  if (m === null) throw new SipParseError('bad-header-value', 'Malformed Min-SE header');
  return parseDecimal(m[1] as string, 0xffff_ffff, 'Min-SE header');
}

export type SessionTimerDecision =
  /** RFC 4028 9: interval below our minimum -> 422 with our Min-SE. */
  | { readonly kind: 'reject'; readonly status: 422; readonly headers: readonly SipHeader[] }
  /** Headers to put in the 2xx; `weRefresh` says which side sends refreshes. */
  | { readonly kind: 'accept'; readonly interval: number; readonly weRefresh: boolean; readonly headers: readonly SipHeader[] };

/**
 * UAS side of RFC 4028 9 for an INVITE or UPDATE. The interval is the request's (never raised,
 * except to the request's own Min-SE), or our default if it asked none. The refresher is the
 * request's choice, else ours when the UAC supports timers, else the UAS (us): a UAC without
 * timer support cannot be asked to refresh. `Require: timer` goes in the answer only when the
 * UAC refreshes (RFC 4028 9).
 */
export function negotiateSessionTimerUas(req: SipRequest, cfg: SessionTimerConfig = DEFAULT_SESSION_TIMER): SessionTimerDecision {
  const se = getSessionExpires(req);
  const reqMin = getMinSE(req) ?? 0;
  const uacSupports = getSupported(req).includes('timer') || getRequire(req).includes('timer');
  const floor = Math.max(cfg.minSE, reqMin);
  if (se !== null && se.interval < cfg.minSE) return { kind: 'reject', status: 422, headers: [{ name: 'Min-SE', value: String(floor) }] };
  const interval = se === null ? Math.max(cfg.defaultInterval, floor) : se.interval;
  const refresher: 'uac' | 'uas' = se?.refresher ?? (uacSupports ? cfg.preferRefresher : 'uas');
  const effective = !uacSupports ? 'uas' : refresher;
  const headers: SipHeader[] = [{ name: 'Session-Expires', value: `${String(interval)};refresher=${effective}` }];
  if (effective === 'uac') headers.push({ name: 'Require', value: 'timer' });
  return { kind: 'accept', interval, weRefresh: effective === 'uas', headers };
}

/**
 * UAC side (RFC 4028 7.2): what the 2xx says. No Session-Expires in the 2xx means no session
 * timer unless we insist; a 422 is answered by retrying with its Min-SE (`retryInterval`).
 */
export function sessionTimerFromUacResponse(res: SipResponse): { readonly interval: number; readonly weRefresh: boolean } | { readonly retryInterval: number } | null {
  if (res.status === 422) {
    const min = getMinSE(res);
    return min === null ? null : { retryInterval: min };
  }
  const se = getSessionExpires(res);
  if (se === null || res.status < 200 || res.status >= 300) return null;
  return { interval: se.interval, weRefresh: se.refresher !== 'uas' };
}

/**
 * When to act, in ms from `now` (RFC 4028 10): the refresher refreshes at half the interval; the
 * other side sends BYE if no refresh arrived by interval - min(32 s, interval / 3).
 */
export function sessionTimerDeadline(interval: number, weRefresh: boolean, now: number): { readonly action: 'refresh' | 'bye'; readonly at: number } {
  const ms = interval * 1000;
  if (weRefresh) return { action: 'refresh', at: now + ms / 2 };
  return { action: 'bye', at: now + ms - Math.min(32_000, ms / 3) };
}
