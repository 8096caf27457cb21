/**
 * An SDES-SRTP SIP media leg (RFC 4568 keys, RFC 3711 / RFC 7714 transforms): one audio
 * m-line, its RTP socket and RTCP socket (or one socket with rtcp-mux, RFC 5761) from the
 * MediaPortAllocator, an inbound SRTP session under the PEER's key (its a=crypto) and an
 * outbound one under OURS.
 *
 * Receive path, per datagram, never throwing out of the socket handler:
 *   RFC 7983 first octet (128-191 only) -> RFC 5761 RTP/RTCP split -> source latch admit
 *   (docs/media-latching.md) -> SRTP unprotect into the leg's receive buffer -> latch verdict
 *   -> RTP header parse into the leg's reusable view -> negotiated PT? -> statistics -> room.
 * Send path: RtpStreamRewriter (our SSRC, continuous seq/ts, RFC 7667 3.5) -> SRTP protect into
 * a send-ring buffer -> dgram send to the latched address.
 * Every dropped packet is counted by reason (src/metrics/media.ts) and on the leg.
 *
 * Re-keying (RFC 4568 7.1.4, RFC 3264 8.3.1; src/app/reinvite.ts): `rekey()` swaps the receive
 * and/or send context and restarts the source latch at a new SDP address in one synchronous
 * step; the previous receive context and source stay usable for a short grace window
 * (leg-rekey.ts says why and when it ends).
 */
import { LegActivity } from './leg-activity.ts';
import { LegDrops } from './leg-drops.ts';
import type { RemoteInfo, Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isRtcpPacket } from '../../core/rtp/demux.ts';
import { writeFir, writePli } from '../../core/rtp/rtcp-serialize.ts';
import { RtpHeaderView, parseRtpHeaderInto, readU32 } from '../../core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../core/rtp/rtp-stream-rewriter.ts';
import { createSrtpSession } from '../../core/srtp/index.ts';
import type { SrtpSession, SrtpSuiteName } from '../../core/srtp/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { countIn, countOut, flushMediaMetrics, legKindIndex, mediaLatchEvents, mediaLegsActive } from '../../metrics/media.ts';
import type { MediaDropReason } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { LegRekey } from '../../ports/media-plane.ts';
import { DEFAULT_REKEY_GRACE_PACKETS, RekeyGrace } from './leg-rekey.ts';
import { isTelephoneEvent } from './audio-codec.ts';
import { SendPool, sendPool, sharedReceiveBuffer } from './buffers.ts';
import type { TxSlot } from './buffers.ts';
import { LegRtcp } from './leg-rtcp.ts';
import { peerReceives, peerSends } from './media-types.ts';
import type { LatchingOptions, LegSink, MediaDirection, PayloadFormat, RemoteEndpoint, RoomLeg, RoomVideo } from './media-types.ts';
import type { LegCounters, SdesMediaLegOptions } from './sdes-leg-options.ts';
import type { MediaPorts } from './port-allocator.ts';
import { SourceLatch, type LatchAdmit } from './source-latch.ts';

export type { LegCounters, SdesMediaLegOptions } from './sdes-leg-options.ts';

/** Largest SRTP/SRTCP trailer we add: 16-octet GCM tag (+ 4-octet SRTCP index) + MKI up to 128. */
const MAX_TRAILER = 16 + 4 + 128;
const SILENT_LOGGER: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT_LOGGER };
const PERFORMANCE_CLOCK: Clock = { now: () => performance.now() };

function pickSendFormat(formats: readonly PayloadFormat[], pt: number | undefined): PayloadFormat {
  const f = pt === undefined ? formats.find((x) => !isTelephoneEvent(x) && x.name.toUpperCase() !== 'CN') : formats.find((x) => x.pt === pt);
  if (f === undefined) throw new GatehouseError('config', 'MEDIA_NO_SEND_CODEC', 'media leg has no audio payload format to send', { sipStatus: 488 });
  return f;
}

