/**
 * A SIP media leg keyed by DTLS-SRTP without ICE (RFC 5763/5764): baresip `menc dtls_srtp`,
 * linphone, room systems. DTLS runs over the leg's plain UDP socket(s) from the
 * MediaPortAllocator, demultiplexed by first octet (RFC 7983 s7: 20-63 DTLS, 128-191 RTP/RTCP,
 * anything else dropped); the associations, their roles, the SRTP keys exported from the
 * handshake (RFC 5764 s4.2) and the takeover (`resume`) are dtls-udp-keying.ts's.
 *
 * Packet paths mirror SdesMediaLeg (src/adapters/media/media-leg.ts): source latch, SRTP into
 * the leg's receive buffer, header view, negotiated PT, statistics, room; send via the stream
 * rewriter and a TX ring. The latch starts at the address the handshake ran with: that source
 * proved the fingerprint's key, so it counts as authenticated.
 */
import type { RemoteInfo } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { classifyFirstByte, isRtcpPacket } from '../../core/rtp/demux.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import type { GatehouseError } from '../../core/errors.ts';
import { countIn, countOut } from '../../metrics/media.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import { TxRing, ViewCache } from '../media/buffers.ts';
import { LegSockets } from '../media/leg-sockets.ts';
import type { MediaSocket } from '../media/media-socket.ts';
import { peerReceives } from '../media/media-types.ts';
import type { SourceLatch } from '../media/source-latch.ts';
import { PERFORMANCE_CLOCK, RoomLegBase, SILENT_LOGGER, sipSendFormat } from '../media/room-leg-base.ts';
import { gatewayDtlsIdentity } from './dtls-certificate.ts';
import type { DtlsIdentity } from './dtls-certificate.ts';
import { DtlsUdpKeying } from './dtls-udp-keying.ts';
import type { DtlsKeyed } from './dtls-udp-keying.ts';
import type { DtlsNegotiation, DtlsResumeKeys, DtlsUdpLegOptions } from './dtls-udp-leg-types.ts';

export type { DtlsNegotiation, DtlsResumeKeys, DtlsUdpLegOptions } from './dtls-udp-leg-types.ts';

const RX_SIZE = 1500;
const MAX_TRAILER = 16 + 4 + 128;

/** Creates a leg with the process-wide DTLS identity unless one is given. */
export async function createDtlsUdpLeg(o: Omit<DtlsUdpLegOptions, 'identity'> & { readonly identity?: DtlsIdentity }): Promise<DtlsUdpLeg> {
  return new DtlsUdpLeg({ ...o, identity: o.identity ?? (await gatewayDtlsIdentity()) });
}

export class DtlsUdpLeg extends RoomLegBase<'sip-dtls'> {
  /** Our a=fingerprint for the answer. */
  readonly localFingerprint: Fingerprint;
  private readonly o: DtlsUdpLegOptions;
  private readonly keying: DtlsUdpKeying;
  private readonly sockets: LegSockets;
  private readonly rx = new ViewCache(RX_SIZE);
  private readonly tx: TxRing;

  constructor(o: DtlsUdpLegOptions) {
    super({
      id: o.id,
      kind: 'sip-dtls',
      ssrc: randomInt(1, 0xffffffff),
      formats: o.formats,
      sendFormat: sipSendFormat(o.formats, o.sendPayloadType),
      direction: o.direction ?? 'sendrecv',
      mediaTimeoutMs: o.mediaTimeoutMs ?? 30_000,
      rtcpIntervalMs: o.rtcpIntervalMs,
      markOnSwitch: true,
      clock: o.clock ?? PERFORMANCE_CLOCK,
      log: (o.logger ?? SILENT_LOGGER).child({ legId: o.id }),
    });
    this.o = o;
    this.localFingerprint = o.identity.fingerprint;
    this.tx = new TxRing(4, 256, () => this.drop('send-failed'));
    this.sockets = new LegSockets(o.ports, this.log, (msg, rinfo, rtcpSocket) => this.receive(msg, rinfo, rtcpSocket), (reason) => this.drop(reason));
    this.opened();
    this.keying = new DtlsUdpKeying(o, this.log);
  }

  /** Resolves once RTP is keyed; rejects (DtlsLegError) on fingerprint mismatch, timeout, no common profile... */
  negotiated(): Promise<DtlsNegotiation> {
    return this.keying.negotiated();
  }

  /** The RTP association's SRTP keys once keyed (for the call record; never log them). */
  srtpKeys(): DtlsResumeKeys | null {
    return this.keying.srtpKeys();
  }

  /** Our certificate and private key (for the call record, sealed there). */
  get identity(): DtlsIdentity {
    return this.o.identity;
  }

  /** The reason the leg failed (fingerprint mismatch, timeout...), or null. */
  get failure(): GatehouseError | null {
    return this.keying.failure;
  }

