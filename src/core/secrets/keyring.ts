import { SecretError } from './secret-error.ts';

/**
 * Key-encryption keys (KEKs) for secrets at rest. The operator supplies them (config reads env
 * or files; library code never does); `activeKeyId` wraps new data keys, every other id stays
 * readable until `gatehouse keys rotate` has re-wrapped all records under the active one.
 */
export interface Keyring {
  readonly activeKeyId: string;
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

export const KEK_LENGTH = 32; // AES-256 (NIST SP 800-38D with a 256-bit key)
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks a keyring once at start so a bad one fails before any record is touched. */
export function validateKeyring(keyring: Keyring): Keyring {
  if (keyring.keys.size === 0) throw new SecretError('SECRET_BAD_KEYRING', 'keyring holds no keys');
  for (const [id, key] of keyring.keys) {
    if (!KEY_ID.test(id)) throw new SecretError('SECRET_BAD_KEYRING', `key id "${id}" must match ${KEY_ID}`);
    if (key.length !== KEK_LENGTH) {
      throw new SecretError('SECRET_BAD_KEYRING', `key "${id}" is ${key.length} bytes; AES-256 needs ${KEK_LENGTH}`);
    }
  }
  if (!keyring.keys.has(keyring.activeKeyId)) {
    throw new SecretError('SECRET_BAD_KEYRING', `active key id "${keyring.activeKeyId}" is not in the keyring`);
  }
  return keyring;
}

export function keyFor(keyring: Keyring, keyId: string): Uint8Array {
  const key = keyring.keys.get(keyId);
  if (key === undefined) {
    throw new SecretError('SECRET_UNKNOWN_KEY_ID', `record is wrapped under key id "${keyId}", which the keyring does not hold`);
  }
  return key;
}
