/**
 * A SIP media leg keyed by DTLS-SRTP without ICE (RFC 5763/5764): baresip `menc dtls_srtp`,
 * linphone, room systems. DTLS runs over the leg's plain UDP socket(s) from the
 * MediaPortAllocator, demultiplexed by first octet (RFC 7983 s7: 20-63 DTLS, 128-191 RTP/RTCP,
 * anything else dropped); the SRTP keys exported from the handshake (RFC 5764 s4.2) go into the
 * project's SRTP core, so every profile of the core is available, 0x0008 AEAD_AES_256_GCM
 * included, in the policy's order when we are DTLS server.
 *
 * Role (crypto-policy dtls-select.ts): we answer a=setup:passive and are DTLS server unless the
 * offer is passive; then we answer active and are client. With rtcp-mux (RFC 5761) one
 * association covers RTP and RTCP; without it, the RTCP port runs its own association whose
 * SRTCP keys protect RTCP (RFC 5764 s4.2). A failed RTCP association leaves RTP working.
 *
 * Packet paths mirror SdesMediaLeg (src/adapters/media/media-leg.ts): source latch, SRTP into
 * the leg's receive buffer, header view, negotiated PT, statistics, room; send via the stream
 * rewriter and a TX ring. The latch starts at the address the handshake ran with: that source
 * proved the fingerprint's key, so it counts as authenticated.
 *
 * Takeover (`resume`, src/app/takeover-dtls.ts): a new owner continues the association the old
 * owner negotiated, with its exported SRTP keys, on new sockets: the leg is keyed at once (the
 * latch starts at the peer's SDP address; what arrives there is authenticated by SRTP with the
 * association's keys; our sender starts a new SSRC with a random sequence number, so the old
 * owner's keystream is not repeated, RFC 3711 8). baresip 1.0 and linphone 5.1 both keep
 * their association across the takeover re-INVITE (baresip refuses a second ClientHello, "dtls
 * already accepted"). A peer that starts a new one instead (RFC 8842 5 asks for it when the
 * address changes) is served when we are DTLS server: its first DTLS datagram starts a component
 * with the stored certificate, and a completed handshake's keys replace the stored ones. As DTLS client
 * we send no ClientHello: it could disturb the association the peer keeps; DTLS datagrams are
 * then dropped (counted 'not-rtp').
 */
