/**
 * Two-party transcoding of one direction of audio when one side is Opus (the other PCMU, PCMA
 * or G.722): e.g. a browser guest on Opus and a room system on G.711.
 *
 * Unlike transcoder.ts this cannot work in place: an Opus payload has no fixed size, and the RTP
 * clock changes (48 kHz for Opus, RFC 7587 s4.1; 8 kHz for G.711/G.722, RFC 3551 4.5.2). Each
 * packet is decoded, resampled only when the Opus codec runs at another rate than the other
 * codec (8 <-> 16 kHz, resample-2x.ts; normally it runs at that codec's rate, opus-codec.ts),
 * encoded, and sent as a new packet with the source's SSRC, sequence number and marker, its
 * timestamp mapped onto the target clock by the direction's TimestampScaler. One packet out per
 * packet in: the receiver sees the sender's packetisation (and loss) as it was.
 *
 * To Opus: the packet's duration must be one opus_encode() accepts (2.5-60 ms, 80/100/120 ms;
 * so 20 ms ptime, the norm, but not 30 ms); others are dropped as 'codec-error'.
 *
 * From Opus, loss: a gap of 1 to 3 sequence numbers is concealed (OpusCodec.conceal(), libopus
 * PLC) and the concealed audio is sent as the missing packets (their sequence numbers and
 * timestamps), so the G.711/G.722 receiver gets continuous audio that fades naturally instead
 * of a hole; a longer gap is left as it is (the decoder resumes on the next packet). A packet
 * older than the last one decoded arrives after its frame was concealed or skipped: dropped
 * ('late'), since decoding it out of order would corrupt the decoder's prediction state.
 */
import { Downsampler2x, Upsampler2x } from '../../core/mix/resample-2x.ts';
import { RtpHeaderView, parseRtpHeaderInto, writeU16, writeU32 } from '../../core/rtp/rtp-packet.ts';
import { countDrop } from '../../metrics/media.ts';
import { codecSampleRate, createDecoder, createEncoder } from './audio-codec.ts';
import type { AudioDecoder, AudioEncoder, RoomCodecName } from './audio-codec.ts';
import { Int16ViewCache, ViewCache } from './buffers.ts';
import { OPUS_RTP_CLOCK } from './opus-codec.ts';
import type { OpusCodec } from './opus-codec.ts';
import type { TimestampScaler } from './rtp-clock-scaler.ts';

/** 180 ms at 16 kHz: more than any packet carries (RFC 6716 s3.2.5: at most 120 ms). */
const MAX_PCM = 2880;
/** An Opus packet is at most 3 x 1275 octets (RFC 6716 s3.2.5 code 3); G.711 120 ms is 960. */
const MAX_PAYLOAD = 3828;
/** Largest gap (lost packets) concealed. */
const MAX_CONCEALED = 3;
/** Largest G.711/G.722 payload decoded: 120 ms. */
const MAX_INPUT_OCTETS = 960;

/** Scratch shared by every route: each relay() call finishes with it (the leg protects into its own buffer). */
const shared = {
  out: new ViewCache(12 + MAX_PAYLOAD),
  view: new RtpHeaderView(),
  decoded: new Int16ViewCache(MAX_PCM),
  resampled: new Int16ViewCache(MAX_PCM),
};

export type RouteSend = (packet: Buffer, view: RtpHeaderView) => boolean;

export interface OpusRouteOptions {
  readonly from: RoomCodecName;
  readonly to: RoomCodecName;
  /** The Opus leg's codec (its decoder when `from` is Opus, its encoder when `to` is). */
  readonly opus: OpusCodec;
  readonly targetPt: number;
  /** The direction's scaler from the source's RTP clock to the target's. */
  readonly scaler: TimestampScaler;
}

export class OpusRelayRoute {
  readonly from: RoomCodecName;
  readonly to: RoomCodecName;
  private readonly opus: OpusCodec;
  private readonly targetPt: number;
  private readonly scaler: TimestampScaler;
  /** G.711/G.722 side (the one that is not Opus). */
  private readonly decoder: AudioDecoder | null;
  private readonly encoder: AudioEncoder | null;
  private readonly encodeRate: number;
  private readonly up = new Upsampler2x(MAX_PCM / 2);
  private readonly down = new Downsampler2x(MAX_PCM);
  private hasLast = false;
  private lastSsrc = 0;
  private lastSeq = 0;
  private lastTs = 0;

