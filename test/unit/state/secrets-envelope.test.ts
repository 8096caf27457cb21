import { describe, expect, it } from 'vitest';
import { openDocument, rewrapDocument, sealDocument } from '../../../src/core/secrets/envelope.ts';
import type { Json, SealedDocument } from '../../../src/core/secrets/envelope.ts';
import { validateKeyring } from '../../../src/core/secrets/keyring.ts';
import { keyring } from './fixtures.ts';

const body: Json = {
  id: 'c1',
  legs: [
    { srtp: { key: 'S0VZMQ==', salt: 'U0FMVDE=' }, sdp: 'v=0 a=crypto:1 X inline:S0VZMQ==', public: 'p0' },
    { srtp: null, sdp: null, public: 'p1' },
  ],
};
const paths = ['legs.*.srtp.key', 'legs.*.srtp.salt', 'legs.*.sdp'];

function code(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('envelope encryption of secret fields (core/secrets/envelope.ts)', () => {
  const k1 = keyring('k1');

  it('seals exactly the secret paths, leaves nulls and public fields, and opens back', () => {
    const doc = sealDocument(k1, 'call/c1', body, paths);
    const text = JSON.stringify(doc);
    expect(text).not.toContain('S0VZMQ');
    expect(text).not.toContain('U0FMVDE');
    expect(text).not.toContain('inline:');
    expect(text).toContain('"public":"p0"');
    expect(doc.dek?.kid).toBe('k1');
    const legs = (doc.body as { legs: { srtp: unknown; sdp: unknown }[] }).legs;
    expect(legs[1]).toEqual({ srtp: null, sdp: null, public: 'p1' });
    expect(openDocument(k1, 'call/c1', doc, paths)).toEqual(body);
  });

  it('a record without secret values gets no data key', () => {
    const doc = sealDocument(k1, 'room/r1', { legs: [{ srtp: null, sdp: null }] }, paths);
    expect(doc.dek).toBeNull();
    expect(rewrapDocument(k1, 'room/r1', doc)).toBeNull();
  });

  it('AAD binds record key and field path: moved values fail authentication', () => {
    const doc = sealDocument(k1, 'call/c1', body, paths);
    expect(code(() => openDocument(k1, 'call/c2', doc, paths))).toBe('SECRET_AUTH_FAILED');
    const legs = (doc.body as { legs: Record<string, Json>[] }).legs;
    const leg0 = legs[0] as { srtp: { key: Json; salt: Json }; sdp: Json };
    const swapped: SealedDocument = { dek: doc.dek, body: { ...(doc.body as object), legs: [{ ...leg0, srtp: { key: leg0.srtp.salt, salt: leg0.srtp.key } }, legs[1] ?? null] } };
    expect(code(() => openDocument(k1, 'call/c1', swapped, paths))).toBe('SECRET_AUTH_FAILED');
  });

  it('a secret found in clear on read is refused (SECRET_MALFORMED), not passed through', () => {
    expect(code(() => openDocument(k1, 'call/c1', { dek: null, body }, paths))).toBe('SECRET_MALFORMED');
  });

  it('unknown key id -> SECRET_UNKNOWN_KEY_ID; rewrap moves only the data key to the active id', () => {
    const doc = sealDocument(k1, 'call/c1', body, paths);
    expect(code(() => openDocument(keyring('k2'), 'call/c1', doc, paths))).toBe('SECRET_UNKNOWN_KEY_ID');
    const both = keyring('k2', 'k1');
    const re = rewrapDocument(both, 'call/c1', doc);
    expect(re?.dek?.kid).toBe('k2');
    expect(re?.body).toEqual(doc.body);
    expect(rewrapDocument(both, 'call/c1', re as SealedDocument)).toBeNull();
    expect(openDocument(keyring('k2'), 'call/c1', re as SealedDocument, paths)).toEqual(body);
    expect(code(() => openDocument(k1, 'call/c1', re as SealedDocument, paths))).toBe('SECRET_UNKNOWN_KEY_ID');
  });

  it('keyring validation', () => {
    const bad = (activeKeyId: string, keys: [string, Uint8Array][]): string => code(() => validateKeyring({ activeKeyId, keys: new Map(keys) }));
    expect(bad('a', [])).toBe('SECRET_BAD_KEYRING');
    expect(bad('a', [['a', new Uint8Array(16)]])).toBe('SECRET_BAD_KEYRING');
    expect(bad('b', [['a', new Uint8Array(32)]])).toBe('SECRET_BAD_KEYRING');
    expect(bad('a b', [['a b', new Uint8Array(32)]])).toBe('SECRET_BAD_KEYRING');
    expect(bad('a', [['a', new Uint8Array(32)]])).toBe('no error');
  });
});
