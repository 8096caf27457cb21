/**
 * An SDES-SRTP SIP media leg (RFC 4568 keys, RFC 3711 / RFC 7714 transforms): one audio
 * m-line, its RTP socket and RTCP socket (or one socket with rtcp-mux, RFC 5761) from the
 * MediaPortAllocator, an inbound SRTP session under the PEER's key (its a=crypto) and an
 * outbound one under OURS (sdes-keys.ts).
 *
 * Receive path, per datagram, never throwing out of the socket handler:
 *   RFC 7983 first octet (128-191 only) -> RFC 5761 RTP/RTCP split -> source latch admit
 *   (docs/media-latching.md) -> SRTP unprotect into the leg's receive buffer -> latch verdict
 *   -> RTP header parse into the leg's reusable view -> negotiated PT? -> statistics -> room
 *   (the last steps are every leg's, room-leg-base.ts).
 * Send path: RtpStreamRewriter (our SSRC, continuous seq/ts, RFC 7667 3.5) -> SRTP protect into
 * a send-pool buffer -> socket send (media-socket.ts) to the latched address.
 * Every dropped packet is counted by reason (src/metrics/media.ts) and on the leg.
 *
 * Re-keying (RFC 4568 7.1.4, RFC 3264 8.3.1; src/app/reinvite.ts): `rekey()` swaps the receive
 * and/or send context and restarts the source latch at a new SDP address in one synchronous
 * step (sdes-keys.ts); the previous receive context and source stay usable for a short grace
 * window (leg-rekey.ts says why and when it ends), applied by `unprotect` below.
 */
import type { RemoteInfo } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isRtcpPacket } from '../../core/rtp/demux.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import type { SrtpSuiteName } from '../../core/srtp/index.ts';
import { countIn, countOut, mediaLatchEvents } from '../../metrics/media.ts';
import type { LegRekey } from '../../ports/media-plane.ts';
import { DEFAULT_REKEY_GRACE_PACKETS } from './leg-rekey.ts';
import { sendPool, sharedReceiveBuffer } from './buffers.ts';
import type { TxSlot } from './buffers.ts';
import { LegSockets } from './leg-sockets.ts';
import type { MediaSocket } from './media-socket.ts';
import { peerReceives } from './media-types.ts';
import type { RoomVideo } from './media-types.ts';
import { PERFORMANCE_CLOCK, RoomLegBase, SILENT_LOGGER, sipSendFormat } from './room-leg-base.ts';
import { SdesKeys } from './sdes-keys.ts';
import type { LegCounters, SdesMediaLegOptions } from './sdes-leg-options.ts';
import type { MediaPorts } from './port-allocator.ts';
import type { LatchAdmit, SourceLatch } from './source-latch.ts';

export type { LegCounters, SdesMediaLegOptions } from './sdes-leg-options.ts';

/** Largest SRTP/SRTCP trailer we add: 16-octet GCM tag (+ 4-octet SRTCP index) + MKI up to 128. */
const MAX_TRAILER = 16 + 4 + 128;

export class SdesMediaLeg extends RoomLegBase<'sip-sdes'> {
  private readonly ports: MediaPorts;
  private readonly keys: SdesKeys;
  private readonly sockets: LegSockets;
  private readonly rx = sharedReceiveBuffer;
  private loggedInternal = false;
  /** The leg's video stream (its own SDES leg, sdes-video.ts), closed with it. */
  video: RoomVideo | null = null;

  /**
   * RFC 3264 8.2: the peer disabled the video m-line. The leg forgets its video stream and the
   * room's video router its membership at once; the caller closes the returned stream.
   */
  dropVideo(): RoomVideo | null {
    const v = this.video;
    this.video = null;
    if (v !== null) this.sink?.onVideoGone?.(this);
    return v;
  }

  constructor(o: SdesMediaLegOptions) {
    const clock = o.clock ?? PERFORMANCE_CLOCK;
    super({
      id: o.id,
      kind: 'sip-sdes',
      ssrc: randomInt(1, 0xffffffff),
      formats: o.formats,
      sendFormat: sipSendFormat(o.formats, o.sendPayloadType),
      direction: o.direction ?? 'sendrecv',
      mediaTimeoutMs: o.mediaTimeoutMs ?? (o.stream === 'video' ? 0 : 30_000),
      rtcpIntervalMs: o.rtcpIntervalMs,
      markOnSwitch: o.stream !== 'video',
      countsAsLeg: o.stream !== 'video',
      clock,
      log: (o.logger ?? SILENT_LOGGER).child({ legId: o.id }),
    });
    this.ports = o.ports;
    this.keys = new SdesKeys({ suite: o.suite, remoteKey: o.remoteKey, localKey: o.localKey, remote: o.remote, latching: o.latching, replayWindow: o.replayWindow, rtcpSocket: o.ports.rtcp !== null });
    this.sockets = new LegSockets(o.ports, this.log, (msg, rinfo, rtcpSocket) => this.receive(msg, rinfo, rtcpSocket), (reason) => this.drop(reason));
    this.opened();
  }

