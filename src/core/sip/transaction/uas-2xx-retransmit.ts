import type { SipResponse } from '../message.ts';
import { DEFAULT_TIMERS, type TimerConfig } from './types.ts';

/**
 * The UAS core's 2xx retransmission for INVITE (RFC 3261 13.3.1.4): the 2xx is re-sent at T1,
 * doubling up to T2, until the ACK arrives; after 64*T1 without ACK the session should end
 * (the TU sends BYE). On reliable transports nothing is re-sent but the 64*T1 wait still applies.
 * Timer names here are the adapter's own: 'retransmit' and 'give-up'.
 */
export interface Uas2xxState {
  readonly state: 'waiting-ack' | 'done';
  readonly response: SipResponse;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  readonly interval: number;
}

export type Uas2xxEvent = { readonly type: 'timer'; readonly name: 'retransmit' | 'give-up' } | { readonly type: 'ack' };

export type Uas2xxAction =
  | { readonly type: 'send'; readonly message: SipResponse }
  | { readonly type: 'start-timer'; readonly name: 'retransmit' | 'give-up'; readonly at: number }
  | { readonly type: 'cancel-timer'; readonly name: 'retransmit' | 'give-up' }
  /** No ACK within 64*T1: confirm the dialog and end the session (BYE). */
  | { readonly type: 'ack-timeout' };

export interface Uas2xxResult {
  readonly state: Uas2xxState;
  readonly actions: readonly Uas2xxAction[];
}

/** Call after the 2xx was first sent (through the INVITE server transaction). */
export function startUas2xx(response: SipResponse, now: number, reliable: boolean, timers: TimerConfig = DEFAULT_TIMERS): Uas2xxResult {
  const actions: Uas2xxAction[] = [];
  if (!reliable) actions.push({ type: 'start-timer', name: 'retransmit', at: now + timers.t1 });
  actions.push({ type: 'start-timer', name: 'give-up', at: now + 64 * timers.t1 });
  return { state: { state: 'waiting-ack', response, reliable, timers, interval: timers.t1 }, actions };
}

export function stepUas2xx(s: Uas2xxState, ev: Uas2xxEvent, now: number): Uas2xxResult {
  if (s.state === 'done') return { state: s, actions: [] };
  if (ev.type === 'ack') {
    return { state: { ...s, state: 'done' }, actions: [{ type: 'cancel-timer', name: 'retransmit' }, { type: 'cancel-timer', name: 'give-up' }] };
  }
  if (ev.name === 'give-up') return { state: { ...s, state: 'done' }, actions: [{ type: 'cancel-timer', name: 'retransmit' }, { type: 'ack-timeout' }] };
  if (s.reliable) return { state: s, actions: [] };
  const next = Math.min(s.interval * 2, s.timers.t2);
  return { state: { ...s, interval: next }, actions: [{ type: 'send', message: s.response }, { type: 'start-timer', name: 'retransmit', at: now + next }] };
}
