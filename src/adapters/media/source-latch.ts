/**
 * Which source address a leg accepts media from and sends media to: the rules of
 * docs/media-latching.md (symmetric RTP, RFC 4961, guarded by SRTP authentication).
 *
 * Per datagram the leg asks `admit()` BEFORE any cryptography:
 *   'current'  from the address we use: unprotect as usual
 *   'probe'    from another address, within the probe budget: unprotect, and if the packet
 *              authenticates call `authenticated()`, which decides whether to (re)latch
 *   'ignore'   from another address over the budget, or strict mode: drop as wrong-source
 * After a packet from the current address authenticates the leg calls `authenticated()` too
 * (it records the time the current source was last heard, for the silence rule).
 *
 * An attacker without the leg's SRTP key cannot produce a packet that authenticates, so it can
 * neither take the initial latch nor move it. The remaining risk (an on-path attacker
 * re-sending captured genuine packets from its own address) is bounded by the relatch rule:
 * the genuine source must also have gone silent for `relatchSilenceMs`.
 *
 * Time is monotonic ms passed in. No allocation per packet (addresses are compared as the
 * strings node:dgram already made).
 */
import type { LatchingOptions } from './media-types.ts';

export type LatchAdmit = 'current' | 'probe' | 'ignore';
/** 'accept': forward it. 'candidate': authentic but from a non-latched source: do not forward. */
export type LatchVerdict = 'accept' | 'latched-first' | 'moved' | 'candidate';

export class SourceLatch {
  /** Address/port we send to and accept from. */
  address: string;
  port: number;
  private readonly sdpAddress: string;
  private readonly sdpPort: number;
  private readonly symmetric: boolean;
  private readonly relatchPackets: number;
  private readonly relatchSilenceMs: number;
  private readonly probesPerSecond: number;
  /** False until the first packet authenticates (from anywhere). */
  private confirmed = false;
  private lastCurrentMs = 0;
  private candidateAddress = '';
  private candidatePort = 0;
  private candidateCount = 0;
  private probeWindowStart = -Infinity;
  private probesInWindow = 0;

  constructor(address: string, port: number, options: LatchingOptions = {}) {
    this.address = address;
    this.port = port;
    this.sdpAddress = address;
    this.sdpPort = port;
    this.symmetric = (options.mode ?? 'symmetric') === 'symmetric';
    this.relatchPackets = Math.max(1, options.relatchPackets ?? 8);
    this.relatchSilenceMs = Math.max(0, options.relatchSilenceMs ?? 500);
    this.probesPerSecond = Math.max(0, options.probesPerSecond ?? 100);
  }

  /** True once a packet authenticated: the address is proven, not just signalled. */
  get isConfirmed(): boolean {
    return this.confirmed;
  }

  /** Whether we have somewhere to send (the SDP may carry 0.0.0.0 / port 0 for hold, RFC 3264 8.4). */
  get canSend(): boolean {
    return this.port !== 0 && this.address !== '0.0.0.0' && this.address !== '::';
  }

  admit(address: string, port: number, nowMs: number): LatchAdmit {
    if (port === this.port && address === this.address) return 'current';
    if (!this.symmetric) return 'ignore';
    if (nowMs - this.probeWindowStart >= 1000) {
      this.probeWindowStart = nowMs;
      this.probesInWindow = 0;
    }
    if (this.probesInWindow >= this.probesPerSecond) return 'ignore';
    this.probesInWindow++;
    return 'probe';
  }

  /** Called after a packet from (address, port) authenticated under the leg's SRTP key. */
  authenticated(address: string, port: number, nowMs: number): LatchVerdict {
    if (port === this.port && address === this.address) {
      this.confirmed = true;
      this.lastCurrentMs = nowMs;
      this.candidateCount = 0;
      return 'accept';
    }
    if (!this.confirmed) {
      // Rule 1: before anything authenticated, the first authentic packet decides.
      this.moveTo(address, port, nowMs);
      return 'latched-first';
    }
    // Rule 2: a new source needs N authentic packets while the current one is silent M ms.
    if (port !== this.candidatePort || address !== this.candidateAddress) {
      this.candidateAddress = address;
      this.candidatePort = port;
      this.candidateCount = 0;
    }
    this.candidateCount++;
    if (this.candidateCount >= this.relatchPackets && nowMs - this.lastCurrentMs >= this.relatchSilenceMs) {
      this.moveTo(address, port, nowMs);
      return 'moved';
    }
    return 'candidate';
  }

  /** True when the current address is the one the SDP signalled. */
  get atSdpAddress(): boolean {
    return this.address === this.sdpAddress && this.port === this.sdpPort;
  }

  private moveTo(address: string, port: number, nowMs: number): void {
    this.address = address;
    this.port = port;
    this.confirmed = true;
    this.lastCurrentMs = nowMs;
    this.candidateAddress = '';
    this.candidatePort = 0;
    this.candidateCount = 0;
  }
}
