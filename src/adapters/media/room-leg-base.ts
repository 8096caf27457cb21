/**
 * What every kind of room leg shares: SDES SIP legs (media-leg.ts), DTLS-SRTP SIP legs over
 * plain UDP (webrtc/dtls-udp-leg.ts) and browser guests (webrtc/webrtc-guest-leg.ts). They
 * differ in how packets are keyed, received and sent; they hold the same things around that:
 * the negotiated payload types, our one outgoing stream (our SSRC, RtpStreamRewriter with
 * continuous seq/ts, RFC 7667 3.5), the peer's direction and silence watch (leg-activity.ts),
 * RTCP terminated per leg (leg-rtcp.ts), drop and packet counts, and the room's sink.
 *
 * The tail of the receive path is shared too (`deliverRtp`): header parse into the leg's
 * reusable view -> negotiated PT? -> direction -> statistics -> room. Every dropped packet is
 * counted by reason (src/metrics/media.ts) and on the leg.
 */
import { randomInt } from 'node:crypto';
import { parseRtpHeaderInto, readU32, RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { RtpStreamRewriter } from '../../core/rtp/rtp-stream-rewriter.ts';
import { GatehouseError } from '../../core/errors.ts';
import { countIn, countOut, flushMediaMetrics, legKindIndex, mediaLegsActive } from '../../metrics/media.ts';
import type { MediaDropReason, MediaLegKind } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { isTelephoneEvent } from './audio-codec.ts';
import { LegActivity } from './leg-activity.ts';
import { LegDrops } from './leg-drops.ts';
import { LegRtcp } from './leg-rtcp.ts';
import { peerSends } from './media-types.ts';
import type { LegSink, MediaDirection, PayloadFormat, RoomLeg } from './media-types.ts';

export const SILENT_LOGGER: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT_LOGGER };
export const PERFORMANCE_CLOCK: Clock = { now: () => performance.now() };

/**
 * The audio format a SIP leg sends with: `sendPayloadType`, else the first format that is not
 * telephone-event or CN. Checks every PT is 0..127 first. Throws 488 when there is none.
 */
export function sipSendFormat(formats: readonly PayloadFormat[], sendPayloadType: number | undefined): PayloadFormat {
  for (const f of formats) {
    if (!Number.isInteger(f.pt) || f.pt < 0 || f.pt > 127) throw new GatehouseError('config', 'MEDIA_BAD_PT', `payload type ${f.pt} is not 0..127`);
  }
  const f = sendPayloadType === undefined ? formats.find((x) => !isTelephoneEvent(x) && x.name.toUpperCase() !== 'CN') : formats.find((x) => x.pt === sendPayloadType);
  if (f === undefined) throw new GatehouseError('config', 'MEDIA_NO_SEND_CODEC', 'media leg has no audio payload format to send', { sipStatus: 488 });
  return f;
}

export interface RoomLegInit<K extends MediaLegKind> {
  readonly id: string;
  readonly kind: K;
  /** Our SSRC toward the peer. */
  readonly ssrc: number;
  readonly formats: readonly PayloadFormat[];
  readonly sendFormat: PayloadFormat;
  readonly direction: MediaDirection;
  /** 0 disables the media timeout. */
  readonly mediaTimeoutMs: number;
  readonly rtcpIntervalMs: number | undefined;
  /** Set the marker bit on a source switch (RFC 3551 4.1 talkspurts: audio only). */
  readonly markOnSwitch: boolean;
  /** Whether the leg counts in gatehouse_media_legs_active (an SDES leg's video stream does not). */
  readonly countsAsLeg?: boolean;
  readonly clock: Clock;
  readonly log: Logger;
}

export abstract class RoomLegBase<K extends MediaLegKind> implements RoomLeg {
  readonly id: string;
  readonly kind: K;
  readonly ssrc: number;
  readonly sendFormat: PayloadFormat;
  readonly telephoneEventPt: number | null;
  readonly rtcp: LegRtcp;
  /** Datagrams/packets dropped by reason. */
  readonly drops = new LegDrops();
  rtpIn = 0;
  rtpOut = 0;
  rtcpIn = 0;
  rtcpOut = 0;
  protected readonly activity: LegActivity;
  protected readonly kindIndex: number;
  protected readonly formats: (PayloadFormat | undefined)[] = [];
  protected readonly rewriter: RtpStreamRewriter;
  protected readonly view = new RtpHeaderView();
  protected readonly clock: Clock;
  protected readonly log: Logger;
  protected sink: LegSink | null = null;
  protected closed = false;
  private readonly countsAsLeg: boolean;

