import { GatehouseError } from '../errors.ts';

/**
 * Errors of secrets-at-rest handling. Stable codes (DESIGN.md convention 5):
 * - SECRET_UNKNOWN_KEY_ID: a record is wrapped under a key id the keyring does not hold
 *   (operator removed a key before `gatehouse keys rotate` finished, or wrong keyring).
 * - SECRET_AUTH_FAILED: GCM tag check failed: wrong key bytes, tampering, or the ciphertext was
 *   moved to another record/field (the AAD binds both).
 * - SECRET_BAD_KEYRING: keyring invalid (key not 32 bytes, active id missing, bad id).
 * - SECRET_MALFORMED: a stored envelope is not the expected shape.
 * None of these messages ever contain key material.
 */
export type SecretErrorCode = 'SECRET_UNKNOWN_KEY_ID' | 'SECRET_AUTH_FAILED' | 'SECRET_BAD_KEYRING' | 'SECRET_MALFORMED';

export class SecretError extends GatehouseError {
  declare readonly code: SecretErrorCode;
  constructor(code: SecretErrorCode, message: string, cause?: unknown) {
    super(code === 'SECRET_BAD_KEYRING' || code === 'SECRET_UNKNOWN_KEY_ID' ? 'config' : 'state', code, message, {
      cause,
      sipStatus: 500,
    });
    this.name = 'SecretError';
  }
}
