/**
 * Per-dialog timers of the UAS core, driven with real setTimeout:
 * - 2xx retransmission until the ACK (RFC 3261 13.3.1.4) over the core's pure Uas2xx machine;
 * - the RFC 4028 session timer (refresh at half the interval, or BYE before expiry).
 */
import type { SipResponse, Uas2xxAction, Uas2xxEvent, Uas2xxState } from '../../core/sip/index.ts';
import { startUas2xx, stepUas2xx } from '../../core/sip/index.ts';
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

/** One pending session-timer action per dialog (RFC 4028 10). */
export class SessionTimer {
  private timer: NodeJS.Timeout | undefined;

  /** (Re)arms: `at` is absolute on the clock; `fire` runs once. */
  arm(at: number, clock: Clock, fire: () => void): void {
    this.stop();
    this.timer = setTimeout(fire, Math.max(0, at - clock.now()));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
