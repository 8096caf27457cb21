/**
 * Three or more participants: each leg hears an N-1 mix of the others (src/core/mix).
 *
 * Per leg: incoming audio is decoded (PCMU/PCMA/G.722, or Opus by libopus: opus-codec.ts),
 * brought to the mix rate and queued; every 20 ms `tick()` (timer in media-room.ts) takes one
 * frame per leg (or silence), mixes, and each leg gets its mix resampled to its codec rate,
 * encoded and sent as one packet of the leg's "mix timeline" (its own seq/ts, which the leg's
 * RtpStreamRewriter maps onto the leg's SSRC). A leg is sent a mix every tick, silence
 * included, so its jitter buffer and NAT binding stay alive.
 *
 * Mix rate: 16 kHz when any leg sends G.722 or Opus (wideband: browser guests keep their speech
 * quality), else 8 kHz. An Opus leg's codec runs at the mix rate itself (libopus decodes to and
 * encodes from 8/16 kHz directly), so Opus needs no resampler here; its output is one 20 ms
 * Opus packet per tick (RFC 7587 s4.1: timestamps step 960 at 48 kHz). Each Opus leg owns one
 * OpusCodec (encoder + decoder state), freed by close(), which the room calls when this mix is
 * replaced (a leg joins or leaves) or the room closes.
 *
 * Opus loss: a gap of 1 to 3 sequence numbers in an Opus leg's stream is concealed with libopus
 * PLC (OpusCodec.conceal()) before the next packet is decoded; a longer gap just leaves the
 * queue short (the mix carries silence for that leg). An Opus packet older than the last one
 * decoded is dropped ('late'): decoding it out of order would corrupt the decoder state.
 * G.711/G.722 losses leave the queue short as before.
 *
 * Queues are bounded (jitter): above 3 frames the oldest audio is discarded down to 2 frames
 * (dropped as 'jitter-overflow'), so a sender whose clock runs fast cannot build up delay.
 *
 * DTMF (RFC 4733) from one leg is forwarded to every other leg that negotiated
 * telephone-event, on that leg's mix timeline: the event's timestamp is the mix timestamp when
 * the event started (2.5.1.1: all packets of one event carry its start time), sequence numbers
 * from the shared timeline counter, and the duration field rescaled when the clocks differ
 * (te/48000 of an Opus guest, te/8000 of a G.711 leg). Codecs a room cannot decode (iLBC,
 * G.729, ...) cannot join a mix: the constructor throws MEDIA_CODEC_NOT_MIXABLE.
 */
import { randomInt } from 'node:crypto';
import { NMinusOneMixer, frameSamples } from '../../core/mix/n-minus-one-mixer.ts';
import { SILENCE_DBOV, frameLevelDbov } from '../../core/mix/audio-level.ts';
import { Downsampler2x, Upsampler2x } from '../../core/mix/resample-2x.ts';
import { RtpHeaderView, parseRtpHeaderInto, writeU16, writeU32 } from '../../core/rtp/rtp-packet.ts';
import { countDrop } from '../../metrics/media.ts';
import { audioCodecOf, codecSampleRate, createDecoder, createEncoder, isTelephoneEvent, notDecodableError, roomCodecOf } from './audio-codec.ts';
import type { AudioCodecName, AudioDecoder, AudioEncoder, RoomCodecName } from './audio-codec.ts';
import { Int16ViewCache, ViewCache } from './buffers.ts';
import type { PayloadFormat, RoomLeg } from './media-types.ts';
import { OpusCodec } from './opus-codec.ts';
import { scaleEventDuration } from './rtp-clock-scaler.ts';

export const MIX_FRAME_MS = 20;
const MAX_QUEUED_FRAMES = 3;
const KEEP_FRAMES = 2;
const MAX_INPUT_OCTETS = 960; // 120 ms of 8 kHz-clock audio
const MAX_OUTPUT_OCTETS = 3828; // an Opus packet: at most 3 x 1275 octets + framing (RFC 6716 s3.2.5)
const MAX_CONCEALED = 3;

