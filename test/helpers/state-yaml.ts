/**
 * The `state:` section the takeover tests give every gatehouse instance, and its KEK file.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a fresh random KEK (the key_file format: base64 of 32 octets) as DIR/k1.kek; its path. */
export function writeKek(dir: string): string {
  const file = join(dir, 'k1.kek');
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`);
  return file;
}

/**
 * The `state:` section the takeover tests give every gatehouse instance (appended with
 * startRoomGateway's extraYaml): Redis at `url`, the KEK from `kekFile`, and the takeover
 * timing (the defaults, 500 ms / 1500 ms, spelled out so a test's gaps do not move when the
 * defaults do). `sdesKey: 'same'` for peers that never re-key (baresip 1.0).
 */
export function redisStateYaml(url: string, kekFile: string, o: { readonly sdesKey?: 'same' | 'new'; readonly timing?: boolean } = {}): string[] {
  return [
    'state:',
    '  store: redis',
    `  url: ${url}`,
    ...(o.timing === false ? [] : ['  heartbeat_interval_ms: 500', '  instance_ttl_ms: 1500']),
    ...(o.sdesKey === undefined ? [] : [`  takeover_sdes_key: ${o.sdesKey}`]),
    '  kek:',
    '    active: k1',
    '    keys:',
    `      - { id: k1, key_file: ${JSON.stringify(kekFile)} }`,
  ];
}
