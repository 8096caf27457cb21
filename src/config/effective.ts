import type { CryptoPolicy } from '../../crypto-policy/index.ts';
import type { Keyring } from '../core/secrets/keyring.ts';
import type { GatehouseConfig } from './schema.ts';
import type { SecretSet } from './secrets.ts';

/** Everything configurable, loaded and checked once at start. */
export interface EffectiveConfig {
  readonly config: GatehouseConfig;
  readonly secrets: SecretSet;
  readonly policy: CryptoPolicy;
  /** Key-encryption keys for secrets at rest; null when `state.kek` is not configured. */
  readonly keyring: Keyring | null;
}