/**
 * Scratch space shared by every mix in the process: each use (decode one packet, build and send
 * one packet) completes synchronously, and the leg protects the packet into its own send
 * buffer before returning, so nothing here outlives the call that filled it.
 */
const shared = {
  scratch: new ViewCache(MAX_INPUT_OCTETS),
  pcm: new Int16ViewCache(2 * MAX_INPUT_OCTETS),
  pcm2: new Int16ViewCache(2 * MAX_INPUT_OCTETS),
  packet: new ViewCache(12 + MAX_OUTPUT_OCTETS),
  view: new RtpHeaderView(),
};

/** Bounded FIFO of samples at the mix rate. */
class SampleQueue {
  private readonly buf: Int16Array;
  private start = 0;
  private size = 0;

  constructor(capacity: number) {
    this.buf = new Int16Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(samples: Int16Array): void {
    const cap = this.buf.length;
    if (samples.length > cap) return;
    if (this.size + samples.length > cap) this.discard(this.size + samples.length - cap);
    let w = (this.start + this.size) % cap;
    for (let i = 0; i < samples.length; i++) {
      this.buf[w] = samples[i] ?? 0;
      w = w + 1 === cap ? 0 : w + 1;
    }
    this.size += samples.length;
  }

  discard(n: number): void {
    const k = Math.min(n, this.size);
    this.start = (this.start + k) % this.buf.length;
    this.size -= k;
  }

  /** Fills `out` from the queue; false (and nothing taken) when not enough is queued. */
  pop(out: Int16Array): boolean {
    if (this.size < out.length) return false;
    const cap = this.buf.length;
    let r = this.start;
    for (let i = 0; i < out.length; i++) {
      out[i] = this.buf[r] ?? 0;
      r = r + 1 === cap ? 0 : r + 1;
    }
    this.start = r;
    this.size -= out.length;
    return true;
  }
}

class MixMember {
  readonly leg: RoomLeg;
  readonly queue: SampleQueue;
  readonly input: Int16Array;
  readonly output: Int16Array;
  hasInput = false;
  private readonly decoders = new Map<AudioCodecName, AudioDecoder>();
  private readonly upsamplers = new Map<AudioCodecName, Upsampler2x>();
  private readonly downsamplers = new Map<AudioCodecName, Downsampler2x>();
  // output side
  private readonly encoder: AudioEncoder | null;
  private readonly outDown: Downsampler2x | null;
  private readonly outPcm: Int16Array;
  /** Opus legs: the leg's libopus encoder + decoder at the mix rate. */
  readonly opus: OpusCodec | null;
  private opusStarted = false;
  private opusSsrc = 0;
  private opusSeq = 0;
  readonly packet = shared.packet;
  readonly view = shared.view;
  readonly timelineSsrc = randomInt(1, 0xffffffff);
  seq = randomInt(0, 0x10000);
  ts = randomInt(0, 0xffffffff);
  first = true;
  dtmfSourceLeg = '';
  dtmfSourceTs = -1;
  dtmfMappedTs = 0;

  constructor(leg: RoomLeg, codec: RoomCodecName, mixRate: 8000 | 16000, frame: number) {
    this.leg = leg;
    this.queue = new SampleQueue(frame * 8);
    this.input = new Int16Array(frame);
    this.output = new Int16Array(frame);
    this.opus = codec === 'OPUS' ? new OpusCodec(mixRate) : null;
    this.encoder = codec === 'OPUS' ? null : createEncoder(codec);
    this.outDown = codec !== 'OPUS' && codecSampleRate(codec) < mixRate ? new Downsampler2x(frame) : null;
    this.outPcm = new Int16Array(this.outDown === null ? frame : frame / 2);
  }

