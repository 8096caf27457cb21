/**
 * Opus (RFC 6716) for the room media plane, on libopus 1.4 compiled to WebAssembly (the
 * `opusscript` package): one OpusCodec is one libopus encoder + decoder pair, owned by one Opus
 * leg of a mix or of a transcoding two-party relay, and freed (`free()`) when that path is
 * replaced or closed, i.e. when a leg joins or leaves (media-room.ts). The wasm heap is not
 * garbage-collected: a codec that is never freed leaks; `liveOpusCodecs()` and the gauge
 * gatehouse_media_opus_codecs count the live ones.
 *
 * Internal rate. libopus encodes from and decodes to 8, 12, 16, 24 or 48 kHz itself (its own
 * band-limited resampling inside SILK/CELT), so the room never resamples Opus audio: the codec
 * runs at the rate of the PCM it meets.
 *   - mix (mix-path.ts): 16 kHz whenever an Opus or G.722 leg is in the room. Wideband (50 Hz -
 *     7 kHz) keeps speech quality for browser guests, matches G.722 without a resampler, and
 *     costs a third of a 48 kHz mix; fullband music is not what rooms carry.
 *   - relay (opus-transcoder.ts): the rate of the other leg's codec, 8 kHz (G.711) or 16 kHz
 *     (G.722): nothing above that band survives the other codec anyway.
 * The RTP clock of Opus is 48 kHz whatever the audio bandwidth (RFC 7587 s4.1), so timestamps
 * advance 960 per 20 ms; the transcoders scale them.
 *
 * Channels: mono. The rtpmap says opus/48000/2 (RFC 7587 s7: always 2), but a mono decoder
 * decodes stereo packets (libopus down-mixes) and a mono stream is a valid Opus stream for any
 * receiver (RFC 7587 s6.1: stereo=0 is the default).
 *
 * Loss (conceal()): opusscript's decode() of an empty packet runs libopus PLC for its fixed
 * maximum frame (2880 samples, 180 ms at 16 kHz), which drives the decoder deep into loss mode:
 * the next real packets come out attenuated for several frames (measured: 6 % of the level
 * right after one lost 20 ms frame). Instead we decode a TOC-only packet: the last packet's TOC
 * byte with frame-count code 0 (RFC 6716 s3.1) and a zero-length frame, which libopus
 * conceals for exactly that frame's duration (RFC 6716 s3.2.1: a zero-length frame is a lost
 * or DTX frame; RFC 7845 s4.1 repairs gaps the same way). No in-band FEC: opusscript exposes no
 * decode_fec flag.
 *
 * Byte order: opusscript takes and returns little-endian 16-bit PCM in Buffers; we view our
 * Int16Arrays as bytes, which assumes a little-endian host (x86-64, arm64: Node's platforms).
 */
import OpusScript from 'opusscript';
import { mediaOpusCodecs } from '../../metrics/media.ts';

export type OpusRate = 8000 | 16000;

/** RTP clock rate of Opus (RFC 7587 s4.1). */
export const OPUS_RTP_CLOCK = 48000;

/** Largest frame libopus decodes in one opusscript call (its MAX_FRAME_SIZE): 180 ms at 16 kHz. */
const MAX_SAMPLES = 2880;

let live = 0;

/** Opus codecs allocated and not yet freed (tests check joins/leaves leave none behind). */
export function liveOpusCodecs(): number {
  return live;
}

/**
 * Whether `samples` at `rate` is a duration one opus_encode() call accepts: 2.5, 5, 10, 20, 40,
 * 60 ms, and since libopus 1.2 also 80, 100 and 120 ms (not 30 ms).
 */
export function isOpusFrameSize(samples: number, rate: number): boolean {
  const tenths = (samples * 10000) / rate; // duration in 0.1 ms
  return [25, 50, 100, 200, 400, 600, 800, 1000, 1200].includes(tenths);
}

export class OpusCodec {
  readonly sampleRate: OpusRate;
  private readonly opus: OpusScript;
  private readonly pcm = new Int16Array(MAX_SAMPLES);
  private readonly pcmBytes = new Uint8Array(this.pcm.buffer);
  private readonly conceal1 = Buffer.alloc(1);
  private lastToc = -1;
  private lastSamples = 0;
  private freed = false;

  constructor(sampleRate: OpusRate) {
    this.sampleRate = sampleRate;
    this.opus = new OpusScript(sampleRate, 1, OpusScript.Application.VOIP);
    live++;
    mediaOpusCodecs.inc();
  }

  /** Samples (at sampleRate) of the last packet decoded or concealed; 0 before the first. */
  get lastPacketSamples(): number {
    return this.lastSamples;
  }

  /**
   * Decodes one Opus packet (RFC 7587 s4.2: one packet per RTP payload). Returns the PCM (a
   * view into this codec's buffer, valid until its next call) or null when libopus rejects the
   * packet (the caller counts 'codec-error'; the decoder state is unchanged).
   */
  decode(payload: Uint8Array): Int16Array | null {
    if (this.freed || payload.length === 0) return null;
    let out: Buffer;
    try {
      out = this.opus.decode(Buffer.from(payload.buffer, payload.byteOffset, payload.length));
    } catch {
      return null;
    }
    const n = out.length >> 1;
    this.pcmBytes.set(out.subarray(0, 2 * n));
    this.lastToc = payload[0] ?? -1;
    this.lastSamples = n;
    return this.pcm.subarray(0, n);
  }

  /**
   * Packet loss concealment for one lost packet of the last packet's duration. Returns the
   * concealed PCM (view, as decode()) or null before the first packet.
   */
  conceal(): Int16Array | null {
    if (this.freed || this.lastToc < 0 || this.lastSamples === 0) return null;
    this.conceal1[0] = this.lastToc & 0xfc; // code 0: one frame, here of zero length
    let n = 0;
    try {
      while (n < this.lastSamples) {
        const out = this.opus.decode(this.conceal1);
        const k = Math.min(out.length >> 1, this.lastSamples - n);
        if (k === 0) break;
        this.pcmBytes.set(out.subarray(0, 2 * k), 2 * n);
        n += k;
      }
    } catch {
      return null;
    }
    return this.pcm.subarray(0, n);
  }

  /**
   * Encodes `pcm` (one frame of a duration isOpusFrameSize() accepts) into `out` at `offset`.
   * Returns the octets written, or -1 when the frame size is not codable or `out` is too short.
   */
  encode(pcm: Int16Array, out: Uint8Array, offset: number): number {
    if (this.freed || !isOpusFrameSize(pcm.length, this.sampleRate)) return -1;
    let packet: Buffer;
    try {
      packet = this.opus.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), pcm.length);
    } catch {
      return -1;
    }
    if (offset + packet.length > out.length) return -1;
    out.set(packet, offset);
    return packet.length;
  }

  /** Releases the libopus state in the wasm heap. Idempotent. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.opus.delete();
    live--;
    mediaOpusCodecs.dec();
  }
}