export class SdesMediaLeg implements RoomLeg {
  readonly id: string;
  readonly kind = 'sip-sdes' as const;
  readonly ssrc: number;
  readonly sendFormat: PayloadFormat;
  readonly telephoneEventPt: number | null;
  private readonly activity: LegActivity;
  readonly rtcp: LegRtcp;
  private readonly kindIndex = legKindIndex('sip-sdes');
  private readonly ports: MediaPorts;
  private readonly formats: (PayloadFormat | undefined)[] = [];
  private srtpIn: SrtpSession;
  private srtpOut: SrtpSession;
  private suite: SrtpSuiteName;
  private readonly replayWindow: { readonly replayWindow?: number };
  private readonly latching: LatchingOptions | undefined;
  /** The peer's SDP endpoint (c=, m=, a=rtcp) the latches started from. */
  private remote: RemoteEndpoint;
  private rtpLatch: SourceLatch;
  private rtcpLatch: SourceLatch | null;
  /** After a rekey: the previous receive context / source, for late packets (leg-rekey.ts). */
  private grace: RekeyGrace | null = null;
  private readonly rx = sharedReceiveBuffer;
  private readonly view = new RtpHeaderView();
  private readonly rewriter: RtpStreamRewriter;
  private readonly clock: Clock;
  private readonly log: Logger;
  private sink: LegSink | null = null;
  private closed = false;
  private loggedInternal = false;
  private rtpIn = 0;
  private rtpOut = 0;
  private rtcpIn = 0;
  private rtcpOut = 0;
  private readonly drops = new LegDrops();
  private readonly countsAsLeg: boolean;
  /** The leg's video stream (its own SDES leg, sdes-video.ts), closed with it. */
  video: RoomVideo | null = null;

  constructor(o: SdesMediaLegOptions) {
    this.id = o.id;
    this.ports = o.ports;
    this.clock = o.clock ?? PERFORMANCE_CLOCK;
    this.log = (o.logger ?? SILENT_LOGGER).child({ legId: o.id });
    for (const f of o.formats) {
      if (!Number.isInteger(f.pt) || f.pt < 0 || f.pt > 127) throw new GatehouseError('config', 'MEDIA_BAD_PT', `payload type ${f.pt} is not 0..127`);
      this.formats[f.pt] = f;
    }
    this.sendFormat = pickSendFormat(o.formats, o.sendPayloadType);
    this.telephoneEventPt = o.formats.find((f) => isTelephoneEvent(f) && f.clockRate === this.sendFormat.clockRate)?.pt ?? null;
    const window = o.replayWindow === undefined ? {} : { replayWindow: o.replayWindow };
    this.replayWindow = window;
    this.suite = o.suite;
    this.latching = o.latching;
    this.remote = o.remote;
    this.srtpIn = createSrtpSession({ suite: o.suite, ...o.remoteKey, ...window });
    this.srtpOut = createSrtpSession({ suite: o.suite, ...o.localKey, ...window });
    this.rtpLatch = new SourceLatch(o.remote.address, o.remote.rtpPort, o.latching);
    this.rtcpLatch = o.ports.rtcp === null ? null : new SourceLatch(o.remote.address, o.remote.rtcpPort, o.latching);
    this.ssrc = randomInt(1, 0xffffffff);
    this.rewriter = new RtpStreamRewriter({
      ssrc: this.ssrc,
      clockRate: this.sendFormat.clockRate,
      initialSequence: randomInt(0, 0x10000),
      initialTimestamp: randomInt(0, 0xffffffff),
      markOnSwitch: o.stream !== 'video',
    });
    const now = this.clock.now();
    this.activity = new LegActivity(o.direction ?? 'sendrecv', o.mediaTimeoutMs ?? (o.stream === 'video' ? 0 : 30_000), now);
    this.countsAsLeg = o.stream !== 'video';
    this.rtcp = new LegRtcp(this.ssrc, this.sendFormat.clockRate, now, o.rtcpIntervalMs);
    o.ports.rtp.on('message', this.onRtpMessage);
    o.ports.rtp.on('error', this.onSocketError);
    o.ports.rtcp?.on('message', this.onRtcpMessage);
    o.ports.rtcp?.on('error', this.onSocketError);
    if (this.countsAsLeg) mediaLegsActive.inc({ kind: this.kind });
  }

  get direction(): MediaDirection {
    return this.activity.direction;
  }

  get localRtpPort(): number {
    return this.ports.rtpPort;
  }

  get localRtcpPort(): number {
    return this.ports.rtcpPort;
  }

  /** Where we currently send RTP (the latched or SDP address). */
  get rtpDestination(): { readonly address: string; readonly port: number; readonly confirmed: boolean } {
    return { address: this.rtpLatch.address, port: this.rtpLatch.port, confirmed: this.rtpLatch.isConfirmed };
  }

  format(pt: number): PayloadFormat | undefined {
    return this.formats[pt];
  }

  attach(sink: LegSink | null): void {
    this.sink = sink;
  }

  currentSource(): number | null {
    return this.rewriter.currentSource;
  }

  /** The next packet sent starts a new rewriter epoch even with the same SSRC (RtpStreamRewriter). */
  resetSource(): void {
    this.rewriter.resetSource();
  }

  receivesFrom(ssrc: number): boolean {
    return this.rtcp.receivesFrom(ssrc);
  }

  counters(): LegCounters {
    return { rtpIn: this.rtpIn, rtpOut: this.rtpOut, rtcpIn: this.rtcpIn, rtcpOut: this.rtcpOut, drops: this.drops.snapshot() };
  }

