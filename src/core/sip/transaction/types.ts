import type { SipMessage, SipRequest, SipResponse } from '../message.ts';

/**
 * Transaction layer vocabulary (RFC 3261 17, RFC 6026). Machines are pure:
 * `step(state, event, now) -> { state, actions }`. The adapter owns real timers: it arms one per
 * `start-timer` (absolute `at`, same clock as `now`), drops it on `cancel-timer`, and feeds
 * `{ type: 'timer', name }` back when it fires. A timer event for a timer the state no longer
 * expects is ignored, so a late or duplicate fire is harmless.
 */
export interface TimerConfig {
  /** RTT estimate, ms (RFC 3261 17.1.1.1: 500). */
  readonly t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, ms (4000). */
  readonly t2: number;
  /** Maximum duration a message remains in the network, ms (5000). */
  readonly t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/** RFC 3261 Table 4 timers plus RFC 6026 L and M. */
export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M';

export type TxEvent =
  /** Client: a response for this transaction arrived. */
  | { readonly type: 'response'; readonly message: SipResponse }
  /** Server: a retransmission of the request, or an ACK, arrived. */
  | { readonly type: 'request'; readonly message: SipRequest }
  /** Server: the TU sends a response through the transaction. */
  | { readonly type: 'send-response'; readonly message: SipResponse }
  | { readonly type: 'timer'; readonly name: TimerName }
  /** The transport failed to send (RFC 3261 17.1.4, 17.2.4). */
  | { readonly type: 'transport-error' };

export type TxAction =
  | { readonly type: 'send'; readonly message: SipMessage }
  | { readonly type: 'pass-to-tu'; readonly message: SipMessage }
  | { readonly type: 'start-timer'; readonly name: TimerName; readonly at: number }
  | { readonly type: 'cancel-timer'; readonly name: TimerName }
  /** Tell the TU the transaction timed out (B, F, H, or L/M never fire this). */
  | { readonly type: 'timeout'; readonly timer: TimerName }
  | { readonly type: 'transport-error' }
  /** Forget the transaction. */
  | { readonly type: 'terminate' };

export interface TxResult<S> {
  readonly state: S;
  readonly actions: readonly TxAction[];
}

export interface TxOptions {
  /** Reliable transport (TCP, TLS, SCTP, WS, WSS): no retransmissions, zero-length wait timers. */
  readonly reliable: boolean;
  readonly timers?: TimerConfig;
}

export const startTimer = (name: TimerName, at: number): TxAction => ({ type: 'start-timer', name, at });
export const cancelTimer = (name: TimerName): TxAction => ({ type: 'cancel-timer', name });
export const send = (message: SipMessage): TxAction => ({ type: 'send', message });
export const toTu = (message: SipMessage): TxAction => ({ type: 'pass-to-tu', message });
export const TERMINATE: TxAction = { type: 'terminate' };