  constructor(o: OpusRouteOptions) {
    this.from = o.from;
    this.to = o.to;
    this.opus = o.opus;
    this.targetPt = o.targetPt;
    this.scaler = o.scaler;
    this.decoder = o.from === 'OPUS' ? null : createDecoder(o.from);
    this.encoder = o.to === 'OPUS' ? null : createEncoder(o.to);
    this.encodeRate = o.to === 'OPUS' ? o.opus.sampleRate : codecSampleRate(o.to);
  }

  /** Transcodes one packet (and conceals a short loss before it); false when it was dropped (counted). */
  relay(packet: Buffer, view: RtpHeaderView, send: RouteSend): boolean {
    const payload = packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength);
    if (this.decoder === null) {
      const lost = this.lostBefore(view);
      if (lost < 0) {
        countDrop('late');
        return false;
      }
      for (let k = 1; k <= lost; k++) this.sendConcealed(k, view.ssrc, send);
      this.hasLast = true;
      this.lastSsrc = view.ssrc;
      this.lastSeq = view.sequenceNumber;
      this.lastTs = view.timestamp;
      const pcm = this.opus.decode(payload);
      if (pcm === null) {
        countDrop('codec-error');
        return false;
      }
      return this.encodeAndSend(pcm, this.opus.sampleRate, view.marker, view.sequenceNumber, view.timestamp, view.ssrc, send);
    }
    if (payload.length > MAX_INPUT_OCTETS) {
      countDrop('codec-error');
      return false;
    }
    const decoder = this.decoder;
    const pcm = shared.decoded.view(decoder.samplesFor(payload.length));
    decoder.decode(payload, pcm);
    return this.encodeAndSend(pcm, decoder.sampleRate, view.marker, view.sequenceNumber, view.timestamp, view.ssrc, send);
  }

  /** Packets lost just before this one that we conceal (0..MAX_CONCEALED), or -1: late/duplicate. */
  private lostBefore(view: RtpHeaderView): number {
    if (!this.hasLast || view.ssrc !== this.lastSsrc) return 0;
    const gap = ((view.sequenceNumber - this.lastSeq) << 16) >> 16;
    if (gap <= 0) return -1;
    return gap - 1 <= MAX_CONCEALED ? gap - 1 : 0;
  }

  private sendConcealed(k: number, ssrc: number, send: RouteSend): void {
    const pcm = this.opus.conceal();
    if (pcm === null || pcm.length === 0) return;
    const ticks = Math.round((pcm.length * OPUS_RTP_CLOCK) / this.opus.sampleRate);
    this.encodeAndSend(pcm, this.opus.sampleRate, false, (this.lastSeq + k) & 0xffff, (this.lastTs + k * ticks) >>> 0, ssrc, send);
  }

  private encodeAndSend(decoded: Int16Array, rate: number, marker: boolean, seq: number, ts: number, ssrc: number, send: RouteSend): boolean {
    let pcm = decoded;
    if (rate < this.encodeRate) {
      pcm = shared.resampled.view(2 * decoded.length);
      this.up.process(decoded, pcm, 0);
    } else if (rate > this.encodeRate) {
      pcm = shared.resampled.view(decoded.length >> 1);
      this.down.process(decoded.length % 2 === 0 ? decoded : decoded.subarray(0, decoded.length - 1), pcm, 0);
    }
    const b = shared.out.buffer;
    const n = this.encoder === null ? this.opus.encode(pcm, b, 12) : this.encodeOther(this.encoder, pcm, b);
    if (n < 0) {
      countDrop('codec-error');
      return false;
    }
    b[0] = 0x80;
    b[1] = (marker ? 0x80 : 0) | this.targetPt;
    writeU16(b, 2, seq);
    writeU32(b, 4, this.scaler.map(ts));
    writeU32(b, 8, ssrc);
    const out = shared.out.view(12 + n);
    if (parseRtpHeaderInto(out, shared.view) !== null) return false;
    return send(out, shared.view);
  }

  private encodeOther(encoder: AudioEncoder, pcm: Int16Array, b: Buffer): number {
    const octets = this.to === 'G722' ? pcm.length >> 1 : pcm.length;
    if (12 + octets > b.length || (this.to === 'G722' && pcm.length % 2 !== 0)) return -1;
    return encoder.encode(pcm, b, 12);
  }
}
