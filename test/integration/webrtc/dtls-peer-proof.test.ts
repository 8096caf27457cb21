/**
 * The two byte readers of dtls-peer-proof.ts (RFC 5246 s4.7 `digitally-signed`, RFC 8422 s5.4
 * ServerECDHParams) on arbitrary input: they never throw (null on anything malformed), and
 * what they read back from serialised fields is those fields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ecdhParamsLength, parseDigitallySigned } from '../../../src/adapters/webrtc/dtls-peer-proof.ts';

function digitallySigned(algorithm: number, sig: Uint8Array): Uint8Array {
  return Uint8Array.from([algorithm >> 8, algorithm & 0xff, sig.length >> 8, sig.length & 0xff, ...sig]);
}

describe('dtls-peer-proof byte readers (RFC 5246 s4.7, RFC 8422 s5.4)', () => {
  it('never throw on arbitrary bytes and offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -4, max: 310 }), (b, off) => {
        const a = parseDigitallySigned(b, off);
        const e = ecdhParamsLength(b);
        expect(a === null || a.signature.length > 0).toBe(true);
        expect(e === null || (e >= 5 && e <= b.length)).toBe(true);
      }),
    );
  });

  it('serialise -> parse -> serialise is stable', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.uint8Array({ minLength: 1, maxLength: 255 }), (alg, sig, point) => {
        const params = Uint8Array.from([3, 0, 23, point.length, ...point]);
        const body = Uint8Array.from([...params, ...digitallySigned(alg, sig)]);
        const len = ecdhParamsLength(body);
        expect(len).toBe(params.length);
        const p = parseDigitallySigned(body, len ?? 0);
        expect(p).not.toBeNull();
        expect(digitallySigned(p?.algorithm ?? -1, p?.signature ?? new Uint8Array())).toEqual(body.subarray(params.length));
      }),
    );
  });
});
