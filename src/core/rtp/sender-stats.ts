/**
 * What a sender needs for its SR (RFC 3550 6.4.1): packet and octet counts, and the RTP
 * timestamp that corresponds to the report's NTP time, extrapolated from the last packet sent
 * with the media clock rate. Time is passed in (monotonic ms).
 */
export class SenderStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  private packets = 0;
  private octets = 0;
  private lastRtpTs = 0;
  private lastSentAtMs = 0;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
  }

  /** Counts one RTP packet; `payloadOctets` excludes header and padding (6.4.1 "sender's octet count"). */
  onPacketSent(rtpTimestamp: number, payloadOctets: number, nowMs: number): void {
    this.packets = (this.packets + 1) >>> 0; // the 32-bit counts wrap (6.4.1)
    this.octets = (this.octets + payloadOctets) >>> 0;
    this.lastRtpTs = rtpTimestamp >>> 0;
    this.lastSentAtMs = nowMs;
  }

  get packetCount(): number {
    return this.packets;
  }

  get octetCount(): number {
    return this.octets;
  }

  get hasSent(): boolean {
    return this.packets > 0;
  }

  /** Monotonic time of the last packet sent (meaningless before `hasSent`). */
  get lastSentMs(): number {
    return this.lastSentAtMs;
  }

  /** RTP timestamp corresponding to `nowMs`, for the SR's RTP timestamp field. */
  rtpTimestampAt(nowMs: number): number {
    return (this.lastRtpTs + Math.round(((nowMs - this.lastSentAtMs) * this.clockRate) / 1000)) >>> 0;
  }
}