  /** Decodes an Opus packet of this leg at the mix rate (concealing a short loss first) and queues it. */
  enqueueOpus(packet: Buffer, view: RtpHeaderView): void {
    const opus = this.opus;
    if (opus === null) return countDrop('no-route');
    if (this.opusStarted && view.ssrc === this.opusSsrc) {
      const gap = ((view.sequenceNumber - this.opusSeq) << 16) >> 16;
      if (gap <= 0) return countDrop('late');
      const lost = gap - 1;
      if (lost <= MAX_CONCEALED) {
        for (let k = 0; k < lost; k++) {
          const c = opus.conceal();
          if (c !== null) this.push(c);
        }
      }
    }
    this.opusStarted = true;
    this.opusSsrc = view.ssrc;
    this.opusSeq = view.sequenceNumber;
    const pcm = opus.decode(packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength));
    if (pcm === null) return countDrop('codec-error');
    this.push(pcm);
  }

  private push(pcm: Int16Array): void {
    this.queue.push(pcm);
    if (this.queue.length > MAX_QUEUED_FRAMES * this.input.length) {
      this.queue.discard(this.queue.length - KEEP_FRAMES * this.input.length);
      countDrop('jitter-overflow');
    }
  }

  /** Decodes `length` payload octets at `offset` of `packet` and queues them at `mixRate`. */
  enqueue(codec: AudioCodecName, packet: Buffer, offset: number, length: number, mixRate: number): void {
    if (length > MAX_INPUT_OCTETS) return countDrop('no-route');
    let dec = this.decoders.get(codec);
    if (dec === undefined) {
      dec = createDecoder(codec);
      this.decoders.set(codec, dec);
    }
    packet.copy(shared.scratch.buffer, 0, offset, offset + length);
    let pcm = shared.pcm.view(dec.samplesFor(length));
    dec.decode(shared.scratch.view(length), pcm);
    if (dec.sampleRate < mixRate) {
      let up = this.upsamplers.get(codec);
      if (up === undefined) {
        up = new Upsampler2x(MAX_INPUT_OCTETS);
        this.upsamplers.set(codec, up);
      }
      const out = shared.pcm2.view(2 * pcm.length);
      up.process(pcm, out, 0);
      pcm = out;
    } else if (dec.sampleRate > mixRate) {
      let down = this.downsamplers.get(codec);
      if (down === undefined) {
        down = new Downsampler2x(2 * MAX_INPUT_OCTETS);
        this.downsamplers.set(codec, down);
      }
      const out = shared.pcm2.view(pcm.length / 2);
      down.process(pcm, out, 0);
      pcm = out;
    }
    this.push(pcm);
  }

  /** Encodes this member's mix into its packet buffer; returns the packet length, or -1 (not encodable). */
  encodeOutput(): number {
    let pcm = this.output;
    if (this.outDown !== null) {
      this.outDown.process(this.output, this.outPcm, 0);
      pcm = this.outPcm;
    }
    const n = this.encoder !== null ? this.encoder.encode(pcm, this.packet.buffer, 12) : (this.opus?.encode(pcm, this.packet.buffer, 12) ?? -1);
    if (n < 0) return -1;
    const b = this.packet.buffer;
    b[0] = 0x80;
    b[1] = (this.first ? 0x80 : 0) | this.leg.sendFormat.pt; // marker: start of a talkspurt (RFC 3551 4.1)
    this.first = false;
    writeU16(b, 2, this.seq);
    writeU32(b, 4, this.ts);
    writeU32(b, 8, this.timelineSsrc);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + (MIX_FRAME_MS * this.leg.sendFormat.clockRate) / 1000) >>> 0;
    return 12 + n;
  }
}

export class MixPath {
  readonly mixRate: 8000 | 16000;
  readonly frame: number;
  private readonly members: MixMember[];
  private readonly mixer: NMinusOneMixer;
  private readonly inputs: (Int16Array | null)[];
  private readonly outputs: Int16Array[];
  /** Each leg's frame level (dBov) per tick, for the active speaker (video); null: not measured. */
  onLevel: ((leg: RoomLeg, levelDbov: number, nowMs: number) => void) | null = null;

