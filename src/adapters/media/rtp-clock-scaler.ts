/**
 * RTP timestamps across clock rates, for a relay between an Opus leg (48 kHz RTP clock, RFC 7587
 * s4.1) and a G.711/G.722 leg (8 kHz, RFC 3551 4.5.2).
 *
 * The outgoing leg's RtpStreamRewriter keeps one offset per source epoch (continuity, visible
 * gaps), so the packets it is given must already carry timestamps on the target's clock. One
 * TimestampScaler per direction maps every packet of that direction, audio and RFC 4733
 * telephone-event alike, so both stay on one timeline (an event's timestamp is that of the
 * audio it started with, RFC 4733 2.5.1.1).
 *
 * The 32-bit input wraps, and 2^32 is not a multiple of 6, so scaling ts * ratio directly would
 * jump at the wrap: the scaler unwraps instead (signed 32-bit differences added to a running
 * position) and scales that position.
 */

export class TimestampScaler {
  readonly ratio: number;
  private started = false;
  private lastIn = 0;
  private position = 0;
  private base = 0;

  constructor(fromClock: number, toClock: number) {
    this.ratio = toClock / fromClock;
  }

  /** The timestamp on the target clock for source timestamp `ts` (older packets map backwards). */
  map(ts: number): number {
    if (!this.started) {
      this.started = true;
      this.lastIn = ts >>> 0;
      this.base = Math.round(this.lastIn * this.ratio) >>> 0;
      return this.base;
    }
    const d = ((ts >>> 0) - this.lastIn) | 0; // signed distance, modulo 2^32
    const p = this.position + d;
    if (d > 0) {
      this.position = p;
      this.lastIn = ts >>> 0;
    }
    return (this.base + Math.round(p * this.ratio)) >>> 0;
  }
}

/**
 * Rescales the duration field of an RFC 4733 event payload (2.3: octets 2-3, in timestamp
 * units) in place; clamped to 16 bits (2.5.2.3 splits longer events; we do not).
 */
export function scaleEventDuration(payload: Uint8Array, ratio: number): void {
  if (payload.length < 4) return;
  const d = Math.min(0xffff, Math.round((((payload[2] ?? 0) << 8) | (payload[3] ?? 0)) * ratio));
  payload[2] = d >> 8;
  payload[3] = d & 0xff;
}
