/**
 * The keys and peer address of an SDES leg (media-leg.ts), and their replacement by a re-INVITE:
 * an inbound SRTP session under the PEER's key (its a=crypto, RFC 4568), an outbound one under
 * OURS, and the source latches (docs/media-latching.md) started at the peer's SDP address.
 *
 * Re-keying (RFC 4568 7.1.4, RFC 3264 8.3.1; src/app/reinvite.ts): `rekey()` swaps the receive
 * and/or send context and restarts the source latch at a new SDP address in one synchronous
 * step; the previous receive context and source stay usable for a short grace window
 * (leg-rekey.ts says why and when it ends; the leg's receive path applies it).
 */
import { createSrtpSession } from '../../core/srtp/index.ts';
import type { SrtpMasterKeyConfig, SrtpSession, SrtpSuiteName } from '../../core/srtp/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { LegStreamRekey } from '../../ports/media-plane.ts';
import { RekeyGrace } from './leg-rekey.ts';
import type { LatchingOptions, RemoteEndpoint } from './media-types.ts';
import { SourceLatch } from './source-latch.ts';

export interface SdesKeysInit {
  readonly suite: SrtpSuiteName;
  readonly remoteKey: SrtpMasterKeyConfig;
  readonly localKey: SrtpMasterKeyConfig;
  readonly remote: RemoteEndpoint;
  readonly latching: LatchingOptions | undefined;
  readonly replayWindow: number | undefined;
  /** The leg has an RTCP socket of its own (no rtcp-mux, RFC 5761), so an RTCP latch too. */
  readonly rtcpSocket: boolean;
}

/** What a rekey changed (for the log; no key material). */
export interface SdesRekeyed {
  readonly receiveKey: boolean;
  readonly sendKey: boolean;
  readonly suite: SrtpSuiteName;
  readonly moved: boolean;
}

export class SdesKeys {
  #srtpIn: SrtpSession;
  #srtpOut: SrtpSession;
  #suite: SrtpSuiteName;
  /** The peer's SDP endpoint (c=, m=, a=rtcp) the latches started from. */
  #remote: RemoteEndpoint;
  #rtpLatch: SourceLatch;
  #rtcpLatch: SourceLatch | null;
  /** After a rekey: the previous receive context / source, for late packets (leg-rekey.ts). */
  #grace: RekeyGrace | null = null;
  readonly #replayWindow: { readonly replayWindow?: number };
  readonly #latching: LatchingOptions | undefined;
  readonly #rtcpSocket: boolean;

  constructor(o: SdesKeysInit) {
    const window = o.replayWindow === undefined ? {} : { replayWindow: o.replayWindow };
    this.#replayWindow = window;
    this.#suite = o.suite;
    this.#latching = o.latching;
    this.#rtcpSocket = o.rtcpSocket;
    this.#remote = o.remote;
    this.#srtpIn = createSrtpSession({ suite: o.suite, ...o.remoteKey, ...window });
    this.#srtpOut = createSrtpSession({ suite: o.suite, ...o.localKey, ...window });
    this.#rtpLatch = new SourceLatch(o.remote.address, o.remote.rtpPort, o.latching);
    this.#rtcpLatch = o.rtcpSocket ? new SourceLatch(o.remote.address, o.remote.rtcpPort, o.latching) : null;
  }

  /** Verifies and decrypts what the peer sends. */
  get srtpIn(): SrtpSession {
    return this.#srtpIn;
  }

  /** Protects what we send. */
  get srtpOut(): SrtpSession {
    return this.#srtpOut;
  }

  /** The suite the leg protects and verifies with now. */
  get suite(): SrtpSuiteName {
    return this.#suite;
  }

  /** Where RTP comes from and goes to (the latched or SDP address). */
  get rtpLatch(): SourceLatch {
    return this.#rtpLatch;
  }

  /** The RTCP port's latch, or null with rtcp-mux. */
  get rtcpLatch(): SourceLatch | null {
    return this.#rtcpLatch;
  }

  /** The grace window after a rekey, or null. */
  get grace(): RekeyGrace | null {
    return this.#grace;
  }

