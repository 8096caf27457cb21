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
