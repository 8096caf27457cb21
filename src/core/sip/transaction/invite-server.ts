import type { SipRequest, SipResponse } from '../message.ts';
import { createResponse } from '../response.ts';
import { cancelTimer, DEFAULT_TIMERS, send, startTimer, type TimerConfig, TERMINATE, toTu, type TxAction, type TxEvent, type TxOptions, type TxResult } from './types.ts';

/**
 * INVITE server transaction (RFC 3261 17.2.1, Figure 7 as updated by RFC 6026 Figure 5).
 * A 2xx moves it to Accepted: the TU retransmits the 2xx itself (13.3.1.4, see
 * uas-2xx-retransmit.ts) and passes those copies through here; the ACK for a 2xx goes to the TU.
 */
export interface InviteServerState {
  readonly kind: 'invite-server';
  readonly state: 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  /** Last response sent (re-sent on request retransmissions). */
  readonly lastResponse: SipResponse | null;
  /** Current Timer G interval. */
  readonly timerG: number;
}

type R = TxResult<InviteServerState>;

export interface InviteServerOptions extends TxOptions {
  /**
   * Send 100 Trying at once (17.2.1: MUST unless the TU answers within 200 ms). Default true.
   * The To tag is not added to a 100 (8.2.6.1).
   */
  readonly sendTrying?: boolean;
}

export function createInviteServer(request: SipRequest, _now: number, options: InviteServerOptions): R {
  const timers = options.timers ?? DEFAULT_TIMERS;
  const actions: TxAction[] = [toTu(request)];
  let lastResponse: SipResponse | null = null;
  if (options.sendTrying !== false) {
    lastResponse = createResponse(request, 100);
    actions.unshift(send(lastResponse));
  }
  return { state: { kind: 'invite-server', state: 'proceeding', request, reliable: options.reliable, timers, lastResponse, timerG: timers.t1 }, actions };
}

export function stepInviteServer(s: InviteServerState, ev: TxEvent, now: number): R {
  const same: R = { state: s, actions: [] };
  const terminated = (extra: TxAction[] = []): R => ({ state: { ...s, state: 'terminated' }, actions: [...extra, TERMINATE] });
  if (s.state === 'terminated') return same;

  switch (ev.type) {
    case 'request': {
      const isAck = ev.message.method === 'ACK';
      if (s.state === 'proceeding' && !isAck) return s.lastResponse === null ? same : { state: s, actions: [send(s.lastResponse)] };
      if (s.state === 'completed') {
        if (!isAck) return s.lastResponse === null ? same : { state: s, actions: [send(s.lastResponse)] };
        // 17.2.1: ACK -> Confirmed; Timer I = T4 unreliable, 0 reliable.
        if (s.reliable) return terminated([cancelTimer('G'), cancelTimer('H')]);
        return { state: { ...s, state: 'confirmed' }, actions: [cancelTimer('G'), cancelTimer('H'), startTimer('I', now + s.timers.t4)] };
      }
      // RFC 6026 7.1: in Accepted, an ACK goes to the TU; INVITE retransmissions are absorbed.
      if (s.state === 'accepted' && isAck) return { state: s, actions: [toTu(ev.message)] };
      return same;
    }
    case 'send-response': {
      const status = ev.message.status;
      if (s.state === 'proceeding') {
        if (status < 200) return { state: { ...s, lastResponse: ev.message }, actions: [send(ev.message)] };
        if (status < 300) {
          return { state: { ...s, state: 'accepted', lastResponse: ev.message }, actions: [send(ev.message), startTimer('L', now + 64 * s.timers.t1)] };
        }
        const actions: TxAction[] = [send(ev.message)];
        if (!s.reliable) actions.push(startTimer('G', now + s.timers.t1));
        actions.push(startTimer('H', now + 64 * s.timers.t1));
        return { state: { ...s, state: 'completed', lastResponse: ev.message }, actions };
      }
      // RFC 6026 7.1: 2xx retransmissions from the TU go out while Accepted.
      if (s.state === 'accepted' && status >= 200 && status < 300) return { state: s, actions: [send(ev.message)] };
      return same;
    }
    case 'timer': {
      if (ev.name === 'G' && s.state === 'completed' && s.lastResponse !== null) {
        const next = Math.min(s.timerG * 2, s.timers.t2);
        return { state: { ...s, timerG: next }, actions: [send(s.lastResponse), startTimer('G', now + next)] };
      }
      if (ev.name === 'H' && s.state === 'completed') return terminated([cancelTimer('G'), { type: 'timeout', timer: 'H' }]);
      if (ev.name === 'I' && s.state === 'confirmed') return terminated();
      if (ev.name === 'L' && s.state === 'accepted') return terminated();
      return same;
    }
    case 'transport-error':
      return terminated([cancelTimer('G'), cancelTimer('H'), cancelTimer('L'), { type: 'transport-error' }]);
    case 'response':
      return same;
  }
}