  constructor(o: RoomLegInit<K>) {
    this.id = o.id;
    this.kind = o.kind;
    this.kindIndex = legKindIndex(o.kind);
    this.ssrc = o.ssrc;
    this.clock = o.clock;
    this.log = o.log;
    for (const f of o.formats) this.formats[f.pt] = f;
    const send = o.sendFormat;
    this.sendFormat = send;
    this.telephoneEventPt = o.formats.find((f) => isTelephoneEvent(f) && f.clockRate === send.clockRate)?.pt ?? null;
    this.rewriter = new RtpStreamRewriter({
      ssrc: o.ssrc,
      clockRate: send.clockRate,
      initialSequence: randomInt(0, 0x10000),
      initialTimestamp: randomInt(0, 0xffffffff),
      markOnSwitch: o.markOnSwitch,
    });
    const now = o.clock.now();
    this.activity = new LegActivity(o.direction, o.mediaTimeoutMs, now);
    this.countsAsLeg = o.countsAsLeg ?? true;
    this.rtcp = new LegRtcp(o.ssrc, send.clockRate, now, o.rtcpIntervalMs);
  }

  get direction(): MediaDirection {
    return this.activity.direction;
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

  protected drop(reason: MediaDropReason): void {
    this.drops.count(reason);
  }

  /** Counts the leg in gatehouse_media_legs_active; the subclass calls it once set up. */
  protected opened(): void {
    if (this.countsAsLeg) mediaLegsActive.inc({ kind: this.kind });
  }

  /** Marks the leg closed and detaches the room; false when it already was closed. */
  protected shut(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.sink = null;
    if (this.countsAsLeg) mediaLegsActive.dec({ kind: this.kind });
    flushMediaMetrics();
    return true;
  }

  /** An RTP packet received from the peer (plain, `length` octets of `rx`): parse, check, count, hand to the room. */
  protected deliverRtp(packet: Buffer, now: number): void {
    const view = this.view;
    if (parseRtpHeaderInto(packet, view) !== null) return this.drop('malformed-rtp');
    const fmt = this.formats[view.payloadType];
    if (fmt === undefined) return this.drop('unknown-payload-type');
    if (!peerSends(this.activity.direction)) return this.drop('direction');
    this.activity.rtpArrived(now);
    this.rtpIn++;
    countIn(this.kindIndex, false);
    this.noteReceived(view, fmt, now);
    this.sink?.onRtp(this, packet, view, now, now);
  }

  /** Receive statistics for a delivered packet (RFC 3550 A.1, A.8); what `receivesFrom` answers from. */
  protected noteReceived(view: RtpHeaderView, fmt: PayloadFormat, now: number): void {
    this.rtcp.onRtpReceived(view, fmt.clockRate, now);
  }

  /** Rewrites the room's packet into our stream; false (counted 'stale') when it is too old to send. */
  protected rewriteForSend(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    if (this.rewriter.rewrite(packet, view, nowMs) !== 'stale') return true;
    this.drop('stale');
    return false;
  }

  /** Counts a sent RTP packet (the rewritten one) for our sender reports. */
  protected rtpSent(packet: Buffer, view: RtpHeaderView, nowMs: number): void {
    this.rtpOut++;
    countOut(this.kindIndex, false);
    this.rtcp.onRtpSent(readU32(packet, 4), view.payloadLength, nowMs);
  }

  /** Protects and sends a plain compound RTCP packet to the peer (dropped, counted, when it cannot). */
  protected abstract sendRtcp(plain: Uint8Array): void;

  abstract sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean;

  abstract close(): Promise<void>;

  /** PLI (RFC 4585 6.3.1), or FIR (RFC 5104 4.3.1) with this command sequence number. */
  requestKeyFrame(sourceSsrc: number, firSequence?: number): void {
    this.sendRtcp(this.rtcp.buildKeyFrameRequest(this.clock.now(), Date.now(), sourceSsrc, firSequence));
  }

  housekeeping(nowMs: number, wallclockMs: number): void {
    if (!this.closed && this.rtcp.due(nowMs)) this.sendRtcp(this.rtcp.buildReport(nowMs, wallclockMs));
  }

  /** Returns how long the leg has been silent when the media timeout newly fires, else null. */
  mediaTimeout(nowMs: number): number | null {
    return this.closed ? null : this.activity.timedOut(nowMs);
  }

  updateDirection(direction: MediaDirection, nowMs: number): void {
    this.activity.update(direction, nowMs);
  }
}
