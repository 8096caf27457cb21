/**
 * Two-party media: every packet of one leg is relayed to the other, re-encrypted under the
 * other leg's own SRTP suite and key (the legs' send paths do that).
 *
 * Per incoming payload type the route is decided once and cached:
 *   same codec on the other leg (RFC 3264 6.1: name/clock/channels)  -> forward, PT remapped
 *   telephone-event (RFC 4733) and the other leg negotiated it        -> forward, PT remapped;
 *     at another clock rate (te/48000 of an Opus guest, te/8000 of a
 *     G.711 leg) the timestamp and the duration field are rescaled     (rtp-clock-scaler.ts)
 *   PCMU/PCMA/G722 and the other leg sends another of those           -> transcode in place
 *   Opus and the other leg sends PCMU/PCMA/G722, or the reverse       -> transcode to a new
 *     packet (opus-transcoder.ts), timestamps rescaled 48 kHz <-> 8 kHz
 *   anything else (iLBC, CN the other leg lacks, ...)                 -> drop 'no-route'
 * The leg's own send codec must be routable both ways, or the constructor throws (488).
 * One TimestampScaler per direction serves audio and telephone-event, so an event keeps the
 * timestamp of the audio it started with (RFC 4733 2.5.1.1).
 *
 * Opus state: one OpusCodec (libopus encoder + decoder) per Opus leg that needs transcoding,
 * at the other leg's codec rate (8 kHz for G.711, 16 kHz for G.722: opus-codec.ts), created on
 * the first packet that needs it and freed by close(), which the room calls when this relay is
 * replaced (a leg joins or leaves) or the room closes.
 */
import { GatehouseError } from '../../core/errors.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { countDrop, mediaRelayLatency } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import { audioCodecOf, codecSampleRate, isTelephoneEvent, notDecodableError, roomCodecOf, sameCodec } from './audio-codec.ts';
import type { PayloadFormat, RoomLeg } from './media-types.ts';
import { OpusCodec } from './opus-codec.ts';
import { OpusRelayRoute } from './opus-transcoder.ts';
import type { RouteSend } from './opus-transcoder.ts';
import { TimestampScaler, scaleEventDuration } from './rtp-clock-scaler.ts';
import { Transcoder } from './transcoder.ts';

const UNKNOWN = 0;
const FORWARD = 1;
const TRANSCODE = 2;
const NO_ROUTE = 3;
/** Opus on one side: decode/encode into a new packet (opus-transcoder.ts). */
const REBUILD = 4;
/** telephone-event at another clock rate: timestamp and duration rescaled in place. */
const EVENT_RESCALE = 5;
/** Relay latency is observed for 1 packet in 16: a histogram observe per packet costs more than the relay. */
const SAMPLE_MASK = 15;
const FORWARD_LABELS = { mode: 'relay' };
const TRANSCODE_LABELS = { mode: 'transcode' };

/** The Opus codecs of a relay's legs (one per Opus leg, shared by both directions). */
class OpusCodecs {
  private readonly codecs = new Map<RoomLeg, OpusCodec>();

  /** The codec of Opus leg `leg`, running at the rate of `other`'s codec. */
  of(leg: RoomLeg, other: RoomLeg): OpusCodec {
    let c = this.codecs.get(leg);
    if (c === undefined) {
      const o = audioCodecOf(other.sendFormat);
      c = new OpusCodec(o === null ? 8000 : codecSampleRate(o));
      this.codecs.set(leg, c);
    }
    return c;
  }

  free(): void {
    for (const c of this.codecs.values()) c.free();
    this.codecs.clear();
  }
}

/** One direction's routing table (source leg -> target leg). */
class Direction {
  readonly from: RoomLeg;
  readonly to: RoomLeg;
  private readonly action = new Uint8Array(128);
  private readonly targetPt = new Uint8Array(128);
  private readonly transcoders: (Transcoder | undefined)[] = [];
  private readonly rebuilds: (OpusRelayRoute | undefined)[] = [];
  private readonly opus: OpusCodecs;
  private clockScaler: TimestampScaler | null = null;
  /** Time of the packet being relayed, for `send` (bound once: no closure per packet). */
  nowMs = 0;
  readonly send: RouteSend = (p, v) => this.to.sendRtp(p, v, this.nowMs);

