/**
 * Messages between the three processes of the `guest-memory` bench (guest-memory.bench.ts):
 *
 *   coordinator (run.ts)  --fork-->  gateway side (guest-memory-gateway.ts, measured)
 *                                      --fork-->  browsers (guest-memory-browsers.ts, werift)
 *
 * Each process that is measured starts fresh, so memory freed by an earlier scenario (and kept
 * by malloc or V8 for reuse) cannot hide the growth of the next one; the werift peers standing
 * in for browsers live in their own process, so their memory is not counted as the gateway's.
 */
import type { BenchRow } from './contract.ts';

export interface Scenario {
  /** Row prefix, e.g. `chrome offer, rooms of 2`. */
  readonly label: string;
  /**
   * `chrome`: every guest is the Chromium audio+video offer fixture, answered and joined but
   * never connected (set-up cost). `werift`: every guest is a werift RTCPeerConnection in the
   * browsers process that connects (ICE, DTLS, SRTP) and sends 20 ms Opus (cost after traffic).
   */
  readonly offer: 'chrome' | 'werift';
  /** Guests per room (2: relay; 3+: N-1 mixes with an Opus codec per guest). */
  readonly roomSize: number;
  /** Total guests open at each measurement, ascending; each a multiple of roomSize. */
  readonly levels: readonly number[];
  /** werift only: how long every open guest sends (and receives) before each measurement. */
  readonly trafficMs: number;
}

/** Gateway side -> coordinator. */
export type GatewayReply = { readonly type: 'rows'; readonly rows: readonly BenchRow[] } | { readonly type: 'error'; readonly message: string };

/** Gateway side -> browsers. */
export type BrowserRequest =
  /** Create `count` more peers; reply with their offers. */
  | { readonly type: 'create'; readonly count: number }
  /** Answers for the peers of the last `create`, in order; reply once all are connected. */
  | { readonly type: 'answers'; readonly sdps: readonly string[] }
  /** Every peer sends one Opus packet per 20 ms for `ms`; reply with the counts. */
  | { readonly type: 'send'; readonly ms: number }
  /** Close every peer (after the warm-up); reply `closed`. */
  | { readonly type: 'close' }
  | { readonly type: 'exit' };

/** Browsers -> gateway side. */
export type BrowserReply =
  | { readonly type: 'offers'; readonly sdps: readonly string[] }
  | { readonly type: 'connected'; readonly suites: readonly number[] }
  | { readonly type: 'sent'; readonly sent: number; readonly received: number; readonly silentPeers: number }
  | { readonly type: 'closed' }
  | { readonly type: 'error'; readonly message: string };
