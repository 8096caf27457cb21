/**
 * Per-outgoing-stream SSRC / sequence number / timestamp rewriting for the relay.
 *
 * The gateway is an RTP translator/mixer in the sense of RFC 7667 (3.5 "Media-Switching
 * Mixer"): each outgoing stream has its own SSRC, and the packets it carries may come from
 * different sources over time (active speaker, a participant re-joining with a new SSRC, a
 * takeover). A receiver must see one continuous stream (RFC 3550 5.1: sequence numbers increase
 * by one per packet; timestamps advance with the sampling clock), or its jitter buffer and loss
 * statistics break.
 *
 * Rules:
 * - Within one source "epoch" the offsets are fixed, so gaps and reordering in the source stay
 *   visible to the receiver (loss reporting stays truthful, RFC 7667 3.5).
 * - On a switch to another source the next outgoing sequence number is last + 1 and the
 *   timestamp advances by the wall time since the last forwarded packet (at least 1 tick), so
 *   timestamps stay monotonic even if the new source's clock is far away.
 * - Packets of the current source that are older than its first forwarded packet are dropped
 *   ('stale'): they would reuse sequence numbers already spent on the previous source.
 * - The caller chooses which source feeds the stream; packets from another SSRC are taken as a
 *   switch. For video the caller should request a key frame (PLI) from the new source on
 *   'switched'.
 *
 * Time (monotonic ms) is passed in. Rewriting is in place on the (decrypted) packet.
 */
import { type RtpHeaderView, writeU16, writeU32 } from './rtp-packet.ts';

export interface RtpStreamRewriterOptions {
  /** SSRC of the outgoing stream. */
  readonly ssrc: number;
  /** RTP clock rate of the payload (8000 for PCMU/PCMA/G.722 per RFC 3551 4.5.2, 48000 Opus, 90000 video). */
  readonly clockRate: number;
  /** First outgoing sequence number; RFC 3550 5.1 says random: the adapter draws it. */
  readonly initialSequence: number;
  /** First outgoing timestamp; random per RFC 3550 5.1. */
  readonly initialTimestamp: number;
  /** Set the marker bit on the first packet after a switch (audio: start of a talkspurt, RFC 3551 4.1). Never for video. */
  readonly markOnSwitch?: boolean;
}

export type RtpRewriteOutcome = 'forwarded' | 'switched' | 'stale';

function int16(v: number): number {
  return ((v & 0xffff) << 16) >> 16;
}

export class RtpStreamRewriter {
  readonly ssrc: number;
  readonly clockRate: number;
  private readonly markOnSwitch: boolean;
  private hasSource = false;
  private sourceSsrc = 0;
  private seqOffset = 0;
  private tsOffset = 0;
  /** Highest source sequence number seen in this epoch, and how far it is from the epoch start. */
  private highestInSeq = 0;
  private epochAdvance = 0;
  /** Outgoing seq/ts of the newest forwarded packet, and when it was forwarded. */
  private lastOutSeq: number;
  private lastOutTs: number;
  private lastOutMs = 0;
  private started = false;
  private forcedSwitch = false;

  constructor(options: RtpStreamRewriterOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.clockRate = options.clockRate;
    this.markOnSwitch = options.markOnSwitch ?? false;
    this.lastOutSeq = (options.initialSequence - 1) & 0xffff;
    this.lastOutTs = options.initialTimestamp >>> 0;
  }

  /** SSRC of the source currently feeding this stream, or null before the first packet. */
  get currentSource(): number | null {
    return this.hasSource ? this.sourceSsrc : null;
  }

  /** Make the next packet start a new epoch even if its SSRC is unchanged (e.g. re-joined leg). */
  resetSource(): void {
    this.forcedSwitch = true;
  }

  /**
   * Rewrites SSRC, sequence number and timestamp of `packet` in place (`view` must have been
   * filled from it by parseRtpHeaderInto). On 'stale' the packet is untouched and must be dropped.
   */
  rewrite(packet: Uint8Array, view: RtpHeaderView, nowMs: number): RtpRewriteOutcome {
    const inSeq = view.sequenceNumber;
    const inTs = view.timestamp;
    let outcome: RtpRewriteOutcome = 'forwarded';
    if (!this.hasSource || this.forcedSwitch || view.ssrc !== this.sourceSsrc) {
      const outSeq = (this.lastOutSeq + 1) & 0xffff;
      let outTs = this.lastOutTs;
      if (this.started) {
        const ticks = Math.round(((nowMs - this.lastOutMs) * this.clockRate) / 1000);
        outTs = (outTs + Math.max(1, ticks)) >>> 0;
      }
      this.seqOffset = (outSeq - inSeq) & 0xffff;
      this.tsOffset = (outTs - inTs) >>> 0;
      this.sourceSsrc = view.ssrc;
      this.hasSource = true;
      this.forcedSwitch = false;
      this.highestInSeq = inSeq;
      this.epochAdvance = 0;
      outcome = this.started ? 'switched' : 'forwarded';
      if (this.markOnSwitch && this.started) packet[1] = (packet[1] ?? 0) | 0x80;
      this.started = true;
    } else {
      const d = int16(inSeq - this.highestInSeq);
      if (this.epochAdvance + d < 0) return 'stale';
      if (d > 0) {
        this.highestInSeq = inSeq;
        this.epochAdvance += d;
      }
    }
    const outSeq = (inSeq + this.seqOffset) & 0xffff;
    const outTs = (inTs + this.tsOffset) >>> 0;
    if (int16(outSeq - this.lastOutSeq) > 0 || outcome !== 'forwarded') {
      this.lastOutSeq = outSeq;
      this.lastOutTs = outTs;
      this.lastOutMs = nowMs;
    }
    writeU16(packet, 2, outSeq);
    writeU32(packet, 4, outTs);
    writeU32(packet, 8, this.ssrc);
    return outcome;
  }

  /**
   * Maps an outgoing sequence number (e.g. from a NACK, RFC 4585 6.2.1) back to the current
   * source's numbering, or null if it was sent before the current epoch.
   */
  toSourceSequence(outSeq: number): number | null {
    if (!this.hasSource) return null;
    const inSeq = (outSeq - this.seqOffset) & 0xffff;
    const back = int16(this.highestInSeq - inSeq);
    if (back < 0 || back > this.epochAdvance) return null;
    return inSeq;
  }
}
