/**
 * Drives the pure transaction machines of src/core/sip/transaction (RFC 3261 section 17,
 * RFC 6026) with real timers: each `start-timer` action arms a setTimeout at the absolute
 * time it names (same monotonic clock as `now`), `cancel-timer` clears it, a fired timer is
 * fed back as an event; `send` goes to the transport, and a failed send is fed back as a
 * `transport-error` (17.1.4, 17.2.4). The core never sees a timer or a socket.
 */
import type { SipMessage, SipRequest, SipResponse } from '../../core/sip/index.ts';
import type {
  InviteClientState,
  InviteServerState,
  NonInviteClientState,
  NonInviteServerState,
  TimerConfig,
  TimerName,
  TxAction,
  TxEvent,
  TxResult,
} from '../../core/sip/transaction/index.ts';
import {
  createInviteClient,
  createInviteServer,
  createNonInviteClient,
  createNonInviteServer,
  stepInviteClient,
  stepInviteServer,
  stepNonInviteClient,
  stepNonInviteServer,
} from '../../core/sip/transaction/index.ts';
import type { Clock } from '../../ports/clock.ts';
import { sipTransactionsTimedOut } from '../../metrics/sip.ts';
import type { OutboundRoute } from './transport-set.ts';

export type TxState = InviteClientState | InviteServerState | NonInviteClientState | NonInviteServerState;

export interface TxHandlers {
  /** A message for the transaction user (request on creation for servers, responses for clients). */
  tu(message: SipMessage): void;
  /** Timer B/F/H fired or the transport failed. */
  failed(reason: 'timeout' | 'transport-error'): void;
}

interface Entry {
  state: TxState;
  route: OutboundRoute;
  readonly timers: Map<TimerName, NodeJS.Timeout>;
  readonly handlers: TxHandlers;
}

export interface RunnerDeps {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  readonly send: (message: SipMessage, route: OutboundRoute) => Promise<void>;
}

function stepAny(s: TxState, ev: TxEvent, now: number): TxResult<TxState> {
  switch (s.kind) {
    case 'invite-client':
      return stepInviteClient(s, ev, now);
    case 'invite-server':
      return stepInviteServer(s, ev, now);
    case 'non-invite-client':
      return stepNonInviteClient(s, ev, now);
    case 'non-invite-server':
      return stepNonInviteServer(s, ev, now);
    default: {
      const never: never = s;
      throw new Error(`unknown transaction ${String(never)}`);
    }
  }
}

export class TransactionRunner {
  private readonly deps: RunnerDeps;
  private readonly entries = new Map<string, Entry>();

  constructor(deps: RunnerDeps) {
    this.deps = deps;
  }

  get timersConfig(): TimerConfig {
    return this.deps.timers;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  state(key: string): TxState | undefined {
    return this.entries.get(key)?.state;
  }

  /** New server transaction for a request that matched none (17.2.3). */
  startServer(key: string, request: SipRequest, route: OutboundRoute, reliable: boolean, handlers: TxHandlers, sendTrying = true): void {
    const now = this.deps.clock.now();
    const opts = { reliable, timers: this.deps.timers };
    const r: TxResult<TxState> =
      request.method === 'INVITE' ? createInviteServer(request, now, { ...opts, sendTrying }) : createNonInviteServer(request, now, opts);
    this.install(key, r, route, handlers);
  }

  /** New client transaction; `key` is clientTransactionKey(request). */
  startClient(key: string, request: SipRequest, route: OutboundRoute, reliable: boolean, handlers: TxHandlers): void {
    const now = this.deps.clock.now();
    const opts = { reliable, timers: this.deps.timers };
    const r: TxResult<TxState> = request.method === 'INVITE' ? createInviteClient(request, now, opts) : createNonInviteClient(request, now, opts);
    this.install(key, r, route, handlers);
  }

  /** Feeds a request retransmission / ACK (servers) or a response (clients). False: no such transaction. */
  receive(key: string, message: SipMessage): boolean {
    const e = this.entries.get(key);
    if (e === undefined) return false;
    const ev: TxEvent = message.kind === 'request' ? { type: 'request', message } : { type: 'response', message };
    this.apply(key, e, ev);
    return true;
  }

  /** The TU answers through the server transaction. False when the transaction is gone. */
  respond(key: string, response: SipResponse): boolean {
    const e = this.entries.get(key);
    if (e === undefined) return false;
    this.apply(key, e, { type: 'send-response', message: response });
    return true;
  }

  /** Stops every timer (engine shutdown). */
  clear(): void {
    for (const e of this.entries.values()) for (const t of e.timers.values()) clearTimeout(t);
    this.entries.clear();
  }

  private install(key: string, r: TxResult<TxState>, route: OutboundRoute, handlers: TxHandlers): void {
    const e: Entry = { state: r.state, route, timers: new Map(), handlers };
    this.entries.set(key, e);
    this.run(key, e, r.actions);
  }

  private apply(key: string, e: Entry, ev: TxEvent): void {
    const r = stepAny(e.state, ev, this.deps.clock.now());
    e.state = r.state;
    this.run(key, e, r.actions);
  }

  private run(key: string, e: Entry, actions: readonly TxAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.deps.send(a.message, e.route).catch(() => {
            if (this.entries.get(key) === e) this.apply(key, e, { type: 'transport-error' });
          });
          break;
        case 'pass-to-tu':
          e.handlers.tu(a.message);
          break;
        case 'start-timer': {
          const old = e.timers.get(a.name);
          if (old !== undefined) clearTimeout(old);
          const delay = Math.max(0, a.at - this.deps.clock.now());
          const name = a.name;
          const t = setTimeout(() => {
            e.timers.delete(name);
            if (this.entries.get(key) === e) this.apply(key, e, { type: 'timer', name });
          }, delay);
          e.timers.set(a.name, t);
          break;
        }
        case 'cancel-timer': {
          const t = e.timers.get(a.name);
          if (t !== undefined) clearTimeout(t);
          e.timers.delete(a.name);
          break;
        }
        case 'timeout':
          sipTransactionsTimedOut.inc({ kind: e.state.kind.endsWith('client') ? 'client' : 'server' });
          e.handlers.failed('timeout');
          break;
        case 'transport-error':
          e.handlers.failed('transport-error');
          break;
        case 'terminate':
          for (const t of e.timers.values()) clearTimeout(t);
          e.timers.clear();
          if (this.entries.get(key) === e) this.entries.delete(key);
          break;
        default: {
          const never: never = a;
          throw new Error(`unknown action ${JSON.stringify(never)}`);
        }
      }
    }
  }
}
