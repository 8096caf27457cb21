/**
 * Two-party media: every packet of one leg is relayed to the other, re-encrypted under the
 * other leg's own SRTP suite and key (the legs' send paths do that).
 *
 * Per incoming payload type the route is decided once and cached:
 *   same codec on the other leg (RFC 3264 6.1: name/clock/channels)  -> forward, PT remapped
 *   telephone-event (RFC 4733) and the other leg negotiated it        -> forward, PT remapped
 *   PCMU/PCMA/G722 and the other leg sends another of those           -> transcode in place
 *   anything else (Opus to G.711, CN the other leg lacks, ...)         -> drop 'no-route'
 * The leg's own send codec must be routable both ways, or the constructor throws (488).
 * Opus is only forwarded Opus-to-Opus (no decoder, audio-codec.ts).
 */
import { GatehouseError } from '../../core/errors.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { countDrop, mediaRelayLatency } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import { audioCodecOf, isTelephoneEvent, notDecodableError, sameCodec } from './audio-codec.ts';
import type { PayloadFormat, RoomLeg } from './media-types.ts';
import { Transcoder } from './transcoder.ts';

const UNKNOWN = 0;
const FORWARD = 1;
const TRANSCODE = 2;
const NO_ROUTE = 3;
/** Relay latency is observed for 1 packet in 16: a histogram observe per packet costs more than the relay. */
const SAMPLE_MASK = 15;
const FORWARD_LABELS = { mode: 'relay' };
const TRANSCODE_LABELS = { mode: 'transcode' };

/** One direction's routing table (source leg -> target leg). */
class Direction {
  readonly from: RoomLeg;
  readonly to: RoomLeg;
  private readonly action = new Uint8Array(128);
  private readonly targetPt = new Uint8Array(128);
  private readonly transcoders: (Transcoder | undefined)[] = [];

  constructor(from: RoomLeg, to: RoomLeg) {
    this.from = from;
    this.to = to;
  }

  /** Decides (once) what to do with payload type `pt` of `from`. */
  route(pt: number): number {
    const known = this.action[pt] ?? NO_ROUTE;
    if (known !== UNKNOWN) return known;
    const f = this.from.format(pt);
    const decided = f === undefined ? NO_ROUTE : this.decide(pt, f);
    this.action[pt] = decided;
    return decided;
  }

  private decide(pt: number, f: PayloadFormat): number {
    const to = this.to;
    if (isTelephoneEvent(f)) {
      const te = to.telephoneEventPt;
      if (te === null || f.clockRate !== to.sendFormat.clockRate) return NO_ROUTE;
      this.targetPt[pt] = te;
      return FORWARD;
    }
    const same = sameCodec(f, to.sendFormat) ? to.sendFormat : findSame(to, f);
    if (same !== undefined) {
      this.targetPt[pt] = same.pt;
      return FORWARD;
    }
    const src = audioCodecOf(f);
    const dst = audioCodecOf(to.sendFormat);
    if (src === null || dst === null) return NO_ROUTE;
    this.targetPt[pt] = to.sendFormat.pt;
    this.transcoders[pt] = new Transcoder(src, dst);
    return TRANSCODE;
  }

  target(pt: number): number {
    return this.targetPt[pt] ?? 0;
  }

  transcoder(pt: number): Transcoder | undefined {
    return this.transcoders[pt];
  }
}

function findSame(leg: RoomLeg, f: PayloadFormat): PayloadFormat | undefined {
  for (let pt = 0; pt < 128; pt++) {
    const g = leg.format(pt);
    if (g !== undefined && sameCodec(f, g)) return g;
  }
  return undefined;
}

export class RelayPath {
  private readonly ab: Direction;
  private readonly ba: Direction;
  private readonly clock: Clock;
  private sampled = 0;

  constructor(a: RoomLeg, b: RoomLeg, clock: Clock) {
    this.ab = new Direction(a, b);
    this.ba = new Direction(b, a);
    this.clock = clock;
    for (const d of [this.ab, this.ba]) {
      if (d.route(d.from.sendFormat.pt) === NO_ROUTE) {
        const f = d.from.sendFormat;
        const bad = audioCodecOf(f) === null ? f : d.to.sendFormat;
        throw audioCodecOf(bad) === null
          ? notDecodableError('MEDIA_NO_COMMON_CODEC', bad, `legs ${d.from.id} and ${d.to.id} share no codec and transcoding needs a decoder`)
          : new GatehouseError('internal', 'MEDIA_ROUTE_FAILED', 'no route between decodable codecs');
      }
    }
  }

  onRtp(from: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number, arrivedAt: number): void {
    const d = from === this.ab.from ? this.ab : this.ba;
    const pt = view.payloadType;
    const action = d.route(pt);
    if (action === NO_ROUTE) {
      countDrop('no-route');
      return;
    }
    packet[1] = ((packet[1] ?? 0) & 0x80) | d.target(pt);
    if (action === TRANSCODE) {
      const t = d.transcoder(pt);
      if (t === undefined || !t.transcodeInPlace(packet, view.payloadOffset, view.payloadLength)) {
        countDrop('no-route');
        return;
      }
    }
    const sent = d.to.sendRtp(packet, view, nowMs);
    if (sent && (++this.sampled & SAMPLE_MASK) === 0) {
      mediaRelayLatency.observe(action === TRANSCODE ? TRANSCODE_LABELS : FORWARD_LABELS, (this.clock.now() - arrivedAt) / 1000);
    }
  }

  /** PLI/FIR from `leg` about the stream we send it: ask the other leg's sender for a key frame. */
  onKeyFrameRequest(leg: RoomLeg, mediaSsrc: number): void {
    if (mediaSsrc >>> 0 !== leg.ssrc) return;
    const source = leg.currentSource();
    const other = leg === this.ab.from ? this.ab.to : this.ab.from;
    if (source !== null && other.receivesFrom(source)) other.requestKeyFrame(source);
  }
}