import { LegActivity } from '../media/leg-activity.ts';
import { LegDrops } from '../media/leg-drops.ts';
import type { RemoteInfo, Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { classifyFirstByte, isRtcpPacket } from '../../core/rtp/demux.ts';
import { writePli } from '../../core/rtp/rtcp-serialize.ts';
import { RtpHeaderView, parseRtpHeaderInto, readU32 } from '../../core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../core/rtp/rtp-stream-rewriter.ts';
import { createSrtpSession } from '../../core/srtp/index.ts';
import { srtpSuite } from '../../core/srtp/index.ts';
import type { SrtpMasterKeyConfig, SrtpSession, SrtpSuiteName } from '../../core/srtp/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { countIn, countOut, flushMediaMetrics, legKindIndex, mediaLegsActive } from '../../metrics/media.ts';
import type { MediaDropReason } from '../../metrics/media.ts';
import { dtlsSrtpProfiles } from '../../metrics/webrtc.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import { isTelephoneEvent } from '../media/audio-codec.ts';
import { TxRing, ViewCache } from '../media/buffers.ts';
import { LegRtcp } from '../media/leg-rtcp.ts';
import { peerReceives, peerSends } from '../media/media-types.ts';
import type { LatchingOptions, LegSink, MediaDirection, PayloadFormat, RemoteEndpoint, RoomLeg } from '../media/media-types.ts';
import type { MediaPorts } from '../media/port-allocator.ts';
import { SourceLatch } from '../media/source-latch.ts';
import { gatewayDtlsIdentity } from './dtls-certificate.ts';
import type { DtlsIdentity } from './dtls-certificate.ts';
import { DtlsUdpComponent } from './dtls-udp-component.ts';
import type { DtlsComponentKeys } from './dtls-udp-component.ts';

export interface DtlsUdpLegOptions {
  readonly id: string;
  /** Sockets from MediaPortAllocator.allocate(); `ports.rtcp === null` means rtcp-mux. Released on close. */
  readonly ports: MediaPorts;
  /** Our DTLS role (crypto-policy DtlsSelection.role): 'server' when we answer a=setup:passive. */
  readonly role: 'server' | 'client';
  /** use_srtp ids in policy order (DtlsSelection.useSrtpProfileIds). */
  readonly profiles: readonly number[];
  /** The offer's a=fingerprint lines (sdp `fingerprints()`). */
  readonly remoteFingerprints: readonly Fingerprint[];
  /** Defaults to the process-wide identity (createDtlsUdpLeg). */
  readonly identity: DtlsIdentity;
  readonly remote: RemoteEndpoint;
  readonly formats: readonly PayloadFormat[];
  readonly sendPayloadType?: number;
  readonly direction?: MediaDirection;
  readonly latching?: LatchingOptions;
  readonly mediaTimeoutMs?: number;
  readonly rtcpIntervalMs?: number;
  readonly replayWindow?: number;
  /**
   * Takeover: continue a stored association with these SRTP keys (RTP; with rtcp-mux RTCP too)
   * instead of a handshake. Without rtcp-mux, RTCP stays off (its association's keys are not kept).
   */
  readonly resume?: DtlsResumeKeys;
  /** Give up on the handshake after this long. Default 20 s (DTLS retransmits up to ~60 s, RFC 6347 s4.2.4.1). */
  readonly handshakeTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The SRTP keys of a DTLS-SRTP association (RFC 5764 4.2), ours and the peer's. Secret. */
export interface DtlsResumeKeys {
  readonly suite: SrtpSuiteName;
  readonly local: SrtpMasterKeyConfig;
  readonly remote: SrtpMasterKeyConfig;
}

export interface DtlsNegotiation {
  readonly suite: string;
  readonly profile: number;
  /** The client's use_srtp list when we were DTLS server (for crypto-policy dtlsNegotiated). */
  readonly peerProfiles: readonly number[] | undefined;
  readonly role: 'server' | 'client';
}

interface Keyed {
  readonly srtpIn: SrtpSession;
  readonly srtpOut: SrtpSession;
  readonly latch: SourceLatch;
}

const RX_SIZE = 1500;
const MAX_TRAILER = 16 + 4 + 128;
const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };
const PERF: Clock = { now: () => performance.now() };

/** Creates a leg with the process-wide DTLS identity unless one is given. */
export async function createDtlsUdpLeg(o: Omit<DtlsUdpLegOptions, 'identity'> & { readonly identity?: DtlsIdentity }): Promise<DtlsUdpLeg> {
  return new DtlsUdpLeg({ ...o, identity: o.identity ?? (await gatewayDtlsIdentity()) });
}

export class DtlsUdpLeg implements RoomLeg {
  readonly id: string;
  readonly kind = 'sip-dtls' as const;
  readonly ssrc: number;
  readonly sendFormat: PayloadFormat;
  readonly telephoneEventPt: number | null;
  readonly rtcp: LegRtcp;
  private readonly activity: LegActivity;
  /** Our a=fingerprint for the answer. */
  readonly localFingerprint: Fingerprint;
  private readonly kindIndex = legKindIndex('sip-dtls');
  private readonly o: DtlsUdpLegOptions;
  private readonly formats: (PayloadFormat | undefined)[] = [];
  private rtpDtls: DtlsUdpComponent | null;
  private rtcpDtls: DtlsUdpComponent | null;
  /** Resumed as DTLS server: a component starts when the peer's first DTLS datagram comes. */
  private readonly serveLate: boolean;
  private readonly component: (rtcp: boolean) => DtlsUdpComponent;
  private readonly negotiation: Promise<DtlsNegotiation>;
  private rtpKeys: Keyed | null = null;
  private rtpSecrets: DtlsResumeKeys | null = null;
  private rtcpKeys: Keyed | null = null;
  private readonly rx = new ViewCache(RX_SIZE);
  private readonly view = new RtpHeaderView();
  private readonly tx: TxRing;
  private readonly rewriter: RtpStreamRewriter;
  private readonly clock: Clock;
  private readonly log: Logger;
  private sink: LegSink | null = null;
  private closed = false;
  /** The reason the leg failed (fingerprint mismatch, timeout...), or null. */
  failure: GatehouseError | null = null;
  rtpIn = 0;
  rtpOut = 0;
  rtcpIn = 0;
  rtcpOut = 0;
  /** Datagrams dropped by reason (includes 'not-rtp' for SRTP before keys). */
  readonly drops = new LegDrops();

  constructor(o: DtlsUdpLegOptions) {
    this.o = o;
    this.id = o.id;
    this.clock = o.clock ?? PERF;
    this.log = (o.logger ?? SILENT).child({ legId: o.id });
    for (const f of o.formats) {
      if (!Number.isInteger(f.pt) || f.pt < 0 || f.pt > 127) throw new GatehouseError('config', 'MEDIA_BAD_PT', `payload type ${f.pt} is not 0..127`);
      this.formats[f.pt] = f;
    }
    const send = o.sendPayloadType === undefined ? o.formats.find((x) => !isTelephoneEvent(x) && x.name.toUpperCase() !== 'CN') : this.formats[o.sendPayloadType];
    if (send === undefined) throw new GatehouseError('config', 'MEDIA_NO_SEND_CODEC', 'media leg has no audio payload format to send', { sipStatus: 488 });
    this.sendFormat = send;
    this.telephoneEventPt = o.formats.find((f) => isTelephoneEvent(f) && f.clockRate === send.clockRate)?.pt ?? null;
    this.localFingerprint = o.identity.fingerprint;
    this.ssrc = randomInt(1, 0xffffffff);
    this.rewriter = new RtpStreamRewriter({ ssrc: this.ssrc, clockRate: send.clockRate, initialSequence: randomInt(0, 0x10000), initialTimestamp: randomInt(0, 0xffffffff), markOnSwitch: true });
    const now = this.clock.now();
    this.activity = new LegActivity(o.direction ?? 'sendrecv', o.mediaTimeoutMs ?? 30_000, now);
    this.rtcp = new LegRtcp(this.ssrc, send.clockRate, now, o.rtcpIntervalMs);
    this.tx = new TxRing(4, 256, () => this.drop('send-failed'));
    o.ports.rtp.on('message', this.onRtpMessage);
    o.ports.rtcp?.on('message', this.onRtcpMessage);
    o.ports.rtp.on('error', this.onSocketError);
    o.ports.rtcp?.on('error', this.onSocketError);
    mediaLegsActive.inc({ kind: this.kind });
    const strictSource = (o.latching?.mode ?? 'symmetric') === 'strict';
    const common = { role: o.role, profiles: o.profiles, remoteFingerprints: o.remoteFingerprints, identity: o.identity, strictSource, handshakeTimeoutMs: o.handshakeTimeoutMs ?? 20_000 };
    this.component = (rtcp) => {
      const socket = rtcp ? o.ports.rtcp : o.ports.rtp;
      if (socket === null) throw new GatehouseError('internal', 'DTLS_NO_RTCP_SOCKET', 'no RTCP socket with rtcp-mux');
      return new DtlsUdpComponent({ ...common, socket, remote: { address: o.remote.address, port: rtcp ? o.remote.rtcpPort : o.remote.rtpPort } });
    };
    this.serveLate = o.resume !== undefined && o.role === 'server';
    if (o.resume !== undefined) {
      this.rtpDtls = null;
      this.rtcpDtls = null;
      const r = o.resume;
      const at = { peerAddress: o.remote.address, peerPort: o.remote.rtpPort, profile: srtpSuite(r.suite).dtlsProfile ?? 0, peerProfiles: undefined };
      this.negotiation = Promise.resolve(this.install({ ...at, suite: r.suite, local: r.local, remote: r.remote }, true, 'resumed'));
      return;
    }
    const rtpDtls = this.component(false);
    this.rtpDtls = rtpDtls;
    this.rtcpDtls = o.ports.rtcp === null ? null : this.component(true);
    this.negotiation = rtpDtls.done.then(
      (k) => this.install(k, true),
      (err: GatehouseError) => {
        this.failure = err;
        this.log.warn({ code: err.code }, 'DTLS-SRTP leg failed');
        throw err;
      },
    );
    this.negotiation.catch(() => {});
    this.rtcpDtls?.done.then(
      (k) => void this.install(k, false),
      (err: GatehouseError) => this.log.warn({ code: err.code }, 'DTLS-SRTP association on the RTCP port failed; RTCP stays off'),
    );
  }

  /** Resolves once RTP is keyed; rejects (DtlsLegError) on fingerprint mismatch, timeout, no common profile... */
  negotiated(): Promise<DtlsNegotiation> {
    return this.negotiation;
  }

  /** The RTP association's SRTP keys once keyed (for the call record; never log them). */
  srtpKeys(): DtlsResumeKeys | null {
    return this.rtpSecrets;
  }

  /** Our certificate and private key (for the call record, sealed there). */
  get identity(): DtlsIdentity {
    return this.o.identity;
  }

  private install(k: DtlsComponentKeys, rtp: boolean, how: 'handshake' | 'resumed' | 'renewed' = 'handshake'): DtlsNegotiation {
    const window = this.o.replayWindow === undefined ? {} : { replayWindow: this.o.replayWindow };
    const keyed: Keyed = {
      srtpIn: createSrtpSession({ suite: k.suite, ...k.remote, ...window }),
      srtpOut: createSrtpSession({ suite: k.suite, ...k.local, ...window }),
      latch: new SourceLatch(k.peerAddress, k.peerPort, this.o.latching),
    };
    if (rtp) {
      this.rtpKeys = keyed;
      this.rtpSecrets = { suite: k.suite, local: k.local, remote: k.remote };
      if (how !== 'resumed') dtlsSrtpProfiles.inc({ kind: 'sip-dtls', suite: k.suite });
      const msg = how === 'resumed' ? 'DTLS-SRTP association resumed with stored keys' : how === 'renewed' ? 'DTLS-SRTP re-keyed by a new handshake after the takeover' : 'DTLS-SRTP keyed';
      this.log.info({ suite: k.suite, role: this.o.role }, msg);
    } else {
      this.rtcpKeys = keyed;
    }
    return { suite: k.suite, profile: k.profile, peerProfiles: k.peerProfiles, role: this.o.role };
  }

  /** Which ports have SRTP keys (RTCP: the muxed RTP keys, or the RTCP port's own association). */
  get keyed(): { readonly rtp: boolean; readonly rtcp: boolean } {
    return { rtp: this.rtpKeys !== null, rtcp: this.o.ports.rtcp === null ? this.rtpKeys !== null : this.rtcpKeys !== null };
  }

  get direction(): MediaDirection {
    return this.activity.direction;
  }

  get localRtpPort(): number {
    return this.o.ports.rtpPort;
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

  private receive(msg: Buffer, rinfo: RemoteInfo, rtcpSocket: boolean): void {
    if (this.closed) return;
    try {
      const cls = classifyFirstByte(msg[0] ?? 0);
      if (cls === 'dtls') {
        const c = (rtcpSocket ? this.rtcpDtls : this.rtpDtls) ?? this.lateComponent(rtcpSocket);
        return c === null ? this.drop('not-rtp') : c.feed(msg, rinfo);
      }
      if (cls !== 'rtp-rtcp') return this.drop('not-rtp');
      const isRtcp = rtcpSocket || isRtcpPacket(msg);
      // without rtcp-mux, SRTCP is keyed by the RTCP port's own association (RFC 5764 s4.2)
      const keys = rtcpSocket ? this.rtcpKeys : this.rtpKeys;
      if (keys === null) return this.drop('not-rtp'); // SRTP before the handshake finished: no key to check it
      const now = this.clock.now();
      const admit = keys.latch.admit(rinfo.address, rinfo.port, now);
      if (admit === 'ignore') return this.drop('wrong-source');
      const probe = admit === 'probe';
      if (isRtcp) this.receiveRtcp(msg, rinfo, keys, probe, now);
      else this.receiveRtp(msg, rinfo, keys, probe, now);
    } catch (err) {
      this.drop('internal-error');
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'media receive path failed (packet dropped)');
    }
  }

  /**
   * Resumed as DTLS server (see header): the peer started a new association; its keys replace
   * the stored ones once the handshake has passed every check of DtlsUdpComponent.
   */
  private lateComponent(rtcp: boolean): DtlsUdpComponent | null {
    if (!this.serveLate) return null;
    const c = this.component(rtcp);
    if (rtcp) this.rtcpDtls = c;
    else this.rtpDtls = c;
    c.done.then(
      (k) => void this.install(k, !rtcp, 'renewed'),
      (err: GatehouseError) => this.log.warn({ code: err.code, rtcp }, 'new DTLS handshake after the takeover failed; the stored association goes on'),
    );
    return c;
  }

  private latched(keys: Keyed, rinfo: RemoteInfo, now: number, proto: 'rtp' | 'rtcp'): boolean {
    const v = keys.latch.authenticated(rinfo.address, rinfo.port, now);
    if (v === 'accept') return true;
    if (v === 'candidate') {
      this.drop('wrong-source');
      return false;
    }
    this.sink?.onLatched(this, proto, v === 'moved' ? 'moved' : 'first', rinfo.address, rinfo.port);
    return true;
  }

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo, keys: Keyed, probe: boolean, now: number): void {
    const r = keys.srtpIn.unprotectRtp(msg, this.rx.buffer);
    if (!r.ok) return this.drop(probe ? 'wrong-source' : r.reason);
    if (!this.latched(keys, rinfo, now, 'rtp')) return;
    const packet = this.rx.view(r.length);
    if (parseRtpHeaderInto(packet, this.view) !== null) return this.drop('malformed-rtp');
    const fmt = this.formats[this.view.payloadType];
    if (fmt === undefined) return this.drop('unknown-payload-type');
    if (!peerSends(this.activity.direction)) return this.drop('direction');
    this.activity.rtpArrived(now);
    this.rtpIn++;
    countIn(this.kindIndex, false);
    this.rtcp.onRtpReceived(this.view, fmt.clockRate, now);
    this.sink?.onRtp(this, packet, this.view, now, now);
  }

  private receiveRtcp(msg: Buffer, rinfo: RemoteInfo, keys: Keyed, probe: boolean, now: number): void {
    const r = keys.srtpIn.unprotectRtcp(msg, this.rx.buffer);
    if (!r.ok) return this.drop(probe ? 'wrong-source' : r.reason);
    if (!this.latched(keys, rinfo, now, 'rtcp')) return;
    this.rtcpIn++;
    countIn(this.kindIndex, true);
    if (!this.rtcp.onRtcp(this.rx.view(r.length), now, (ssrc) => this.sink?.onKeyFrameRequest(this, ssrc))) this.drop('malformed-rtcp');
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    const keys = this.rtpKeys;
    if (this.closed || keys === null || !peerReceives(this.activity.direction) || !keys.latch.canSend) return false;
    if (this.rewriter.rewrite(packet, view, nowMs) === 'stale') {
      this.drop('stale');
      return false;
    }
    const slot = this.tx.acquire(packet.length + MAX_TRAILER);
    const r = keys.srtpOut.protectRtp(packet, slot.buffer);
    if (!r.ok) {
      this.drop(r.reason);
      return false;
    }
    if (!this.transmit(this.o.ports.rtp, slot, r.length, keys.latch)) return false;
    this.rtpOut++;
    countOut(this.kindIndex, false);
    this.rtcp.onRtpSent(readU32(packet, 4), view.payloadLength, nowMs);
    return true;
  }

  private transmit(socket: Socket, slot: { buffer: Buffer; busy: boolean; readonly done: (err: Error | null) => void }, length: number, to: SourceLatch): boolean {
    try {
      slot.busy = true;
      socket.send(slot.buffer, 0, length, to.port, to.address, slot.done);
      return true;
    } catch {
      slot.busy = false;
      this.drop('send-failed');
      return false;
    }
  }

  private sendRtcp(plain: Uint8Array): void {
    const keys = this.o.ports.rtcp === null ? this.rtpKeys : this.rtcpKeys;
    if (this.closed || keys === null || !keys.latch.canSend) return;
    const slot = this.tx.acquire(plain.length + MAX_TRAILER);
    const r = keys.srtpOut.protectRtcp(plain, slot.buffer);
    if (!r.ok) return this.drop(r.reason);
    if (!this.transmit(this.o.ports.rtcp ?? this.o.ports.rtp, slot, r.length, keys.latch)) return;
    this.rtcpOut++;
    countOut(this.kindIndex, true);
  }

  requestKeyFrame(sourceSsrc: number): void {
    // RFC 4585 3.1: feedback travels in a compound packet that starts with a report
    const report = this.rtcp.buildReport(this.clock.now(), Date.now());
    const out = new Uint8Array(report.length + 12);
    out.set(report, 0);
    writePli(out, report.length, this.ssrc, sourceSsrc);
    this.sendRtcp(out);
  }

  housekeeping(nowMs: number, wallclockMs: number): void {
    if (!this.closed && this.rtcp.due(nowMs)) this.sendRtcp(this.rtcp.buildReport(nowMs, wallclockMs));
  }

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
    this.rtpDtls?.close();
    this.rtcpDtls?.close();
    this.o.ports.rtp.off('message', this.onRtpMessage);
    this.o.ports.rtcp?.off('message', this.onRtcpMessage);
    mediaLegsActive.dec({ kind: this.kind });
    flushMediaMetrics();
    await this.o.ports.release();
  }
}
