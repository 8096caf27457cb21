/**
 * A long-running part of the gateway (SIP engine, media, state store link) as the process
 * lifecycle sees it: it can stop taking new work, report how much it still holds, and close.
 * SIGTERM drains (stopAccepting, wait for activeCount() to reach 0 or the drain timeout);
 * SIGINT closes at once.
 */
export interface Service {
  readonly name: string;
  /** Where it actually listens (e.g. `sip udp 127.0.0.1:5060`), printed at start. */
  readonly listening: readonly string[];
  /** Stop taking new work (new calls, new connections); existing work continues. */
  stopAccepting(): Promise<void>;
  /** Work still in progress (live calls); draining ends when every service reports 0. */
  activeCount(): number;
  /** Release everything now. */
  close(): Promise<void>;
}