  get localRtpPort(): number {
    return this.ports.rtpPort;
  }

  get localRtcpPort(): number {
    return this.ports.rtcpPort;
  }

  /** Where we currently send RTP (the latched or SDP address). */
  get rtpDestination(): { readonly address: string; readonly port: number; readonly confirmed: boolean } {
    const latch = this.keys.rtpLatch;
    return { address: latch.address, port: latch.port, confirmed: latch.isConfirmed };
  }

  /** The next packet sent starts a new rewriter epoch even with the same SSRC (RtpStreamRewriter). */
  resetSource(): void {
    this.rewriter.resetSource();
  }

  /** The peer's streams' highest authenticated SRTP indexes (takeover: CallLeg.inbound). */
  inboundIndexes(): { ssrc: number; index: number }[] {
    return this.keys.srtpIn.inboundIndexes();
  }

  /** Continue the peer's streams from stored indexes (takeover with its key unchanged). */
  primeInbound(streams: readonly { readonly ssrc: number; readonly index: number }[]): void {
    for (const s of streams) this.keys.srtpIn.primeInbound(s.ssrc, s.index);
  }

  counters(): LegCounters {
    return { rtpIn: this.rtpIn, rtpOut: this.rtpOut, rtcpIn: this.rtcpIn, rtcpOut: this.rtcpOut, drops: this.drops.snapshot() };
  }