  /** The latch a datagram from this socket is checked against. */
  latchFor(rtcpSocket: boolean): SourceLatch {
    return rtcpSocket && this.#rtcpLatch !== null ? this.#rtcpLatch : this.#rtpLatch;
  }

  /** Whether (address, port) is the source `latch` had before a rekey moved it, during the grace window. */
  fromPrevious(address: string, port: number, latch: SourceLatch): boolean {
    return this.#grace !== null && this.#grace.fromPrevious(address, port, latch !== this.#rtpLatch);
  }

  /** One packet accepted under the grace rule; the window closes when its packets are used up. */
  graceUsed(grace: RekeyGrace): void {
    grace.used();
    if (!grace.active && this.#grace === grace) this.#grace = null;
  }

  /** The peer has switched to the new context or source: no more grace. */
  endGrace(): void {
    this.#grace = null;
  }

  /**
   * A re-INVITE changed keys and/or the peer's address (src/app/reinvite.ts); all built first,
   * then swapped in one synchronous step, so a bad key throws before anything changed.
   * remoteKey: new receive context (RFC 4568 7.1.4: ROC 0, empty replay window), the old one
   * kept for the grace window (leg-rekey.ts). localKey: new send context, our SSRC and
   * sequence continue. remote (RFC 3264 8.3.1): both latches restart unconfirmed at the new
   * SDP address (docs/media-latching.md rule 3); the old source can never latch back.
   */
  rekey(u: LegStreamRekey, gracePackets: number): SdesRekeyed {
    const suite = u.suite ?? this.#suite;
    if (suite !== this.#suite && (u.remoteKey === undefined || u.localKey === undefined)) {
      throw new GatehouseError('internal', 'MEDIA_REKEY_SUITE_KEYS', 'changing the SRTP suite needs new keys for both directions');
    }
    const nextIn = u.remoteKey === undefined ? null : createSrtpSession({ suite, ...u.remoteKey, ...this.#replayWindow });
    const nextOut = u.localKey === undefined ? null : createSrtpSession({ suite, ...u.localKey, ...this.#replayWindow });
    const r = u.remote;
    const moved = r !== undefined && (r.address !== this.#remote.address || r.rtpPort !== this.#remote.rtpPort || r.rtcpPort !== this.#remote.rtcpPort);
    if (nextIn !== null || moved) {
      const rtp = moved ? { address: this.#rtpLatch.address, port: this.#rtpLatch.port } : null;
      const rtcp = moved && this.#rtcpLatch !== null ? { address: this.#rtcpLatch.address, port: this.#rtcpLatch.port } : null;
      this.#grace = new RekeyGrace(nextIn === null ? null : this.#srtpIn, rtp, rtcp, gracePackets);
    }
    if (nextIn !== null) this.#srtpIn = nextIn;
    if (nextOut !== null) this.#srtpOut = nextOut;
    this.#suite = suite;
    if (moved) {
      this.#remote = r;
      this.#rtpLatch = new SourceLatch(r.address, r.rtpPort, this.#latching);
      this.#rtcpLatch = this.#rtcpSocket ? new SourceLatch(r.address, r.rtcpPort, this.#latching) : null;
    }
    return { receiveKey: nextIn !== null, sendKey: nextOut !== null, suite, moved };
  }
}

/**
 * Throws what SdesKeys.rekey would throw for `u` on a stream now on `suite`, changing nothing:
 * a leg whose audio and video streams re-key together (media-plane.ts handle()) checks both
 * before it switches either, so one bad part leaves both streams as they were.
 */
export function checkRekey(suite: SrtpSuiteName, u: LegStreamRekey): void {
  const next = u.suite ?? suite;
  if (next !== suite && (u.remoteKey === undefined || u.localKey === undefined)) {
    throw new GatehouseError('internal', 'MEDIA_REKEY_SUITE_KEYS', 'changing the SRTP suite needs new keys for both directions');
  }
  if (u.remoteKey !== undefined) createSrtpSession({ suite: next, ...u.remoteKey });
  if (u.localKey !== undefined) createSrtpSession({ suite: next, ...u.localKey });
}
