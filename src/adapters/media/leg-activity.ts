/**
 * A leg's media direction and silence watch, shared by every leg kind (SDES, DTLS over UDP,
 * WebRTC guests). `direction` is the PEER's SDP direction (RFC 3264 6.1): only a sendrecv peer
 * is expected to send, so only then can its silence end the call (media timeout); a peer on
 * hold is never timed out, and resuming re-arms the watch from that moment.
 */
import type { MediaDirection } from './media-types.ts';

export class LegActivity {
  readonly timeoutMs: number;
  #direction: MediaDirection;
  #armedAt: number;
  #lastRtpAt = -Infinity;
  #reported = false;

  constructor(direction: MediaDirection, timeoutMs: number, nowMs: number) {
    this.#direction = direction;
    this.timeoutMs = timeoutMs;
    this.#armedAt = nowMs;
  }

  get direction(): MediaDirection {
    return this.#direction;
  }

  /** An authenticated RTP packet arrived from the peer. */
  rtpArrived(nowMs: number): void {
    this.#lastRtpAt = nowMs;
    this.#reported = false;
  }

  /** How long the peer has been silent when the timeout newly fires (once), else null. */
  timedOut(nowMs: number): number | null {
    if (this.timeoutMs <= 0 || this.#direction !== 'sendrecv' || this.#reported) return null;
    const silent = nowMs - Math.max(this.#lastRtpAt, this.#armedAt);
    if (silent < this.timeoutMs) return null;
    this.#reported = true;
    return silent;
  }

  update(direction: MediaDirection, nowMs: number): void {
    // Resuming from hold re-arms the timeout from now: the held peer may not have sent for long.
    if (direction === 'sendrecv' && this.#direction !== 'sendrecv') {
      this.#armedAt = nowMs;
      this.#reported = false;
    }
    this.#direction = direction;
  }
}
