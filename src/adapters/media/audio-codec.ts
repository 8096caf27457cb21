/**
 * The audio codecs the media plane can decode and encode (G.711 PCMU/PCMA, G.722), behind one
 * small interface, and the rules for when two payload formats are "the same codec".
 *
 * All three use an 8000 Hz RTP clock (RFC 3551 4.5.2: G.722 too, although it samples at
 * 16 kHz), and all three code one octet per 8 kHz sample period, so a payload of n octets is
 * n/8 ms of audio whichever of them it is: transcoding between them keeps the RTP header
 * (timestamp, sequence number) and the payload length.
 *
 * Opus is NOT decodable here: no Opus decoder package is installed (package.json). Opus is only
 * forwarded between two legs that both send Opus; a room that would have to decode it (mix,
 * transcode) refuses with MEDIA_OPUS_NOT_MIXABLE / MEDIA_NO_COMMON_CODEC.
 */
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../core/codec/g711.ts';
import { G722Decoder } from '../../core/codec/g722-decoder.ts';
import { G722Encoder } from '../../core/codec/g722-encoder.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { PayloadFormat } from './media-types.ts';

export type AudioCodecName = 'PCMU' | 'PCMA' | 'G722';

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

/** The decodable audio codec a format names, or null (Opus, CN, telephone-event, video, ...). */
export function audioCodecOf(f: PayloadFormat): AudioCodecName | null {
  if (f.clockRate !== 8000 || (f.channels ?? 1) !== 1) return null;
  const n = f.name.toUpperCase();
  return n === 'PCMU' || n === 'PCMA' || n === 'G722' ? n : null;
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

/** Thrown when a room would have to decode a codec it cannot (Opus, video, unknown). */
export function notDecodableError(code: 'MEDIA_OPUS_NOT_MIXABLE' | 'MEDIA_NO_COMMON_CODEC', f: PayloadFormat, why: string): GatehouseError {
  const opus = isOpus(f)
    ? ' Opus is only forwarded between two legs that both send Opus: there is no Opus decoder in this build, so it cannot be mixed or transcoded.'
    : '';
  return new GatehouseError('policy', code, `${why}: ${f.name}/${f.clockRate} cannot be decoded (PCMU, PCMA and G722 can).${opus}`, {
    sipStatus: 488,
    sipReason: isOpus(f) ? 'Opus cannot be mixed; offer PCMU, PCMA or G722' : 'no common audio codec',
  });
}
