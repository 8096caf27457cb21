import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeyFrameStart, keyFrameCodecOf } from '../../../src/core/rtp/video-keyframe.ts';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);

/** VP8 key frame payload header start (RFC 7741 4.3: P = 0; show_frame set) and start code. */
const VP8_KEY = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
const VP8_INTER = [0x31, 0x02, 0x00];

const CASES: readonly (readonly [string, 'vp8' | 'h264', Uint8Array, boolean])[] = [
  ['RFC 7741 4.2 S=1 PID=0, no extension, P=0: key frame', 'vp8', b(0x10, ...VP8_KEY), true],
  ['RFC 7741 4.2 X with I (15-bit PictureID), L, T: skipped to the payload header', 'vp8', b(0x90, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x20, ...VP8_KEY), true],
  ['RFC 7741 4.2 X with I (7-bit PictureID)', 'vp8', b(0x90, 0x80, 0x12, ...VP8_KEY), true],
  ['RFC 7741 4.2 X with K only', 'vp8', b(0x90, 0x10, 0x20, ...VP8_KEY), true],
  ['RFC 7741 4.3 P=1: inter frame', 'vp8', b(0x10, ...VP8_INTER), false],
  ['RFC 7741 4.2 S=0: continuation of a partition', 'vp8', b(0x00, ...VP8_KEY), false],
  ['RFC 7741 4.2 PID=1: not partition 0', 'vp8', b(0x11, ...VP8_KEY), false],
  ['RFC 7741 4.2 descriptor cut short', 'vp8', b(0x90, 0x80), false],
  ['RFC 6184 5.6 single NAL unit: IDR slice (type 5)', 'h264', b(0x65, 0x88, 0x84), true],
  ['RFC 6184 5.6 single NAL unit: SPS (type 7)', 'h264', b(0x67, 0x42, 0xc0, 0x1f), true],
  ['RFC 6184 5.6 single NAL unit: non-IDR slice (type 1)', 'h264', b(0x41, 0x9a), false],
  ['RFC 6184 5.6 single NAL unit: PPS (type 8) alone', 'h264', b(0x68, 0xce), false],
  ['RFC 6184 5.7.1 STAP-A with SPS, PPS', 'h264', b(0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce), true],
  ['RFC 6184 5.7.1 STAP-A with SEI, IDR', 'h264', b(0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x65, 0x88), true],
  ['RFC 6184 5.7.1 STAP-A of non-IDR slices', 'h264', b(0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x02, 0x41, 0x9b), false],
  ['RFC 6184 5.7.1 STAP-A with a zero size', 'h264', b(0x78, 0x00, 0x00, 0x65), false],
  ['RFC 6184 5.8 FU-A start (S=1) of an IDR', 'h264', b(0x7c, 0x85, 0x88), true],
  ['RFC 6184 5.8 FU-A continuation (S=0) of an IDR', 'h264', b(0x7c, 0x05, 0x88), false],
  ['RFC 6184 5.8 FU-A start of a non-IDR slice', 'h264', b(0x7c, 0x81, 0x9a), false],
  ['RFC 6184 5.8 FU-B start of an IDR', 'h264', b(0x7d, 0x85, 0x00, 0x01), true],
  ['empty payload', 'h264', b(), false],
];

describe('key frame start detection (RFC 7741, RFC 6184)', () => {
  for (const [name, codec, payload, key] of CASES) {
    it(name, () => expect(isKeyFrameStart(codec, payload)).toBe(key));
  }

  it('codec names are case-insensitive; other codecs are not inspected', () => {
    expect(keyFrameCodecOf('vp8')).toBe('vp8');
    expect(keyFrameCodecOf('H264')).toBe('h264');
    expect(keyFrameCodecOf('VP9')).toBeNull();
  });

  it('property: never throws, on any payload', () => {
    fc.assert(
      fc.property(fc.constantFrom<'vp8' | 'h264'>('vp8', 'h264'), fc.uint8Array({ maxLength: 64 }), (codec, p) => {
        expect(typeof isKeyFrameStart(codec, p)).toBe('boolean');
      }),
    );
  });
});