  private drop(reason: MediaDropReason): void {
    this.drops.count(reason);
  }

  private readonly onSocketError = (err: Error): void => {
    this.log.warn({ err: err.message }, 'media socket error');
  };

  private readonly onRtpMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.receive(msg, rinfo, false);
  };

  private readonly onRtcpMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.receive(msg, rinfo, true);
  };

  private receive(msg: Buffer, rinfo: RemoteInfo, fromRtcpSocket: boolean): void {
    if (this.closed) return;
    try {
      const now = this.clock.now();
      const b0 = msg[0] ?? 0;
      // RFC 7983 s7: 128..191 is RTP/RTCP; STUN/DTLS/ZRTP/TURN have no business on an SDES leg
      if (b0 < 128 || b0 > 191) return this.drop('not-rtp');
      const latch = fromRtcpSocket && this.rtcpLatch !== null ? this.rtcpLatch : this.rtpLatch;
      const admit = latch.admit(rinfo.address, rinfo.port, now);
      // after a move, the old source may still send for a moment (leg-rekey.ts)
      if (admit === 'ignore' && (this.grace === null || !this.grace.fromPrevious(rinfo.address, rinfo.port, latch !== this.rtpLatch))) return this.drop('wrong-source');
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
    const proto = latch === this.rtpLatch ? 'rtp' : 'rtcp';
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
    const grace = this.grace;
    const fromOld = grace !== null && grace.fromPrevious(rinfo.address, rinfo.port, latch !== this.rtpLatch);
    const r = rtcp ? this.srtpIn.unprotectRtcp(msg, this.rx.buffer) : this.srtpIn.unprotectRtp(msg, this.rx.buffer);
    if (r.ok) {
      if (grace !== null && fromOld && grace.previousIn === null) {
        // only the address changed: a late packet from the old source, forwarded, never latched
        this.graceUsed(grace);
        return r.length;
      }
      if (admit === 'ignore') {
        // strict latching let it through only for the grace rule, which does not cover new keys
        this.drop('wrong-source');
        return -1;
      }
      // authenticated under the new context (or from a new source): the peer has switched
      if (grace !== null) this.grace = null;
      return this.latched(latch, rinfo, admit === 'probe', now) ? r.length : -1;
    }
    if (grace !== null && grace.previousIn !== null && (fromOld || admit === 'current')) {
      const old = rtcp ? grace.previousIn.unprotectRtcp(msg, this.rx.buffer) : grace.previousIn.unprotectRtp(msg, this.rx.buffer);
      if (old.ok) {
        this.graceUsed(grace);
        return old.length;
      }
    }
    this.drop(admit === 'current' ? r.reason : 'wrong-source');
    return -1;
  }

  private graceUsed(grace: RekeyGrace): void {
    grace.used();
    if (!grace.active && this.grace === grace) this.grace = null;
  }

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo, latch: SourceLatch, admit: LatchAdmit, now: number): void {
    const length = this.unprotect(msg, rinfo, latch, admit, false, now);
    if (length < 0) return;
    const packet = this.rx.view(length);
    const view = this.view;
    if (parseRtpHeaderInto(packet, view) !== null) return this.drop('malformed-rtp');
    const fmt = this.formats[view.payloadType];
    if (fmt === undefined) return this.drop('unknown-payload-type');
    if (!peerSends(this.activity.direction)) return this.drop('direction');
    this.activity.rtpArrived(now);
    this.rtpIn++;
    countIn(this.kindIndex, false);
    this.rtcp.onRtpReceived(view, fmt.clockRate, now);
    this.sink?.onRtp(this, packet, view, now, now);
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
    if (this.closed || !peerReceives(this.activity.direction) || !this.rtpLatch.canSend) return false;
    if (this.rewriter.rewrite(packet, view, nowMs) === 'stale') {
      this.drop('stale');
      return false;
    }
    const slot = sendPool.acquire(packet.length + MAX_TRAILER, this.onSendError);
    const r = this.srtpOut.protectRtp(packet, slot.buffer);
    if (!r.ok) {
      sendPool.release(slot);
      this.drop(r.reason);
      return false;
    }
    if (!this.transmit(this.ports.rtp, slot, r.length, this.rtpLatch)) return false;
    this.rtpOut++;
    countOut(this.kindIndex, false);
    this.rtcp.onRtpSent(readU32(packet, 4), view.payloadLength, nowMs);
    return true;
  }

  private transmit(socket: Socket, slot: TxSlot, length: number, to: SourceLatch): boolean {
    try {
      socket.send(SendPool.sendView(slot, length), to.port, to.address, slot.done);
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
  private sendRtcp(plain: Uint8Array): void {
    const latch = this.rtcpLatch ?? this.rtpLatch;
    if (this.closed || !latch.canSend) return;
    const slot = sendPool.acquire(plain.length + MAX_TRAILER, this.onSendError);
    const r = this.srtpOut.protectRtcp(plain, slot.buffer);
    if (!r.ok) {
      sendPool.release(slot);
      return this.drop(r.reason);
    }
    if (!this.transmit(this.ports.rtcp ?? this.ports.rtp, slot, r.length, latch)) return;
    this.rtcpOut++;
    countOut(this.kindIndex, true);
  }

  /** PLI (RFC 4585 6.3.1), or FIR (RFC 5104 4.3.1) with this command sequence number. */
  requestKeyFrame(sourceSsrc: number, firSequence?: number): void {
    // RFC 4585 3.1 / RFC 3550 6.1: feedback travels in a compound packet that starts with a report
    const report = this.rtcp.buildReport(this.clock.now(), Date.now());
    const out = new Uint8Array(report.length + (firSequence === undefined ? 12 : 20));
    out.set(report, 0);
    if (firSequence === undefined) writePli(out, report.length, this.ssrc, sourceSsrc);
    else writeFir(out, report.length, this.ssrc, [{ ssrc: sourceSsrc, sequenceNumber: firSequence & 0xff }]);
    this.sendRtcp(out);
  }

  housekeeping(nowMs: number, wallclockMs: number): void {
    if (this.closed) return;
    if (this.rtcp.due(nowMs)) this.sendRtcp(this.rtcp.buildReport(nowMs, wallclockMs));
  }

  /** Returns how long the leg has been silent when the media timeout newly fires, else null. */
  mediaTimeout(nowMs: number): number | null {
    return this.closed ? null : this.activity.timedOut(nowMs);
  }

  updateDirection(direction: MediaDirection, nowMs: number): void {
    this.activity.update(direction, nowMs);
  }

  /** The suite the leg protects and verifies with now. */
  get srtpSuite(): SrtpSuiteName {
    return this.suite;
  }

  /**
   * A re-INVITE changed keys and/or the peer's address (src/app/reinvite.ts); all built first,
   * then swapped in one synchronous step, so a bad key throws before anything changed.
   * remoteKey: new receive context (RFC 4568 7.1.4: ROC 0, empty replay window), the old one
   * kept for the grace window (leg-rekey.ts). localKey: new send context, our SSRC and
   * sequence continue. remote (RFC 3264 8.3.1): both latches restart unconfirmed at the new
   * SDP address (docs/media-latching.md rule 3); the old source can never latch back.
   */
  rekey(u: LegRekey, gracePackets: number = DEFAULT_REKEY_GRACE_PACKETS): void {
    if (this.closed) return;
    const suite = u.suite ?? this.suite;
    if (suite !== this.suite && (u.remoteKey === undefined || u.localKey === undefined)) {
      throw new GatehouseError('internal', 'MEDIA_REKEY_SUITE_KEYS', 'changing the SRTP suite needs new keys for both directions');
    }
    const nextIn = u.remoteKey === undefined ? null : createSrtpSession({ suite, ...u.remoteKey, ...this.replayWindow });
    const nextOut = u.localKey === undefined ? null : createSrtpSession({ suite, ...u.localKey, ...this.replayWindow });
    const r = u.remote;
    const moved = r !== undefined && (r.address !== this.remote.address || r.rtpPort !== this.remote.rtpPort || r.rtcpPort !== this.remote.rtcpPort);
    if (nextIn !== null || moved) {
      const rtp = moved ? { address: this.rtpLatch.address, port: this.rtpLatch.port } : null;
      const rtcp = moved && this.rtcpLatch !== null ? { address: this.rtcpLatch.address, port: this.rtcpLatch.port } : null;
      this.grace = new RekeyGrace(nextIn === null ? null : this.srtpIn, rtp, rtcp, gracePackets);
    }
    if (nextIn !== null) this.srtpIn = nextIn;
    if (nextOut !== null) this.srtpOut = nextOut;
    this.suite = suite;
    if (moved) {
      this.remote = r;
      this.rtpLatch = new SourceLatch(r.address, r.rtpPort, this.latching);
      this.rtcpLatch = this.ports.rtcp === null ? null : new SourceLatch(r.address, r.rtcpPort, this.latching);
    }
    this.log.info({ receiveKey: nextIn !== null, sendKey: nextOut !== null, suite, moved }, 'SDES leg re-keyed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sink = null;
    this.ports.rtp.off('message', this.onRtpMessage);
    this.ports.rtcp?.off('message', this.onRtcpMessage);
    if (this.countsAsLeg) mediaLegsActive.dec({ kind: this.kind });
    flushMediaMetrics();
    await Promise.all([this.ports.release(), this.video?.close()]);
  }
}
