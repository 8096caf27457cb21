/**
 * The key-encryption keyring for secrets at rest, from `state.kek` and the resolved secrets.
 * Keys are 32 random bytes in base64 (`gatehouse keys generate` prints one).
 */
import { validateKeyring, type Keyring } from '../core/secrets/keyring.ts';
import type { GatehouseConfig } from './schema.ts';
import type { SecretSet } from './secrets.ts';

export type KeyringLoad = { readonly ok: true; readonly keyring: Keyring | null } | { readonly ok: false; readonly problems: readonly string[] };

export function loadKeyring(config: GatehouseConfig, secrets: SecretSet): KeyringLoad {
  const kek = config.state.kek;
  if (kek === undefined) return { ok: true, keyring: null };
  const problems: string[] = [];
  const keys = new Map<string, Uint8Array>();
  kek.keys.forEach((k, i) => {
    const path = `state.kek.keys.${i}.key`;
    const text = secrets.get(path);
    if (text === undefined) return; // resolveSecrets already reported it
    const bytes = Buffer.from(text.trim(), 'base64');
    if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== text.trim().replace(/=+$/, '')) {
      problems.push(`${path}_${k.key_file !== undefined ? 'file' : 'env'}: key "${k.id}" must be 32 random bytes in base64 (gatehouse keys generate prints one)`);
      return;
    }
    keys.set(k.id, new Uint8Array(bytes));
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, keyring: validateKeyring({ activeKeyId: kek.active, keys }) };
}
