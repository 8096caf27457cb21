/**
 * Per-source receiver statistics (RFC 3550 A.1 sequence validation, A.3 loss, A.8 jitter) and
 * the report block built from them (6.4.1). Time is passed in (monotonic ms).
 */
import { msToDlsrUnits, ntpMiddle32 } from './ntp-time.ts';
import type { RtcpReportBlock } from './rtcp-types.ts';

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

/**
 * 'valid': counted. 'probation': a new source not yet confirmed by MIN_SEQUENTIAL in-order
 * packets (A.1). 'jump': a very large sequence jump, ignored unless the next packet confirms
 * it (then the source is taken as restarted).
 */
export type SequenceVerdict = 'valid' | 'probation' | 'jump';

export class ReceiverStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterValue = 0;
  private haveTransit = false;
  private lastArrivalMs = 0;
  private lastRtpTs = 0;
  private lastSrMiddle = 0;
  private lastSrArrivalMs: number | null = null;
  private started = false;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** Feeds one received RTP packet (A.1 update_seq, then A.8 jitter for counted packets). */
  onPacket(seq: number, rtpTimestamp: number, arrivalMs: number): SequenceVerdict {
    if (!this.started) {
      this.started = true;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = MIN_SEQUENTIAL;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.receivedCount++;
          this.updateJitter(rtpTimestamp, arrivalMs);
          return 'valid';
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return 'probation';
    } else if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (seq === this.badSeq) {
        // two sequential packets after a jump: the source restarted (A.1)
        this.initSeq(seq);
        this.haveTransit = false;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return 'jump';
      }
    }
    // else: duplicate or reordered packet, counted (A.1)
    this.receivedCount++;
    this.updateJitter(rtpTimestamp, arrivalMs);
    return 'valid';
  }

  /**
   * A.8: J += (|D| - J) / 16, with D the difference of relative transit times. Computed from
   * deltas so that the 32-bit RTP timestamp wrap does not produce a spike.
   */
  private updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    if (this.haveTransit) {
      const arrivalDelta = ((arrivalMs - this.lastArrivalMs) * this.clockRate) / 1000;
      const tsDelta = (rtpTimestamp - this.lastRtpTs) | 0;
      const d = Math.abs(arrivalDelta - tsDelta);
      this.jitterValue += (d - this.jitterValue) / 16;
    }
    this.haveTransit = true;
    this.lastArrivalMs = arrivalMs;
    this.lastRtpTs = rtpTimestamp >>> 0;
  }

  /** Records an SR from this source for LSR/DLSR (RFC 3550 6.4.1). */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.lastSrMiddle = ntpMiddle32(ntpSeconds, ntpFraction);
    this.lastSrArrivalMs = arrivalMs;
  }

  get received(): number {
    return this.receivedCount;
  }

  get extendedHighestSequence(): number {
    return (this.cycles + this.maxSeq) >>> 0;
  }

  /** A.3: expected = extended_max - base_seq + 1 (0 until the source is validated). */
  get expected(): number {
    if (!this.started || this.probation > 0) return 0;
    return this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** A.3: cumulative lost, clamped to the signed 24-bit field. Negative with duplicates. */
  get lost(): number {
    return Math.max(-0x800000, Math.min(0x7fffff, this.expected - this.receivedCount));
  }

  /** Interarrival jitter in RTP timestamp units (A.8), as reported. */
  get jitter(): number {
    return Math.floor(this.jitterValue) >>> 0;
  }

  /** True once at least one packet was counted: only such sources get report blocks. */
  get hasData(): boolean {
    return this.receivedCount > 0;
  }

  /** Builds a report block and starts a new interval for "fraction lost" (A.3). */
  reportBlock(nowMs: number): RtcpReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.lost,
      highestSequence: this.extendedHighestSequence,
      jitter: this.jitter,
      lastSr: this.lastSrArrivalMs === null ? 0 : this.lastSrMiddle,
      delaySinceLastSr: this.lastSrArrivalMs === null ? 0 : msToDlsrUnits(nowMs - this.lastSrArrivalMs),
    };
  }
}
