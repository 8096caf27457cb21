import type { SipRequest } from '../message.ts';
import { cancelTimer, DEFAULT_TIMERS, send, startTimer, type TimerConfig, TERMINATE, toTu, type TxAction, type TxEvent, type TxOptions, type TxResult } from './types.ts';

/** Non-INVITE client transaction (RFC 3261 17.1.2, Figure 6). */
export interface NonInviteClientState {
  readonly kind: 'non-invite-client';
  readonly state: 'trying' | 'proceeding' | 'completed' | 'terminated';
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  readonly timerE: number;
}

type R = TxResult<NonInviteClientState>;

export function createNonInviteClient(request: SipRequest, now: number, options: TxOptions): R {
  const timers = options.timers ?? DEFAULT_TIMERS;
  const actions: TxAction[] = [send(request)];
  if (!options.reliable) actions.push(startTimer('E', now + timers.t1));
  actions.push(startTimer('F', now + 64 * timers.t1));
  return { state: { kind: 'non-invite-client', state: 'trying', request, reliable: options.reliable, timers, timerE: timers.t1 }, actions };
}

export function stepNonInviteClient(s: NonInviteClientState, ev: TxEvent, now: number): R {
  const same: R = { state: s, actions: [] };
  const terminated = (extra: TxAction[] = []): R => ({ state: { ...s, state: 'terminated' }, actions: [...extra, TERMINATE] });
  if (s.state === 'terminated') return same;
  const active = s.state === 'trying' || s.state === 'proceeding';

  if (ev.type === 'timer') {
    if (ev.name === 'E' && active) {
      // Trying: doubles up to T2; Proceeding: every T2 (17.1.2.2).
      const next = s.state === 'trying' ? Math.min(s.timerE * 2, s.timers.t2) : s.timers.t2;
      return { state: { ...s, timerE: next }, actions: [send(s.request), startTimer('E', now + next)] };
    }
    if (ev.name === 'F' && active) return terminated([cancelTimer('E'), { type: 'timeout', timer: 'F' }]);
    if (ev.name === 'K' && s.state === 'completed') return terminated();
    return same;
  }
  if (ev.type === 'transport-error') return active ? terminated([cancelTimer('E'), cancelTimer('F'), { type: 'transport-error' }]) : same;
  if (ev.type !== 'response' || !active) return same; // Completed absorbs retransmitted responses
  if (ev.message.status < 200) {
    if (s.state === 'proceeding') return { state: s, actions: [toTu(ev.message)] };
    // Entering Proceeding: the next E fires at T2 at the latest.
    return { state: { ...s, state: 'proceeding', timerE: s.timers.t2 }, actions: [toTu(ev.message)] };
  }
  const actions: TxAction[] = [cancelTimer('E'), cancelTimer('F'), toTu(ev.message)];
  if (s.reliable) return terminated(actions);
  return { state: { ...s, state: 'completed' }, actions: [...actions, startTimer('K', now + s.timers.t4)] };
}