  constructor(legs: readonly RoomLeg[]) {
    const codecs = legs.map((leg) => {
      const c = roomCodecOf(leg.sendFormat);
      if (c === null) throw notDecodableError('MEDIA_CODEC_NOT_MIXABLE', leg.sendFormat, `leg ${leg.id} cannot join a mix of ${legs.length}`);
      return c;
    });
    this.mixRate = codecs.includes('G722') || codecs.includes('OPUS') ? 16000 : 8000;
    this.frame = frameSamples(this.mixRate, MIX_FRAME_MS);
    const members: MixMember[] = [];
    try {
      for (const [i, leg] of legs.entries()) members.push(new MixMember(leg, codecs[i] ?? 'PCMU', this.mixRate, this.frame));
    } catch (err) {
      for (const m of members) m.opus?.free();
      throw err;
    }
    this.members = members;
    this.mixer = new NMinusOneMixer(this.frame);
    this.inputs = this.members.map(() => null);
    this.outputs = this.members.map((m) => m.output);
  }

  onRtp(from: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number): void {
    let m: MixMember | undefined;
    for (const x of this.members) if (x.leg === from) m = x;
    const f = from.format(view.payloadType);
    if (m === undefined || f === undefined) return;
    if (isTelephoneEvent(f)) return this.forwardDtmf(m, f, packet, view, nowMs);
    if (roomCodecOf(f) === 'OPUS') return m.enqueueOpus(packet, view);
    const codec = audioCodecOf(f);
    if (codec === null) return; // CN and other non-audio payloads: the mix carries silence
    m.enqueue(codec, packet, view.payloadOffset, view.payloadLength, this.mixRate);
  }

  /** Frees the Opus legs' codecs. The room calls it when it replaces or drops this mix. */
  close(): void {
    for (const m of this.members) m.opus?.free();
  }

  /** One 20 ms mix step: every leg gets the others' audio. */
  tick(nowMs: number): void {
    const members = this.members;
    for (let i = 0; i < members.length; i++) {
      const m = members[i] as MixMember;
      this.inputs[i] = m.queue.pop(m.input) ? m.input : null;
      if (this.onLevel !== null) this.onLevel(m.leg, this.inputs[i] === null ? SILENCE_DBOV : frameLevelDbov(m.input), nowMs);
    }
    this.mixer.mix(this.inputs, this.outputs);
    for (const m of members) {
      const len = m.encodeOutput();
      if (len < 0) {
        countDrop('codec-error');
        continue;
      }
      const packet = m.packet.view(len);
      if (parseRtpHeaderInto(packet, m.view) === null) m.leg.sendRtp(packet, m.view, nowMs);
    }
  }

  private forwardDtmf(from: MixMember, f: PayloadFormat, packet: Buffer, view: RtpHeaderView, nowMs: number): void {
    const payloadLength = view.payloadLength;
    for (const m of this.members) {
      if (m === from) continue;
      const te = m.leg.telephoneEventPt;
      if (te === null) {
        countDrop('no-route');
        continue;
      }
      if (m.dtmfSourceLeg !== from.leg.id || m.dtmfSourceTs !== view.timestamp) {
        m.dtmfSourceLeg = from.leg.id;
        m.dtmfSourceTs = view.timestamp;
        m.dtmfMappedTs = m.ts;
      }
      const b = m.packet.buffer;
      b[0] = 0x80;
      b[1] = ((packet[1] ?? 0) & 0x80) | te;
      writeU16(b, 2, m.seq);
      writeU32(b, 4, m.dtmfMappedTs);
      writeU32(b, 8, m.timelineSsrc);
      m.seq = (m.seq + 1) & 0xffff;
      packet.copy(b, 12, view.payloadOffset, view.payloadOffset + payloadLength);
      const clock = m.leg.sendFormat.clockRate; // the target's te PT is at its send clock
      if (clock !== f.clockRate) scaleEventDuration(b.subarray(12, 12 + payloadLength), clock / f.clockRate);
      const out = m.packet.view(12 + payloadLength);
      if (parseRtpHeaderInto(out, m.view) === null) m.leg.sendRtp(out, m.view, nowMs);
    }
  }
}
