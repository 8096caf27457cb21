import type { SipRequest, SipResponse } from '../message.ts';
import { DEFAULT_TIMERS, send, startTimer, type TimerConfig, TERMINATE, toTu, type TxEvent, type TxOptions, type TxResult } from './types.ts';

/** Non-INVITE server transaction (RFC 3261 17.2.2, Figure 8). */
export interface NonInviteServerState {
  readonly kind: 'non-invite-server';
  readonly state: 'trying' | 'proceeding' | 'completed' | 'terminated';
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  readonly lastResponse: SipResponse | null;
}

type R = TxResult<NonInviteServerState>;

export function createNonInviteServer(request: SipRequest, _now: number, options: TxOptions): R {
  const timers = options.timers ?? DEFAULT_TIMERS;
  return { state: { kind: 'non-invite-server', state: 'trying', request, reliable: options.reliable, timers, lastResponse: null }, actions: [toTu(request)] };
}

export function stepNonInviteServer(s: NonInviteServerState, ev: TxEvent, now: number): R {
  const same: R = { state: s, actions: [] };
  if (s.state === 'terminated') return same;
  switch (ev.type) {
    case 'request':
      // Trying absorbs retransmissions; Proceeding/Completed re-send the last response.
      if (s.state === 'trying' || s.lastResponse === null) return same;
      return { state: s, actions: [send(s.lastResponse)] };
    case 'send-response': {
      if (s.state === 'completed') return same;
      if (ev.message.status < 200) return { state: { ...s, state: 'proceeding', lastResponse: ev.message }, actions: [send(ev.message)] };
      // Timer J: 64*T1 unreliable, 0 reliable.
      if (s.reliable) return { state: { ...s, state: 'terminated', lastResponse: ev.message }, actions: [send(ev.message), TERMINATE] };
      return { state: { ...s, state: 'completed', lastResponse: ev.message }, actions: [send(ev.message), startTimer('J', now + 64 * s.timers.t1)] };
    }
    case 'timer':
      if (ev.name === 'J' && s.state === 'completed') return { state: { ...s, state: 'terminated' }, actions: [TERMINATE] };
      return same;
    case 'transport-error':
      return { state: { ...s, state: 'terminated' }, actions: [{ type: 'transport-error' }, TERMINATE] };
    case 'response':
      return same;
  }
}
