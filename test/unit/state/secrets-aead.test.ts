import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aeadOpen, aeadSeal, NONCE_LENGTH } from '../../../src/core/secrets/aead.ts';

interface Vector {
  name: string;
  key: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/gcm-spec-aes256.json', import.meta.url), 'utf8')) as { cases: Vector[] };
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

describe('AES-256-GCM seal/open (core/secrets/aead.ts)', () => {
  for (const v of vectors.cases) {
    it(v.name, () => {
      const box = aeadSeal(hex(v.key), hex(v.plaintext), hex(v.aad), () => hex(v.iv));
      expect(Buffer.from(box.sealed).toString('hex')).toBe(v.ciphertext + v.tag);
      expect(Buffer.from(aeadOpen(hex(v.key), box, hex(v.aad))).toString('hex')).toBe(v.plaintext);
    });
  }

  it('uses a fresh random 12-byte nonce per seal', () => {
    const key = new Uint8Array(32).fill(1);
    const nonces = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const box = aeadSeal(key, new Uint8Array([1, 2, 3]), new Uint8Array());
      expect(box.nonce.length).toBe(NONCE_LENGTH);
      nonces.add(Buffer.from(box.nonce).toString('hex'));
    }
    expect(nonces.size).toBe(200);
  });

  it('fails with SECRET_AUTH_FAILED on a flipped bit, other AAD or other key; SECRET_MALFORMED on a short box', () => {
    const key = new Uint8Array(32).fill(7);
    const aad = new TextEncoder().encode('call/c1\0legs.0.srtp');
    const box = aeadSeal(key, new Uint8Array(30).fill(9), aad);
    const flipped = new Uint8Array(box.sealed);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(() => aeadOpen(key, { nonce: box.nonce, sealed: flipped }, aad))).toBe('SECRET_AUTH_FAILED');
    expect(code(() => aeadOpen(key, box, new TextEncoder().encode('call/c2\0legs.0.srtp')))).toBe('SECRET_AUTH_FAILED');
    expect(code(() => aeadOpen(new Uint8Array(32).fill(8), box, aad))).toBe('SECRET_AUTH_FAILED');
    expect(code(() => aeadOpen(key, { nonce: box.nonce, sealed: box.sealed.subarray(0, 15) }, aad))).toBe('SECRET_MALFORMED');
  });
});
