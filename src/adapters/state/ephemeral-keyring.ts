import { randomBytes } from 'node:crypto';
import type { Keyring } from '../../core/secrets/keyring.ts';

/**
 * A one-process keyring for the in-memory store when the operator configured no KEK: the
 * records die with the process, so a random key that dies with it loses nothing.
 */
export function ephemeralKeyring(): Keyring {
  return { activeKeyId: 'ephemeral', keys: new Map([['ephemeral', new Uint8Array(randomBytes(32))]]) };
}
