/**
 * The audio codecs the media plane can decode and encode (G.711 PCMU/PCMA, G.722 here; Opus in
 * opus-codec.ts), and the rules for when two payload formats are "the same codec".
 *
 * All three use an 8000 Hz RTP clock (RFC 3551 4.5.2: G.722 too, although it samples at
 * 16 kHz), and all three code one octet per 8 kHz sample period, so a payload of n octets is
 * n/8 ms of audio whichever of them it is: transcoding between them keeps the RTP header
 * (timestamp, sequence number) and the payload length.
 *
 * Opus (RFC 7587: 48 kHz RTP clock, variable payload length) does not fit that in-place model:
 * it is decoded and encoded by opus-codec.ts (libopus via opusscript), in the mix (mix-path.ts)
 * and for two-party transcoding (opus-transcoder.ts). `roomCodecOf()` names every codec a room
 * can decode; a leg whose codec is none of them (iLBC, G.729, ...) can only be forwarded to a
 * leg with the same codec, and a room that would have to decode it refuses with
 * MEDIA_CODEC_NOT_MIXABLE / MEDIA_NO_COMMON_CODEC (488).
 */
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../core/codec/g711.ts';
import { G722Decoder } from '../../core/codec/g722-decoder.ts';
import { G722Encoder } from '../../core/codec/g722-encoder.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { PayloadFormat } from './media-types.ts';

export type AudioCodecName = 'PCMU' | 'PCMA' | 'G722';
/** Every codec a room decodes: the in-place ones and Opus. */
export type RoomCodecName = AudioCodecName | 'OPUS';

export interface AudioDecoder {
  readonly sampleRate: 8000 | 16000;
  /** Decodes `payload` into `out` (exactly samplesFor(payload.length) long); returns samples written. */
  decode(payload: Uint8Array, out: Int16Array): number;
  samplesFor(octets: number): number;
}

export interface AudioEncoder {
  readonly sampleRate: 8000 | 16000;
  /** Encodes all of `pcm` into `out` at `offset`; returns octets written. */
  encode(pcm: Int16Array, out: Uint8Array, offset: number): number;
}

/** Normalised key of a payload format: codecs match when name, clock rate and channels match (RFC 3264 6.1). */
export function formatKey(f: PayloadFormat): string {
  return `${f.name.toLowerCase()}/${f.clockRate}/${f.channels ?? 1}`;
}

export function sameCodec(a: PayloadFormat, b: PayloadFormat): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase() && a.clockRate === b.clockRate && (a.channels ?? 1) === (b.channels ?? 1);
}

export function isTelephoneEvent(f: PayloadFormat): boolean {
  return f.name.toLowerCase() === 'telephone-event';
}

export function isOpus(f: PayloadFormat): boolean {
  return f.name.toLowerCase() === 'opus';
}

/** The in-place (8 kHz clock, one octet per sample period) codec a format names, or null (Opus, CN, telephone-event, video, ...). */
export function audioCodecOf(f: PayloadFormat): AudioCodecName | null {
  if (f.clockRate !== 8000 || (f.channels ?? 1) !== 1) return null;
  const n = f.name.toUpperCase();
  return n === 'PCMU' || n === 'PCMA' || n === 'G722' ? n : null;
}

/** The codec a room can decode for this format, or null (CN, telephone-event, video, iLBC, ...). */
export function roomCodecOf(f: PayloadFormat): RoomCodecName | null {
  // RFC 7587 s7: opus/48000/2 always; accept a mono rtpmap from lenient peers too
  if (isOpus(f)) return f.clockRate === 48000 ? 'OPUS' : null;
  return audioCodecOf(f);
}

/** RTP clock rate of a room codec (RFC 3551 4.5.2: 8000 for G.722 too; RFC 7587 s4.1: 48000 for Opus). */
export function rtpClockOf(c: RoomCodecName): number {
  return c === 'OPUS' ? 48000 : 8000;
}

export function codecSampleRate(c: AudioCodecName): 8000 | 16000 {
  return c === 'G722' ? 16000 : 8000;
}

class G711Decoder implements AudioDecoder {
  readonly sampleRate = 8000;
  private readonly alaw: boolean;
  constructor(alaw: boolean) {
    this.alaw = alaw;
  }
  samplesFor(octets: number): number {
    return octets;
  }
  decode(payload: Uint8Array, out: Int16Array): number {
    return this.alaw ? alawDecode(payload, out, 0) : ulawDecode(payload, out, 0);
  }
}

class G711Encoder implements AudioEncoder {
  readonly sampleRate = 8000;
  private readonly alaw: boolean;
  constructor(alaw: boolean) {
    this.alaw = alaw;
  }
  encode(pcm: Int16Array, out: Uint8Array, offset: number): number {
    return this.alaw ? alawEncode(pcm, out, offset) : ulawEncode(pcm, out, offset);
  }
}

class G722AudioDecoder implements AudioDecoder {
  readonly sampleRate = 16000;
  private readonly d = new G722Decoder();
  samplesFor(octets: number): number {
    return 2 * octets;
  }
  decode(payload: Uint8Array, out: Int16Array): number {
    return this.d.decode(payload, out, 0);
  }
}

class G722AudioEncoder implements AudioEncoder {
  readonly sampleRate = 16000;
  private readonly e = new G722Encoder();
  encode(pcm: Int16Array, out: Uint8Array, offset: number): number {
    return this.e.encode(pcm, out, offset);
  }
}

/** A fresh decoder (G.722 keeps state: one per incoming stream). */
export function createDecoder(c: AudioCodecName): AudioDecoder {
  return c === 'G722' ? new G722AudioDecoder() : new G711Decoder(c === 'PCMA');
}

/** A fresh encoder (G.722 keeps state: one per outgoing stream). */
export function createEncoder(c: AudioCodecName): AudioEncoder {
  return c === 'G722' ? new G722AudioEncoder() : new G711Encoder(c === 'PCMA');
}

/** Thrown when a room would have to decode a codec it cannot (video, iLBC, G.729, unknown). */
export function notDecodableError(code: 'MEDIA_CODEC_NOT_MIXABLE' | 'MEDIA_NO_COMMON_CODEC', f: PayloadFormat, why: string): GatehouseError {
  return new GatehouseError('policy', code, `${why}: ${f.name}/${f.clockRate} cannot be decoded (opus, PCMU, PCMA and G722 can)`, {
    sipStatus: 488,
    sipReason: code === 'MEDIA_CODEC_NOT_MIXABLE' ? `${f.name} cannot be mixed; offer opus, PCMU, PCMA or G722` : 'no common audio codec',
  });
}
