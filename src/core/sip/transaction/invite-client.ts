import { headerKey } from '../header-names.ts';
import { findHeaders, getTopVia } from '../headers.ts';
import { type SipHeader, type SipRequest, type SipResponse, EMPTY_BODY } from '../message.ts';
import { formatVia } from '../via.ts';
import { cancelTimer, DEFAULT_TIMERS, send, startTimer, type TimerConfig, TERMINATE, toTu, type TxAction, type TxEvent, type TxOptions, type TxResult } from './types.ts';

/** INVITE client transaction (RFC 3261 17.1.1, Figure 5 as updated by RFC 6026 Figure 3). */
export interface InviteClientState {
  readonly kind: 'invite-client';
  readonly state: 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  /** Current Timer A interval (doubles on each retransmission, 17.1.1.2). */
  readonly timerA: number;
  /** The ACK sent for a non-2xx final response (re-sent on retransmitted finals). */
  readonly ack: SipRequest | null;
}

type R = TxResult<InviteClientState>;

/**
 * RFC 3261 17.1.1.3: the ACK for a non-2xx final response has the INVITE's Request-URI, Call-ID,
 * From, CSeq number and only its top Via, the response's To (with tag) and the INVITE's Route.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: SipHeader[] = [{ name: 'Via', value: formatVia(getTopVia(invite)) }];
  for (const h of invite.headers) {
    const k = headerKey(h.name);
    if (k === 'from' || k === 'call-id' || k === 'route' || k === 'max-forwards') headers.push(h);
    else if (k === 'cseq') headers.push({ name: 'CSeq', value: `${h.value.trim().split(/[ \t]+/)[0] ?? ''} ACK` });
  }
  const to = findHeaders(response, 'To')[0];
  if (to !== undefined) headers.splice(2, 0, to);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: EMPTY_BODY };
}

/** Start: send the INVITE; Timer A (unreliable only) and Timer B. */
export function createInviteClient(request: SipRequest, now: number, options: TxOptions): R {
  const timers = options.timers ?? DEFAULT_TIMERS;
  const actions: TxAction[] = [send(request)];
  if (!options.reliable) actions.push(startTimer('A', now + timers.t1));
  actions.push(startTimer('B', now + 64 * timers.t1));
  return { state: { kind: 'invite-client', state: 'calling', request, reliable: options.reliable, timers, timerA: timers.t1, ack: null }, actions };
}

export function stepInviteClient(s: InviteClientState, ev: TxEvent, now: number): R {
  const same: R = { state: s, actions: [] };
  const terminated = (extra: TxAction[] = []): R => ({ state: { ...s, state: 'terminated' }, actions: [...extra, TERMINATE] });
  if (s.state === 'terminated') return same;

  if (ev.type === 'timer') {
    if (ev.name === 'A' && s.state === 'calling') {
      const next = s.timerA * 2; // INVITE retransmissions are not capped at T2 (17.1.1.2)
      return { state: { ...s, timerA: next }, actions: [send(s.request), startTimer('A', now + next)] };
    }
    if (ev.name === 'B' && s.state === 'calling') return terminated([cancelTimer('A'), { type: 'timeout', timer: 'B' }]);
    if (ev.name === 'D' && s.state === 'completed') return terminated();
    if (ev.name === 'M' && s.state === 'accepted') return terminated();
    return same;
  }
  if (ev.type === 'transport-error') {
    if (s.state === 'calling' || s.state === 'completed') return terminated([cancelTimer('A'), cancelTimer('B'), { type: 'transport-error' }]);
    return same;
  }
  if (ev.type !== 'response') return same;
  const status = ev.message.status;

  if (s.state === 'calling' || s.state === 'proceeding') {
    const leaveCalling: TxAction[] = s.state === 'calling' ? [cancelTimer('A'), cancelTimer('B')] : [];
    if (status < 200) return { state: { ...s, state: 'proceeding' }, actions: [...leaveCalling, toTu(ev.message)] };
    if (status < 300) {
      // RFC 6026 7.2: Accepted absorbs nothing but keeps passing 2xx (forks) to the TU until Timer M.
      return { state: { ...s, state: 'accepted' }, actions: [...leaveCalling, toTu(ev.message), startTimer('M', now + 64 * s.timers.t1)] };
    }
    const ack = buildNon2xxAck(s.request, ev.message);
    const actions: TxAction[] = [...leaveCalling, send(ack), toTu(ev.message)];
    if (s.reliable) return { state: { ...s, state: 'terminated', ack }, actions: [...actions, TERMINATE] };
    return { state: { ...s, state: 'completed', ack }, actions: [...actions, startTimer('D', now + 32_000)] };
  }
  if (s.state === 'completed') {
    // Retransmitted final response: re-send the same ACK, not passed up (17.1.1.2).
    if (status >= 300 && s.ack !== null) return { state: s, actions: [send(s.ack)] };
    return same;
  }
  // accepted
  if (status >= 200 && status < 300) return { state: s, actions: [toTu(ev.message)] };
  return same;
}
