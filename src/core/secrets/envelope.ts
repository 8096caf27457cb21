import { aeadOpen, aeadSeal, cryptoRandom } from './aead.ts';
import type { RandomSource } from './aead.ts';
import { keyFor } from './keyring.ts';
import type { Keyring } from './keyring.ts';
import { SecretError } from './secret-error.ts';

/**
 * Envelope encryption of the secret fields of one stored record.
 *
 * Each record gets a fresh random 256-bit data key (DEK). Every secret field is sealed with the
 * DEK (AES-256-GCM, AAD = record key + field path, so a sealed value cannot be swapped into
 * another record or field). The DEK itself is wrapped under the keyring's active KEK (AAD =
 * record key + key id) and stored with its key id next to the body. Rotation therefore only
 * re-wraps the 32-byte DEK; the sealed fields stay untouched.
 *
 * Secret fields are named by path patterns next to each record type, e.g.
 * `legs.*.srtp.local.masterKey` (`*` = any array index or object key). A matched value that is
 * null stays null (absent secret); any other JSON value is sealed as its JSON text.
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export interface WrappedKey {
  readonly kid: string;
  readonly iv: string; // base64
  readonly ct: string; // base64, ciphertext || tag
}

// A type alias (not an interface) so it is assignable to Json's index signature.
export type SealedField = {
  readonly $sealed: { readonly iv: string; readonly ct: string };
};

export interface SealedDocument {
  /** Wrapped DEK; null when the record currently holds no secret value. */
  readonly dek: WrappedKey | null;
  readonly body: Json;
}

const DEK_LENGTH = 32;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

const fieldAad = (recordKey: string, path: string): Uint8Array => enc.encode(`gatehouse:v1:field\0${recordKey}\0${path}`);
const dekAad = (recordKey: string, kid: string): Uint8Array => enc.encode(`gatehouse:v1:dek\0${recordKey}\0${kid}`);

type Visit = (value: Json, path: string) => Json;

/** Rebuilds `node` with `visit` applied to every value matched by `segments`. */
function mapPaths(node: Json, segments: readonly string[], prefix: string, visit: Visit): Json {
  if (segments.length === 0) return visit(node, prefix);
  if (node === null || typeof node !== 'object') return node;
  const [head, ...rest] = segments as [string, ...string[]];
  const join = (k: string): string => (prefix === '' ? k : `${prefix}.${k}`);
  if (Array.isArray(node)) {
    const arr = node as readonly Json[];
    return arr.map((item, i) => (head === '*' || head === String(i) ? mapPaths(item, rest, join(String(i)), visit) : item));
  }
  const obj = node as { readonly [key: string]: Json };
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = head === '*' || head === k ? mapPaths(v, rest, join(k), visit) : v;
  return out;
}

function mapAll(body: Json, patterns: readonly string[], visit: Visit): Json {
  return patterns.reduce<Json>((acc, p) => mapPaths(acc, p.split('.'), '', visit), body);
}

function isSealedField(v: Json): v is SealedField {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const s = (v as { readonly [key: string]: Json })['$sealed'];
  return s !== null && typeof s === 'object' && !Array.isArray(s) && typeof (s as Record<string, Json>)['iv'] === 'string' && typeof (s as Record<string, Json>)['ct'] === 'string';
}

function wrapDek(keyring: Keyring, recordKey: string, dek: Uint8Array, random: RandomSource): WrappedKey {
  const kid = keyring.activeKeyId;
  const box = aeadSeal(keyFor(keyring, kid), dek, dekAad(recordKey, kid), random);
  return { kid, iv: b64(box.nonce), ct: b64(box.sealed) };
}

function unwrapDek(keyring: Keyring, recordKey: string, w: WrappedKey): Uint8Array {
  const dek = aeadOpen(keyFor(keyring, w.kid), { nonce: unb64(w.iv), sealed: unb64(w.ct) }, dekAad(recordKey, w.kid));
  if (dek.length !== DEK_LENGTH) throw new SecretError('SECRET_MALFORMED', 'unwrapped data key has the wrong length');
  return dek;
}

export function sealDocument(
  keyring: Keyring,
  recordKey: string,
  body: Json,
  secretPaths: readonly string[],
  random: RandomSource = cryptoRandom,
): SealedDocument {
  let dek: Uint8Array | null = null;
  const sealed = mapAll(body, secretPaths, (value, path) => {
    if (value === null) return null;
    dek ??= random(DEK_LENGTH);
    const box = aeadSeal(dek, enc.encode(JSON.stringify(value)), fieldAad(recordKey, path), random);
    const field: SealedField = { $sealed: { iv: b64(box.nonce), ct: b64(box.sealed) } };
    return field;
  });
  const used: Uint8Array | null = dek;
  return { dek: used === null ? null : wrapDek(keyring, recordKey, used, random), body: sealed };
}

export function openDocument(keyring: Keyring, recordKey: string, doc: SealedDocument, secretPaths: readonly string[]): Json {
  let dek: Uint8Array | null = null;
  return mapAll(doc.body, secretPaths, (value, path) => {
    if (value === null) return null;
    if (!isSealedField(value)) throw new SecretError('SECRET_MALFORMED', `secret field ${path} is stored in clear`);
    if (doc.dek === null) throw new SecretError('SECRET_MALFORMED', `secret field ${path} is sealed but the record has no data key`);
    dek ??= unwrapDek(keyring, recordKey, doc.dek);
    const plain = aeadOpen(dek, { nonce: unb64(value.$sealed.iv), sealed: unb64(value.$sealed.ct) }, fieldAad(recordKey, path));
    try {
      return JSON.parse(dec.decode(plain)) as Json;
    } catch (cause) {
      throw new SecretError('SECRET_MALFORMED', `secret field ${path} does not hold JSON`, cause);
    }
  });
}

/**
 * Re-wraps the data key under the active KEK. Returns null when nothing needs doing (no data
 * key, or already under the active key id), so rotation can count and skip cheaply.
 */
export function rewrapDocument(
  keyring: Keyring,
  recordKey: string,
  doc: SealedDocument,
  random: RandomSource = cryptoRandom,
): SealedDocument | null {
  if (doc.dek === null || doc.dek.kid === keyring.activeKeyId) return null;
  const dek = unwrapDek(keyring, recordKey, doc.dek);
  return { dek: wrapDek(keyring, recordKey, dek, random), body: doc.body };
}