  constructor(from: RoomLeg, to: RoomLeg, opus: OpusCodecs) {
    this.from = from;
    this.to = to;
    this.opus = opus;
  }

  /**
   * The direction's scaler between the two legs' send clocks (one per direction: the outgoing
   * stream has one timeline), or null when a payload's clock is not that pair.
   */
  scaler(fromClock: number, toClock: number): TimestampScaler | null {
    if (fromClock !== this.from.sendFormat.clockRate || toClock !== this.to.sendFormat.clockRate) return null;
    this.clockScaler ??= new TimestampScaler(fromClock, toClock);
    return this.clockScaler;
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
      if (te === null) return NO_ROUTE;
      this.targetPt[pt] = te;
      if (f.clockRate === to.sendFormat.clockRate) return FORWARD;
      return this.scaler(f.clockRate, to.sendFormat.clockRate) === null ? NO_ROUTE : EVENT_RESCALE;
    }
    const same = sameCodec(f, to.sendFormat) ? to.sendFormat : findSame(to, f);
    if (same !== undefined) {
      this.targetPt[pt] = same.pt;
      return FORWARD;
    }
    const src = roomCodecOf(f);
    const dst = roomCodecOf(to.sendFormat);
    if (src === null || dst === null) return NO_ROUTE;
    this.targetPt[pt] = to.sendFormat.pt;
    if (src === 'OPUS' && dst === 'OPUS') return FORWARD; // opus/48000/1 from a lenient peer: the same bitstream
    if (src !== 'OPUS' && dst !== 'OPUS') {
      this.transcoders[pt] = new Transcoder(src, dst);
      return TRANSCODE;
    }
    const scaler = this.scaler(f.clockRate, to.sendFormat.clockRate);
    if (scaler === null) return NO_ROUTE;
    const opus = src === 'OPUS' ? this.opus.of(this.from, to) : this.opus.of(to, this.from);
    this.rebuilds[pt] = new OpusRelayRoute({ from: src, to: dst, opus, targetPt: to.sendFormat.pt, scaler });
    return REBUILD;
  }

  rebuild(pt: number): OpusRelayRoute | undefined {
    return this.rebuilds[pt];
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
  private readonly opus = new OpusCodecs();
  private sampled = 0;

  constructor(a: RoomLeg, b: RoomLeg, clock: Clock) {
    this.ab = new Direction(a, b, this.opus);
    this.ba = new Direction(b, a, this.opus);
    this.clock = clock;
    try {
      for (const d of [this.ab, this.ba]) {
        if (d.route(d.from.sendFormat.pt) === NO_ROUTE) {
          const f = d.from.sendFormat;
          const bad = roomCodecOf(f) === null ? f : d.to.sendFormat;
          throw roomCodecOf(bad) === null
            ? notDecodableError('MEDIA_NO_COMMON_CODEC', bad, `legs ${d.from.id} and ${d.to.id} share no codec and transcoding needs a decoder`)
            : new GatehouseError('internal', 'MEDIA_ROUTE_FAILED', 'no route between decodable codecs');
        }
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Frees the Opus codecs (the room calls it when it replaces or drops this relay). */
  close(): void {
    this.opus.free();
  }

  onRtp(from: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number, arrivedAt: number): void {
    const d = from === this.ab.from ? this.ab : this.ba;
    const pt = view.payloadType;
    const action = d.route(pt);
    if (action === NO_ROUTE) {
      countDrop('no-route');
      return;
    }
    if (action === REBUILD) {
      const r = d.rebuild(pt);
      if (r === undefined) return countDrop('no-route');
      d.nowMs = nowMs;
      const sent = r.relay(packet, view, d.send);
      if (sent && (++this.sampled & SAMPLE_MASK) === 0) mediaRelayLatency.observe(TRANSCODE_LABELS, (this.clock.now() - arrivedAt) / 1000);
      return;
    }
    packet[1] = ((packet[1] ?? 0) & 0x80) | d.target(pt);
    if (action === EVENT_RESCALE) {
      const s = d.scaler(d.from.sendFormat.clockRate, d.to.sendFormat.clockRate);
      if (s === null) return countDrop('no-route');
      view.timestamp = s.map(view.timestamp);
      scaleEventDuration(packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength), s.ratio);
    } else if (action === TRANSCODE) {
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
