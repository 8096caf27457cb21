/**
 * Keeps each call's stored SRTP receive indexes fresh (CallLeg.inbound): a new owner that keeps
 * decrypting with the peer's key (DTLS-SRTP resume, SDES with the peer's key unchanged) must
 * know the peer's rollover counter, or every call older than 65,536 packets (about 22 minutes
 * of 20 ms audio) goes silent in one direction after a takeover (RFC 3711 3.3.1). A store write
 * happens only when a stream's rollover counter changed or it moved INBOUND_REFRESH_PACKETS.
 * The same pass retries the first write of calls admitted while the store was unreachable
 * (admission.on_state_outage: local), so they become takeover-safe once it is back.
 */
import type { InboundIndex } from '../ports/media-plane.ts';
import { inboundMoved } from './call-records.ts';
import type { TimerDriver } from './instance-lifecycle.ts';
import type { LiveCall } from './live-calls.ts';

/** Every 5 s (no I/O unless something moved): a wrap is stored within 5 s of happening. */
export const INBOUND_CHECK_MS = 5_000;

export interface InboundRefreshDeps {
  readonly timers: TimerDriver;
  readonly calls: () => readonly LiveCall[];
  readonly store: (call: LiveCall, inbound: readonly InboundIndex[]) => Promise<void>;
  /** Retries the first write of a call the store could not take at set-up (outage). */
  readonly storeLate?: (call: LiveCall, unstored: NonNullable<LiveCall['unstored']>) => Promise<void>;
}

/** One pass: writes the calls the store has not taken yet, re-stores those whose peer streams moved. */
export async function refreshInbound(deps: Pick<InboundRefreshDeps, 'calls' | 'store' | 'storeLate'>): Promise<number> {
  let written = 0;
  for (const call of deps.calls()) {
    if (call.record === null && call.unstored !== undefined && deps.storeLate !== undefined) {
      await deps.storeLate(call, call.unstored);
      continue;
    }
    const live = call.leg.inboundIndexes?.();
    if (live === undefined || live.length === 0 || call.record === null || call.frozen) continue;
    if (!inboundMoved(call.record.legs[0]?.inbound, live)) continue;
    await deps.store(call, live);
    written += 1;
  }
  return written;
}

/** Runs refreshInbound every INBOUND_CHECK_MS until the returned stop() is called. */
export function startInboundRefresh(deps: InboundRefreshDeps, intervalMs = INBOUND_CHECK_MS): () => void {
  let cancel: (() => void) | null = null;
  let stopped = false;
  const tick = (): void => {
    cancel = deps.timers.after(intervalMs, () => {
      void refreshInbound(deps)
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) tick();
        });
    });
  };
  tick();
  return () => {
    stopped = true;
    cancel?.();
  };
}
