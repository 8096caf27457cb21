/**
 * Per-leg drop counts by reason, shared by every leg kind (SDES, DTLS over UDP, WebRTC guests),
 * also feeding the process-wide gatehouse_media_packets_dropped_total (batched, metrics/media.ts).
 * Counting is an array increment: it sits on the per-packet path.
 */
import { MEDIA_DROP_REASONS, countDrop, type MediaDropReason } from '../../metrics/media.ts';

const INDEX = new Map<MediaDropReason, number>(MEDIA_DROP_REASONS.map((r, i) => [r, i]));

export class LegDrops {
  readonly #counts = new Uint32Array(MEDIA_DROP_REASONS.length);

  count(reason: MediaDropReason): void {
    const i = INDEX.get(reason);
    if (i !== undefined) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    countDrop(reason);
  }

  get(reason: MediaDropReason): number {
    const i = INDEX.get(reason);
    return i === undefined ? 0 : (this.#counts[i] ?? 0);
  }

  /** Reasons with a non-zero count. */
  snapshot(): Partial<Record<MediaDropReason, number>> {
    const out: Partial<Record<MediaDropReason, number>> = {};
    MEDIA_DROP_REASONS.forEach((r, i) => {
      const n = this.#counts[i] ?? 0;
      if (n > 0) out[r] = n;
    });
    return out;
  }
}
