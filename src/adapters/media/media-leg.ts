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
 */
import { LegActivity } from './leg-activity.ts';
import { LegDrops } from './leg-drops.ts';
import type { RemoteInfo, Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isRtcpPacket } from '../../core/rtp/demux.ts';
import { writePli } from '../../core/rtp/rtcp-serialize.ts';
import { RtpHeaderView, parseRtpHeaderInto, readU32 } from '../../core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../core/rtp/rtp-stream-rewriter.ts';
import { createSrtpSession } from '../../core/srtp/index.ts';
import type { SrtpMasterKeyConfig, SrtpSession, SrtpSuiteName } from '../../core/srtp/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { countIn, countOut, flushMediaMetrics, legKindIndex, mediaLatchEvents, mediaLegsActive } from '../../metrics/media.ts';
import type { MediaDropReason } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { isTelephoneEvent } from './audio-codec.ts';
import { SendPool, sendPool, sharedReceiveBuffer } from './buffers.ts';
import type { TxSlot } from './buffers.ts';
import { LegRtcp } from './leg-rtcp.ts';
import { peerReceives, peerSends } from './media-types.ts';
import type { LatchingOptions, LegSink, MediaDirection, PayloadFormat, RemoteEndpoint, RoomLeg } from './media-types.ts';
import type { MediaPorts } from './port-allocator.ts';
import { SourceLatch } from './source-latch.ts';

export interface SdesMediaLegOptions {
  readonly id: string;
  /** Sockets from MediaPortAllocator.allocate(); `ports.rtcp === null` means rtcp-mux. The leg releases them on close. */
  readonly ports: MediaPorts;
  /** The negotiated SDES suite (one a=crypto line chosen by crypto-policy). */
  readonly suite: SrtpSuiteName;
  /** The peer's key (its a=crypto): verifies and decrypts what it sends. */
  readonly remoteKey: SrtpMasterKeyConfig;
  /** Our key (our a=crypto): protects what we send. */
  readonly localKey: SrtpMasterKeyConfig;
  /** c= address and m= port of the peer's SDP (rtcpPort: a=rtcp, port + 1, or rtpPort with rtcp-mux). */
  readonly remote: RemoteEndpoint;
  /** Negotiated payload types of the audio m-line. */
  readonly formats: readonly PayloadFormat[];
  /** PT we send audio with; default: the first format that is not telephone-event or CN. */
  readonly sendPayloadType?: number;
  readonly direction?: MediaDirection;
  readonly latching?: LatchingOptions;
  /** No RTP for this long while the peer is sendrecv -> media-timeout. Default 30 s; 0 disables. */
  readonly mediaTimeoutMs?: number;
  /** RTCP report interval (RFC 3550 6.2). Default 5000 ms; tests use less. */
  readonly rtcpIntervalMs?: number;
  readonly replayWindow?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface LegCounters {
  readonly rtpIn: number;
  readonly rtpOut: number;
  readonly rtcpIn: number;
  readonly rtcpOut: number;
  readonly drops: Readonly<Partial<Record<MediaDropReason, number>>>;
}

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
  private readonly srtpIn: SrtpSession;
  private readonly srtpOut: SrtpSession;
  private readonly rtpLatch: SourceLatch;
  private readonly rtcpLatch: SourceLatch | null;
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
      markOnSwitch: true,
    });
    const now = this.clock.now();
    this.activity = new LegActivity(o.direction ?? 'sendrecv', o.mediaTimeoutMs ?? 30_000, now);
    this.rtcp = new LegRtcp(this.ssrc, this.sendFormat.clockRate, now, o.rtcpIntervalMs);
    o.ports.rtp.on('message', this.onRtpMessage);
    o.ports.rtp.on('error', this.onSocketError);
    o.ports.rtcp?.on('message', this.onRtcpMessage);
    o.ports.rtcp?.on('error', this.onSocketError);
    mediaLegsActive.inc({ kind: this.kind });
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
      if (admit === 'ignore') return this.drop('wrong-source');
      if (fromRtcpSocket || isRtcpPacket(msg)) this.receiveRtcp(msg, rinfo, latch, admit === 'probe', now);
      else this.receiveRtp(msg, rinfo, latch, admit === 'probe', now);
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

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo, latch: SourceLatch, probe: boolean, now: number): void {
    const r = this.srtpIn.unprotectRtp(msg, this.rx.buffer);
    if (!r.ok) return this.drop(probe ? 'wrong-source' : r.reason);
    if (!this.latched(latch, rinfo, probe, now)) return;
    const packet = this.rx.view(r.length);
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

  private receiveRtcp(msg: Buffer, rinfo: RemoteInfo, latch: SourceLatch, probe: boolean, now: number): void {
    const r = this.srtpIn.unprotectRtcp(msg, this.rx.buffer);
    if (!r.ok) return this.drop(probe ? 'wrong-source' : r.reason);
    if (!this.latched(latch, rinfo, probe, now)) return;
    this.rtcpIn++;
    countIn(this.kindIndex, true);
    const ok = this.rtcp.onRtcp(this.rx.view(r.length), now, (mediaSsrc) => this.sink?.onKeyFrameRequest(this, mediaSsrc));
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

  requestKeyFrame(sourceSsrc: number): void {
    // RFC 4585 3.1 / RFC 3550 6.1: feedback travels in a compound packet that starts with a report
    const report = this.rtcp.buildReport(this.clock.now(), Date.now());
    const out = new Uint8Array(report.length + 12);
    out.set(report, 0);
    writePli(out, report.length, this.ssrc, sourceSsrc);
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sink = null;
    this.ports.rtp.off('message', this.onRtpMessage);
    this.ports.rtcp?.off('message', this.onRtcpMessage);
    mediaLegsActive.dec({ kind: this.kind });
    flushMediaMetrics();
    await this.ports.release();
  }
}
