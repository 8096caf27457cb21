/**
 * The native addon's argument checks, fuzzed: whatever JavaScript hands it (wrong types, wrong
 * handle kinds, negative, fractional or huge offsets, ranges past the end of a buffer), every
 * call either stays inside the buffers it was given or throws TypeError/RangeError. The process
 * must survive all of it; a crash here would take every call of the gateway with it.
 */
import fc from 'fast-check';
import { createCipheriv, createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNativeSrtp } from '../../../src/adapters/media/native-srtp.ts';
import type { NativeHandle, SrtpNativeBinding } from '../../../src/core/srtp/native-binding.ts';

let b: SrtpNativeBinding;
let ctr: NativeHandle;
let gcm: NativeHandle;
let mac: NativeHandle;

beforeAll(() => {
  const loaded = loadNativeSrtp();
  if (!loaded.ok) throw new Error(`${loaded.reason} (npm run build:native; needs gcc)`);
  b = loaded.binding;
  ctr = b.ctrNew(Buffer.alloc(16, 1));
  gcm = b.gcmNew(Buffer.alloc(32, 2));
  mac = b.hmacNew(Buffer.alloc(20, 3));
});

/** An argument as hostile JavaScript might pass it. */
const anyArg = fc.oneof(
  fc.integer({ min: -5, max: 400 }),
  fc.constantFrom(-1, 2 ** 31, 2 ** 32, 2 ** 53, Number.NaN, Infinity, -Infinity, 0.5, 1e-9),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(undefined, null, 'x', {}, [], true),
  fc.constantFrom('ctr', 'gcm', 'mac').map((k) => ({ handle: k })),
);

function resolve(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && 'handle' in v) return { ctr, gcm, mac }[(v as { handle: 'ctr' | 'gcm' | 'mac' }).handle];
  return v;
}

function expectCleanOutcome(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    expect(err).toSatisfy((e: unknown) => e instanceof TypeError || e instanceof RangeError);
  }
}

describe('native SRTP binding: hostile arguments', () => {
  const functions = ['ctrXor', 'hmacTag', 'hmacVerify', 'gcmSeal', 'gcmOpen', 'ctrNew', 'gcmNew', 'hmacNew'] as const;
  it.each(functions)('%s throws TypeError/RangeError or stays in bounds, never crashes', (name) => {
    fc.assert(
      fc.property(fc.array(anyArg, { maxLength: 13 }), (args) => {
        const f = b[name] as (...a: unknown[]) => unknown;
        expectCleanOutcome(() => f(...args.map(resolve)));
      }),
      { numRuns: 3000 },
    );
  });

  it('ranges past the end of a buffer are refused before any byte is written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 }), (srcOff, dstOff, len) => {
        const src = Buffer.alloc(48, 0x11);
        const backing = Buffer.alloc(96, 0x77);
        const dst = backing.subarray(16, 64); // a view: bytes outside it must never change
        const iv = Buffer.alloc(16);
        let threw = false;
        try {
          b.ctrXor(ctr, iv, src, srcOff, dst, dstOff, len);
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
          threw = true;
        }
        const fits = srcOff + len <= src.length && dstOff + len <= dst.length;
        expect(threw).toBe(!fits);
        expect(backing.subarray(0, 16).every((x) => x === 0x77)).toBe(true);
        expect(backing.subarray(64).every((x) => x === 0x77)).toBe(true);
        if (threw) expect(dst.every((x) => x === 0x77)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('AES-GCM seal/open and HMAC tags: out-of-range ciphertext, tag or output is refused, nothing outside the views changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 70 }), (off, len, tagOff) => {
        const iv = Buffer.alloc(12);
        const src = Buffer.alloc(48, 0x22);
        const backing = Buffer.alloc(112, 0x77);
        const dst = backing.subarray(16, 80); // 64 octets
        const guard = (): boolean => backing.subarray(0, 16).every((x) => x === 0x77) && backing.subarray(80).every((x) => x === 0x77);
        const threw = (f: () => unknown): boolean => {
          try {
            f();
            return false;
          } catch (err) {
            expect(err).toBeInstanceOf(RangeError);
            return true;
          }
        };
        expect(threw(() => b.gcmSeal(gcm, iv, src, 0, 12, src, off, len, dst, tagOff))).toBe(!(off + len <= 48 && tagOff + len + 16 <= 64));
        expect(guard()).toBe(true);
        dst.fill(0x77);
        const opened = threw(() => b.gcmOpen(gcm, iv, src, 0, 12, src, off, len, src, tagOff, dst, 0));
        expect(opened).toBe(!(off + len <= 48 && tagOff + 16 <= 48 && len <= 64));
        expect(dst.every((x) => x === 0x77) && guard()).toBe(true); // a wrong tag writes nothing either
        expect(threw(() => b.hmacTag(mac, src, off, len, -1, dst, tagOff, 20))).toBe(!(off + len <= 48 && tagOff + 20 <= 64));
        expect(guard()).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('valid random inputs: AES-CTR and HMAC-SHA1 agree with node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -1, max: 0xffffffff }), (key, data, roc) => {
        const iv = Buffer.alloc(16);
        iv.set(key.subarray(0, 14));
        const want = createCipheriv('aes-128-ctr', key, iv).update(data);
        const got = Buffer.alloc(data.length);
        b.ctrXor(b.ctrNew(key), iv, data, 0, got, 0, data.length);
        expect(got.equals(want)).toBe(true);
        const h = createHmac('sha1', key).update(data);
        if (roc >= 0) h.update(Buffer.from([roc >>> 24, (roc >>> 16) & 0xff, (roc >>> 8) & 0xff, roc & 0xff]));
        const tag = Buffer.alloc(10);
        b.hmacTag(b.hmacNew(key), data, 0, data.length, roc, tag, 0, 10);
        expect(tag.equals(h.digest().subarray(0, 10))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
