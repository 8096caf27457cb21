/**
 * Two-party transcoding of one direction of audio between PCMU, PCMA and G.722.
 *
 * - PCMU <-> PCMA: direct 256-entry code tables (decode to linear once at load and re-encode),
 *   so the hot path is one table read per octet.
 * - G.711 <-> G.722: decode, resample 8 kHz <-> 16 kHz (src/core/mix/resample-2x.ts), encode.
 *   G.722 and the resamplers keep state, so a Transcoder serves one stream in order.
 * Payload length is preserved (audio-codec.ts), so the RTP header stays as it was.
 * No allocation per packet.
 */
import { alawDecodeSample, alawEncodeSample, ulawDecodeSample, ulawEncodeSample } from '../../core/codec/g711.ts';
import { Downsampler2x, Upsampler2x } from '../../core/mix/resample-2x.ts';
import { createDecoder, createEncoder } from './audio-codec.ts';
import type { AudioCodecName, AudioDecoder, AudioEncoder } from './audio-codec.ts';
import { Int16ViewCache, ViewCache } from './buffers.ts';

function table(f: (code: number) => number): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = f(i);
  return t;
}

const ULAW_TO_ALAW = table((c) => alawEncodeSample(ulawDecodeSample(c)));
const ALAW_TO_ULAW = table((c) => ulawEncodeSample(alawDecodeSample(c)));

/** Largest payload transcoded: 120 ms of 8 kHz audio (RFC 3551 allows ptime up to that in practice). */
export const MAX_TRANSCODE_OCTETS = 960;

/** Scratch shared by all transcoders: each transcodeInPlace() call finishes with it before returning. */
const scratch = new ViewCache(MAX_TRANSCODE_OCTETS);
const pcmIn = new Int16ViewCache(2 * MAX_TRANSCODE_OCTETS);
const pcmOut = new Int16ViewCache(2 * MAX_TRANSCODE_OCTETS);

export class Transcoder {
  readonly from: AudioCodecName;
  readonly to: AudioCodecName;
  private readonly direct: Uint8Array | null;
  private readonly decoder: AudioDecoder | null;
  private readonly encoder: AudioEncoder | null;
  private readonly up: Upsampler2x | null;
  private readonly down: Downsampler2x | null;

  constructor(from: AudioCodecName, to: AudioCodecName) {
    this.from = from;
    this.to = to;
    this.direct = from === 'PCMU' && to === 'PCMA' ? ULAW_TO_ALAW : from === 'PCMA' && to === 'PCMU' ? ALAW_TO_ULAW : null;
    const pcm = this.direct === null && from !== to;
    this.decoder = pcm ? createDecoder(from) : null;
    this.encoder = pcm ? createEncoder(to) : null;
    const fromRate = this.decoder?.sampleRate ?? 8000;
    const toRate = this.encoder?.sampleRate ?? 8000;
    this.up = fromRate < toRate ? new Upsampler2x(MAX_TRANSCODE_OCTETS) : null;
    this.down = fromRate > toRate ? new Downsampler2x(2 * MAX_TRANSCODE_OCTETS) : null;
  }

  /**
   * Transcodes the payload at packet[offset .. offset + length) in place (the length does not
   * change). Returns false when the payload is too long to transcode.
   */
  transcodeInPlace(packet: Buffer, offset: number, length: number): boolean {
    if (length > MAX_TRANSCODE_OCTETS) return false;
    const direct = this.direct;
    if (direct !== null) {
      for (let i = offset, end = offset + length; i < end; i++) packet[i] = direct[packet[i] ?? 0] ?? 0;
      return true;
    }
    const decoder = this.decoder;
    const encoder = this.encoder;
    if (decoder === null || encoder === null) return true; // same codec
    packet.copy(scratch.buffer, 0, offset, offset + length);
    const pcm = pcmIn.view(decoder.samplesFor(length));
    decoder.decode(scratch.view(length), pcm);
    let toEncode = pcm;
    if (this.up !== null) {
      toEncode = pcmOut.view(2 * pcm.length);
      this.up.process(pcm, toEncode, 0);
    } else if (this.down !== null) {
      toEncode = pcmOut.view(pcm.length / 2);
      this.down.process(pcm, toEncode, 0);
    }
    encoder.encode(toEncode, packet, offset);
    return true;
  }
}
