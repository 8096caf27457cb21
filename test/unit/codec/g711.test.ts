import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alawDecode,
  alawDecodeSample,
  alawEncode,
  alawEncodeSample,
  ulawDecode,
  ulawDecodeSample,
  ulawEncode,
  ulawEncodeSample,
} from '../../../src/core/codec/g711.ts';

interface LawReference {
  readonly encodeFrom: number;
  readonly encodeStep: number;
  readonly encodedHex: string;
  readonly decoded: readonly number[];
}
const ref = JSON.parse(readFileSync(new URL('../../fixtures/audio/g711-audioop-reference.json', import.meta.url), 'utf8')) as {
  ulaw: LawReference;
  alaw: LawReference;
};

// Known values of ITU-T G.711 (Tables 1a/2a), in 16-bit scaling (A-law x8, μ-law x4).
const ITU_CASES: readonly { name: string; law: 'ulaw' | 'alaw'; code: number; value: number }[] = [
  { name: 'G.711 Table 2a: μ-law code 0xFF is +0', law: 'ulaw', code: 0xff, value: 0 },
  { name: 'G.711 Table 2a: μ-law code 0x7F is -0', law: 'ulaw', code: 0x7f, value: 0 },
  { name: 'G.711 Table 2a: μ-law code 0x80 is +8031 (14-bit), the maximum', law: 'ulaw', code: 0x80, value: 8031 * 4 },
  { name: 'G.711 Table 2a: μ-law code 0x00 is -8031 (14-bit)', law: 'ulaw', code: 0x00, value: -8031 * 4 },
  { name: 'G.711 Table 2a: μ-law code 0xFE is +2 (first step above 0)', law: 'ulaw', code: 0xfe, value: 8 },
  { name: 'G.711 Table 1a: A-law code 0xD5 (even bits inverted) is +1 (13-bit)', law: 'alaw', code: 0xd5, value: 8 },
  { name: 'G.711 Table 1a: A-law code 0x55 is -1 (13-bit)', law: 'alaw', code: 0x55, value: -8 },
  { name: 'G.711 Table 1a: A-law code 0xAA is +4032 (13-bit), the maximum', law: 'alaw', code: 0xaa, value: 4032 * 8 },
  { name: 'G.711 Table 1a: A-law code 0x2A is -4032 (13-bit)', law: 'alaw', code: 0x2a, value: -4032 * 8 },
];

describe('G.711 against ITU table values', () => {
  for (const c of ITU_CASES) {
    it(c.name, () => {
      const decode = c.law === 'ulaw' ? ulawDecodeSample : alawDecodeSample;
      const encode = c.law === 'ulaw' ? ulawEncodeSample : alawEncodeSample;
      expect(decode(c.code)).toBe(c.value);
      // the reconstruction value encodes back to its code (except -0, which encodes as +0)
      if (c.code !== 0x7f) expect(encode(c.value)).toBe(c.code);
    });
  }
  it('G.711: silence encodes to 0xFF (μ-law) and 0xD5 (A-law)', () => {
    expect(ulawEncodeSample(0)).toBe(0xff);
    expect(alawEncodeSample(0)).toBe(0xd5);
  });
  it('G.711: full-scale input saturates to the extreme codes', () => {
    expect(ulawEncodeSample(32767)).toBe(0x80);
    expect(ulawEncodeSample(-32768)).toBe(0x00);
    expect(alawEncodeSample(32767)).toBe(0xaa);
    expect(alawEncodeSample(-32768)).toBe(0x2a);
  });
});

describe('G.711 against an independent implementation (CPython audioop)', () => {
  for (const law of ['ulaw', 'alaw'] as const) {
    const r = ref[law];
    const decodeSample = law === 'ulaw' ? ulawDecodeSample : alawDecodeSample;
    const encodeFrame = law === 'ulaw' ? ulawEncode : alawEncode;
    it(`${law}: all 256 codes decode identically`, () => {
      const got = Array.from({ length: 256 }, (_, i) => decodeSample(i));
      expect(got).toEqual(r.decoded);
    });
    it(`${law}: every input quantisation step encodes identically`, () => {
      const expected = Buffer.from(r.encodedHex, 'hex');
      const pcm = new Int16Array(expected.length);
      for (let i = 0; i < pcm.length; i++) pcm[i] = r.encodeFrom + i * r.encodeStep;
      const out = new Uint8Array(pcm.length);
      expect(encodeFrame(pcm, out)).toBe(pcm.length);
      expect(Buffer.from(out).equals(expected)).toBe(true);
    });
  }
});

describe('G.711 frame API', () => {
  it('decode(encode(x)) is within half a quantisation step for a 1 kHz tone', () => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
    for (const [enc, dec] of [
      [ulawEncode, ulawDecode],
      [alawEncode, alawDecode],
    ] as const) {
      const bytes = new Uint8Array(160);
      const back = new Int16Array(160);
      enc(pcm, bytes);
      dec(bytes, back);
      for (let i = 0; i < 160; i++) {
        const x = pcm[i] ?? 0;
        // segment step at this amplitude is <= 1/16 of the magnitude (+ the smallest step)
        expect(Math.abs((back[i] ?? 0) - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + 16);
      }
    }
  });
  it('writes at an offset and refuses a short output buffer', () => {
    const out = new Uint8Array(4).fill(0x11);
    expect(ulawEncode(new Int16Array([0, 0]), out, 2)).toBe(2);
    expect(Array.from(out)).toEqual([0x11, 0x11, 0xff, 0xff]);
    expect(() => alawEncode(new Int16Array(5), new Uint8Array(4))).toThrow(RangeError);
    expect(() => alawDecode(new Uint8Array(5), new Int16Array(4))).toThrow(RangeError);
  });
});