  /** Which ports have SRTP keys (RTCP: the muxed RTP keys, or the RTCP port's own association). */
  get keyed(): { readonly rtp: boolean; readonly rtcp: boolean } {
    return this.keying.keyed;
  }

  /** The peer's RTP streams' highest authenticated SRTP indexes (takeover: CallLeg.inbound). */
  inboundIndexes(): { ssrc: number; index: number }[] {
    return this.keying.receiveKeys(false)?.srtpIn.inboundIndexes() ?? [];
  }

  /** Continue the peer's streams from stored indexes (a resumed association keeps its keys). */
  primeInbound(streams: readonly { readonly ssrc: number; readonly index: number }[]): void {
    const rx = this.keying.receiveKeys(false)?.srtpIn;
    for (const s of streams) rx?.primeInbound(s.ssrc, s.index);
  }

  get localRtpPort(): number {
    return this.o.ports.rtpPort;
  }

  private receive(msg: Buffer, rinfo: RemoteInfo, rtcpSocket: boolean): void {
    if (this.closed) return;
    try {
      const cls = classifyFirstByte(msg[0] ?? 0);
      if (cls === 'dtls') {
        const c = this.keying.componentFor(rtcpSocket);
        return c === null ? this.drop('not-rtp') : c.feed(msg, rinfo);
      }
      if (cls !== 'rtp-rtcp') return this.drop('not-rtp');
      const isRtcp = rtcpSocket || isRtcpPacket(msg);
      const keys = this.keying.receiveKeys(rtcpSocket);
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

  private latched(keys: DtlsKeyed, rinfo: RemoteInfo, now: number, proto: 'rtp' | 'rtcp'): boolean {
    const v = keys.latch.authenticated(rinfo.address, rinfo.port, now);
    if (v === 'accept') return true;
    if (v === 'candidate') {
      this.drop('wrong-source');
      return false;
    }
    this.sink?.onLatched(this, proto, v === 'moved' ? 'moved' : 'first', rinfo.address, rinfo.port);
    return true;
  }

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo, keys: DtlsKeyed, probe: boolean, now: number): void {
    const r = keys.srtpIn.unprotectRtp(msg, this.rx.buffer);
    if (!r.ok) return this.drop(probe ? 'wrong-source' : r.reason);
    if (!this.latched(keys, rinfo, now, 'rtp')) return;
    this.deliverRtp(this.rx.view(r.length), now);
  }

  private receiveRtcp(msg: Buffer, rinfo: RemoteInfo, keys: DtlsKeyed, probe: boolean, now: number): void {
    const r = keys.srtpIn.unprotectRtcp(msg, this.rx.buffer);
    if (!r.ok) return this.drop(probe ? 'wrong-source' : r.reason);
    if (!this.latched(keys, rinfo, now, 'rtcp')) return;
    this.rtcpIn++;
    countIn(this.kindIndex, true);
    if (!this.rtcp.onRtcp(this.rx.view(r.length), now, (ssrc) => this.sink?.onKeyFrameRequest(this, ssrc))) this.drop('malformed-rtcp');
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    const keys = this.keying.rtpSendKeys;
    if (this.closed || keys === null || !peerReceives(this.activity.direction) || !keys.latch.canSend) return false;
    if (!this.rewriteForSend(packet, view, nowMs)) return false;
    const slot = this.tx.acquire(packet.length + MAX_TRAILER);
    const r = keys.srtpOut.protectRtp(packet, slot.buffer);
    if (!r.ok) {
      this.drop(r.reason);
      return false;
    }
    if (!this.transmit(this.o.ports.rtp, slot, r.length, keys.latch)) return false;
    this.rtpSent(packet, view, nowMs);
    return true;
  }

  private transmit(socket: MediaSocket, slot: { buffer: Buffer; busy: boolean; readonly done: (err: Error | null) => void }, length: number, to: SourceLatch): boolean {
    try {
      slot.busy = true;
      socket.send(slot.buffer, length, to.port, to.address, slot.done);
      return true;
    } catch {
      slot.busy = false;
      this.drop('send-failed');
      return false;
    }
  }

  protected sendRtcp(plain: Uint8Array): void {
    const keys = this.keying.rtcpSendKeys;
    if (this.closed || keys === null || !keys.latch.canSend) return;
    const slot = this.tx.acquire(plain.length + MAX_TRAILER);
    const r = keys.srtpOut.protectRtcp(plain, slot.buffer);
    if (!r.ok) return this.drop(r.reason);
    if (!this.transmit(this.o.ports.rtcp ?? this.o.ports.rtp, slot, r.length, keys.latch)) return;
    this.rtcpOut++;
    countOut(this.kindIndex, true);
  }

  async close(): Promise<void> {
    if (!this.shut()) return;
    this.keying.close();
    this.sockets.detach();
    await this.o.ports.release();
  }
}
