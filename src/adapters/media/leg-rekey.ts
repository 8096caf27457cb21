/**
 * What an SDES leg keeps of its previous keys and peer address for a short while after a
 * re-keying re-INVITE (src/app/reinvite.ts, SdesMediaLeg.rekey).
 *
 * Why a grace window: the switch happens when we answer the re-INVITE, but the peer's packets
 * do not switch at that instant. RFC 4568 7.1.4: the offerer keeps sending under its old
 * parameters until it has our answer (and media may even arrive before the answer is
 * processed), so SRTP/SRTCP under the old key, and from the old source address, is still in
 * flight for a round trip or so after our switch. Dropping it would cut a short hole in the
 * audio for no security gain: those packets authenticate under the OLD context (only the
 * genuine peer holds that key) and pass its replay window.
 *
 * The grace ends at whichever comes first:
 *   - `packets` packets were accepted under the grace rule (default 64, ~1.3 s of 20 ms audio);
 *   - a packet authenticated under the NEW receive context (key changed) or, when only the
 *     address changed, from a source other than the old one: the peer has switched, anything
 *     still old is late and dropped as usual.
 * Packets accepted under the grace rule are forwarded but never touch the source latch: a
 * late packet from the old address must not latch the stream back there
 * (docs/media-latching.md rule 3 restarts at the new SDP address).
 */
import type { SrtpSession } from '../../core/srtp/index.ts';

export const DEFAULT_REKEY_GRACE_PACKETS = 64;

export interface PreviousEndpoint {
  readonly address: string;
  readonly port: number;
}

export class RekeyGrace {
  /** The previous receive context when the peer's key changed, else null (same context). */
  readonly previousIn: SrtpSession | null;
  private readonly rtp: PreviousEndpoint | null;
  private readonly rtcp: PreviousEndpoint | null;
  private remaining: number;

  constructor(previousIn: SrtpSession | null, rtp: PreviousEndpoint | null, rtcp: PreviousEndpoint | null, packets = DEFAULT_REKEY_GRACE_PACKETS) {
    this.previousIn = previousIn;
    this.rtp = rtp;
    this.rtcp = rtcp;
    this.remaining = Math.max(0, packets);
  }

  get active(): boolean {
    return this.remaining > 0;
  }

  /** Whether (address, port) is where the peer sent from before the switch (RTP or RTCP latch). */
  fromPrevious(address: string, port: number, rtcpLatch: boolean): boolean {
    const p = rtcpLatch ? this.rtcp : this.rtp;
    return p !== null && p.port === port && p.address === address;
  }

  /** One packet accepted under the grace rule. */
  used(): void {
    if (this.remaining > 0) this.remaining--;
  }

  /** The peer has switched: no more grace. */
  end(): void {
    this.remaining = 0;
  }
}
