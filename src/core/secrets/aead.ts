import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretError } from './secret-error.ts';

/**
 * AES-256-GCM with a random 96-bit nonce (NIST SP 800-38D 8.2.2: random IVs are safe for up
 * to 2^32 messages per key; each record gets a fresh data key, so far below that) and a
 * 128-bit tag appended to the ciphertext.
 */
export const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

export interface AeadBox {
  readonly nonce: Uint8Array;
  /** ciphertext || tag */
  readonly sealed: Uint8Array;
}

/** Source of nonces and data keys; injectable so tests can count or fix them. */
export type RandomSource = (length: number) => Uint8Array;
export const cryptoRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: RandomSource = cryptoRandom): AeadBox {
  const nonce = random(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, sealed: new Uint8Array(body) };
}

export function aeadOpen(key: Uint8Array, box: AeadBox, aad: Uint8Array): Uint8Array {
  if (box.nonce.length !== NONCE_LENGTH || box.sealed.length < TAG_LENGTH) {
    throw new SecretError('SECRET_MALFORMED', 'sealed value has a bad nonce or is shorter than a GCM tag');
  }
  const cut = box.sealed.length - TAG_LENGTH;
  const decipher = createDecipheriv('aes-256-gcm', key, box.nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(box.sealed.subarray(cut));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(box.sealed.subarray(0, cut)), decipher.final()]));
  } catch (cause) {
    throw new SecretError('SECRET_AUTH_FAILED', 'GCM authentication failed (wrong key, tampered value, or value moved between records)', cause);
  }
}
