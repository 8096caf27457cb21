/**
 * Per-dialog timers of the UAS core, driven with real setTimeout:
 * - 2xx retransmission until the ACK (RFC 3261 13.3.1.4) over the core's pure Uas2xx machine;
 * - the RFC 4028 session timer (refresh at half the interval, or BYE before expiry), which
 *   asks the adapter to send refreshes and BYE through hooks.
 */
import type { SipHeader, SipResponse, Uas2xxAction, Uas2xxEvent, Uas2xxState } from '../../core/sip/index.ts';
import { sessionTimerDeadline, sessionTimerFromUacResponse, startUas2xx, stepUas2xx } from '../../core/sip/index.ts';
import type { TimerConfig } from '../../core/sip/transaction/index.ts';
import type { Clock } from '../../ports/clock.ts';

export interface Uas2xxHooks {
  send(response: SipResponse): void;
  ackTimeout(): void;
}

export class Uas2xxDriver {
  private state: Uas2xxState;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly clock: Clock;
  private readonly hooks: Uas2xxHooks;

  constructor(response: SipResponse, reliable: boolean, timers: TimerConfig, clock: Clock, hooks: Uas2xxHooks) {
    this.clock = clock;
    this.hooks = hooks;
    const r = startUas2xx(response, clock.now(), reliable, timers);
    this.state = r.state;
    this.run(r.actions);
  }

  get waiting(): boolean {
    return this.state.state === 'waiting-ack';
  }

  ack(): void {
    this.step({ type: 'ack' });
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private step(ev: Uas2xxEvent): void {
    const r = stepUas2xx(this.state, ev, this.clock.now());
    this.state = r.state;
    this.run(r.actions);
  }

  private run(actions: readonly Uas2xxAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') this.hooks.send(a.message);
      else if (a.type === 'ack-timeout') this.hooks.ackTimeout();
      else if (a.type === 'cancel-timer') {
        clearTimeout(this.timers.get(a.name));
        this.timers.delete(a.name);
      } else {
        clearTimeout(this.timers.get(a.name));
        const name = a.name;
        const t = setTimeout(() => {
          this.timers.delete(name);
          this.step({ type: 'timer', name });
        }, Math.max(0, a.at - this.clock.now()));
        t.unref();
        this.timers.set(name, t);
      }
    }
  }
}

export interface SessionTimerHooks {
  readonly clock: Clock;
  /** Sends a session refresh (re-INVITE or UPDATE); resolves with the final status, rejects on timeout. */
  refresh(): Promise<number>;
  /** No refresh in time (RFC 4028 10): end the session with BYE. */
  expire(interval: number, weRefresh: boolean): void;
}

/**
 * The RFC 4028 session timer of one dialog: the refresher refreshes at half the interval; the
 * other side sends BYE at expiry minus min(32 s, interval/3) unless a refresh re-arms it first.
 * A 2xx to any INVITE/UPDATE either side sends is a refresh (the adapter reports both).
 */
export class SessionTimer {
  private timer: NodeJS.Timeout | undefined;
  private current: { readonly interval: number; readonly weRefresh: boolean; readonly expiresAt: number } | undefined;
  private readonly hooks: SessionTimerHooks;

  constructor(hooks: SessionTimerHooks) {
    this.hooks = hooks;
  }

  /** The running interval and who refreshes, for a dialog export (takeover); null: no timer. */
  snapshot(): { readonly interval: number; readonly weRefresh: boolean } | null {
    return this.current === undefined ? null : { interval: this.current.interval, weRefresh: this.current.weRefresh };
  }

  /** (Re)starts after a 2xx with the negotiated interval. */
  start(interval: number, weRefresh: boolean): void {
    const now = this.hooks.clock.now();
    const current = { interval, weRefresh, expiresAt: now + interval * 1000 };
    this.current = current;
    const d = sessionTimerDeadline(interval, weRefresh, now);
    this.arm(d.at, () => {
      if (d.action === 'bye') this.hooks.expire(interval, weRefresh);
      else this.refresh(current);
    });
  }

  /**
   * A 2xx to our INVITE/UPDATE (RFC 4028 7.2): its Session-Expires sets interval and refresher
   * (also starting a timer where none ran, e.g. on a dialog imported at takeover). Without one
   * the peer does not do timers; a running timer keeps its interval and we refresh one-sided,
   * so a dead peer is still found.
   */
  refreshed(res: SipResponse): void {
    let st: ReturnType<typeof sessionTimerFromUacResponse> = null;
    try {
      st = sessionTimerFromUacResponse(res);
    } catch {
      /* malformed Session-Expires in the 2xx: as if absent */
    }
    if (st !== null && 'interval' in st) this.start(st.interval, st.weRefresh);
    else if (this.current !== undefined) this.start(this.current.interval, true);
  }

  /** Session-Expires for an INVITE/UPDATE we send while the timer runs (RFC 4028 7.4): the refresher stays who it was. */
  headers(): SipHeader[] {
    const c = this.current;
    return c === undefined ? [] : [{ name: 'Session-Expires', value: `${String(c.interval)};refresher=${c.weRefresh ? 'uac' : 'uas'}` }];
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.current = undefined;
  }

  /**
   * A failed refresh extends nothing: the session ends at its current expiry unless something
   * else (a re-INVITE/UPDATE from the peer or the call logic) refreshes it first. 408/481/timeouts already end
   * the dialog in the adapter (RFC 4028 10, RFC 3261 12.2.1.2).
   */
  private refresh(current: NonNullable<SessionTimer['current']>): void {
    const failed = (): void => {
      if (this.current !== current) return; // stopped, or refreshed meanwhile
      this.arm(current.expiresAt - Math.min(32_000, (current.interval * 1000) / 3), () => this.hooks.expire(current.interval, current.weRefresh));
    };
    this.hooks.refresh().then((status) => (status >= 200 && status < 300 ? undefined : failed()), failed);
  }

  private arm(at: number, fire: () => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(fire, Math.max(0, at - this.hooks.clock.now()));
    this.timer.unref();
  }
}