  private receive(msg: Buffer, rinfo: RemoteInfo, fromRtcpSocket: boolean): void {
    if (this.closed) return;
    try {
      const now = this.clock.now();
      const b0 = msg[0] ?? 0;
      // RFC 7983 s7: 128..191 is RTP/RTCP; STUN/DTLS/ZRTP/TURN have no business on an SDES leg
      if (b0 < 128 || b0 > 191) return this.drop('not-rtp');
      const latch = this.keys.latchFor(fromRtcpSocket);
      const admit = latch.admit(rinfo.address, rinfo.port, now);
      // after a move, the old source may still send for a moment (leg-rekey.ts)
      if (admit === 'ignore' && !this.keys.fromPrevious(rinfo.address, rinfo.port, latch)) return this.drop('wrong-source');
      if (fromRtcpSocket || isRtcpPacket(msg)) this.receiveRtcp(msg, rinfo, latch, admit, now);
      else this.receiveRtp(msg, rinfo, latch, admit, now);
    } catch (err) {
      this.drop('internal-error');
      if (!this.loggedInternal) {
        this.loggedInternal = true;
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'media receive path failed (packet dropped)');
      }
    }
  }

  private latched(latch: SourceLatch, rinfo: RemoteInfo, probe: boolean, now: number): boolean {
    const verdict = latch.authenticated(rinfo.address, rinfo.port, now);
    if (verdict === 'accept') return true;
    if (verdict === 'candidate') {
      this.drop('wrong-source');
      return false;
    }
    const how = verdict === 'moved' ? 'moved' : 'first';
    const proto = latch === this.keys.rtpLatch ? 'rtp' : 'rtcp';
    mediaLatchEvents.inc({ event: how === 'moved' ? 'relatched' : 'latched' });
    this.log.info({ proto, how, probe }, 'media source latched');
    this.sink?.onLatched(this, proto, how, rinfo.address, rinfo.port);
    return true;
  }

  /**
   * Unprotects into the receive buffer and applies the latch: the plain length, or -1 when the
   * packet was dropped (counted). Without a rekey in progress this is unprotect + `latched`.
   */
  private unprotect(msg: Buffer, rinfo: RemoteInfo, latch: SourceLatch, admit: LatchAdmit, rtcp: boolean, now: number): number {
    const keys = this.keys;
    const grace = keys.grace;
    const fromOld = keys.fromPrevious(rinfo.address, rinfo.port, latch);
    const r = rtcp ? keys.srtpIn.unprotectRtcp(msg, this.rx.buffer) : keys.srtpIn.unprotectRtp(msg, this.rx.buffer);
    if (r.ok) {
      if (grace !== null && fromOld && grace.previousIn === null) {
        // only the address changed: a late packet from the old source, forwarded, never latched
        keys.graceUsed(grace);
        return r.length;
      }
      if (admit === 'ignore') {
        // strict latching let it through only for the grace rule, which does not cover new keys
        this.drop('wrong-source');
        return -1;
      }
      // authenticated under the new context (or from a new source): the peer has switched
      if (grace !== null) keys.endGrace();
      return this.latched(latch, rinfo, admit === 'probe', now) ? r.length : -1;
    }
    if (grace !== null && grace.previousIn !== null && (fromOld || admit === 'current')) {
      const old = rtcp ? grace.previousIn.unprotectRtcp(msg, this.rx.buffer) : grace.previousIn.unprotectRtp(msg, this.rx.buffer);
      if (old.ok) {
        keys.graceUsed(grace);
        return old.length;
      }
    }
    this.drop(admit === 'current' ? r.reason : 'wrong-source');
    return -1;
  }

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo, latch: SourceLatch, admit: LatchAdmit, now: number): void {
    const length = this.unprotect(msg, rinfo, latch, admit, false, now);
    if (length < 0) return;
    this.deliverRtp(this.rx.view(length), now);
  }

  private receiveRtcp(msg: Buffer, rinfo: RemoteInfo, latch: SourceLatch, admit: LatchAdmit, now: number): void {
    const length = this.unprotect(msg, rinfo, latch, admit, true, now);
    if (length < 0) return;
    this.rtcpIn++;
    countIn(this.kindIndex, true);
    const ok = this.rtcp.onRtcp(this.rx.view(length), now, (mediaSsrc) => this.sink?.onKeyFrameRequest(this, mediaSsrc));
    if (!ok) this.drop('malformed-rtcp');
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    const latch = this.keys.rtpLatch;
    if (this.closed || !peerReceives(this.activity.direction) || !latch.canSend) return false;
    if (!this.rewriteForSend(packet, view, nowMs)) return false;
    const slot = sendPool.acquire(packet.length + MAX_TRAILER, this.onSendError);
    const r = this.keys.srtpOut.protectRtp(packet, slot.buffer);
    if (!r.ok) {
      sendPool.release(slot);
      this.drop(r.reason);
      return false;
    }
    if (!this.transmit(this.ports.rtp, slot, r.length, latch)) return false;
    this.rtpSent(packet, view, nowMs);
    return true;
  }

  private transmit(socket: MediaSocket, slot: TxSlot, length: number, to: SourceLatch): boolean {
    try {
      socket.send(slot.buffer, length, to.port, to.address, slot.done);
      return true;
    } catch {
      sendPool.release(slot);
      this.drop('send-failed');
      return false;
    }
  }

  private readonly onSendError = (): void => {
    this.drop('send-failed');
  };

  /** Sends a protected compound RTCP packet to the peer's RTCP destination. */
  protected sendRtcp(plain: Uint8Array): void {
    const latch = this.keys.rtcpLatch ?? this.keys.rtpLatch;
    if (this.closed || !latch.canSend) return;
    const slot = sendPool.acquire(plain.length + MAX_TRAILER, this.onSendError);
    const r = this.keys.srtpOut.protectRtcp(plain, slot.buffer);
    if (!r.ok) {
      sendPool.release(slot);
      return this.drop(r.reason);
    }
    if (!this.transmit(this.ports.rtcp ?? this.ports.rtp, slot, r.length, latch)) return;
    this.rtcpOut++;
    countOut(this.kindIndex, true);
  }

  /** The suite the leg protects and verifies with now. */
  get srtpSuite(): SrtpSuiteName {
    return this.keys.suite;
  }

  /** A re-INVITE changed keys and/or the peer's address (src/app/reinvite.ts; SdesKeys.rekey says how). */
  rekey(u: LegRekey, gracePackets: number = DEFAULT_REKEY_GRACE_PACKETS): void {
    if (this.closed) return;
    const r = this.keys.rekey(u, gracePackets);
    this.log.info({ receiveKey: r.receiveKey, sendKey: r.sendKey, suite: r.suite, moved: r.moved }, 'SDES leg re-keyed');
  }

  async close(): Promise<void> {
    if (!this.shut()) return;
    this.sockets.detach();
    await Promise.all([this.ports.release(), this.video?.close()]);
  }
}
