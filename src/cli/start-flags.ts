/**
 * `gatehouse start` flags for the common keys, mapped to config paths so they take part in the
 * one precedence order (flags > env > file > defaults) and in the one validation.
 */
import type { Command } from 'commander';

export interface FlagSpec {
  readonly flag: string;
  readonly description: string;
  /** Turns the flag text into config path/value pairs, or a reason it is wrong. */
  readonly map: (text: string) => { readonly values: ReadonlyArray<readonly [string, unknown]> } | { readonly error: string };
}

const listen = (transport: string) => (text: string) => ({
  values: [
    [`sip.${transport}.listen`, text],
    [`sip.${transport}.enabled`, true],
  ] as const,
});

export const START_FLAGS: readonly FlagSpec[] = [
  { flag: '--sip-udp <host:port>', description: 'SIP over UDP listen address (enables UDP)', map: listen('udp') },
  { flag: '--sip-tcp <host:port>', description: 'SIP over TCP listen address (enables TCP)', map: listen('tcp') },
  { flag: '--sip-tls <host:port>', description: 'SIP over TLS listen address (enables TLS; needs sip.tls.cert_file/key_file)', map: listen('tls') },
  { flag: '--sip-ws <host:port>', description: 'SIP over WebSocket listen address (enables WS)', map: listen('ws') },
  { flag: '--sip-wss <host:port>', description: 'SIP over secure WebSocket listen address (enables WSS)', map: listen('wss') },
  {
    flag: '--web <host:port>',
    description: 'HTTPS join page for browser guests at /join/ROOM (enables web; needs --sip-wss)',
    map: (t) => ({ values: [['web.listen', t], ['web.enabled', true]] }),
  },
  {
    flag: '--public-address <addr>',
    description: 'address advertised to peers in SIP headers and SDP (behind NAT)',
    map: (t) => ({ values: [['sip.public_address', t], ['media.public_address', t]] }),
  },
  {
    flag: '--media-ports <min-max>',
    description: 'RTP/SRTP port range, e.g. 40000-49999',
    map: (t) => {
      const m = /^(\d{1,5})-(\d{1,5})$/.exec(t);
      if (!m) return { error: `expected MIN-MAX like 40000-49999, got "${t}"` };
      return { values: [['media.port_min', Number(m[1])], ['media.port_max', Number(m[2])]] };
    },
  },
  { flag: '--media-address <ip>', description: 'address RTP sockets bind to', map: (t) => ({ values: [['media.bind_address', t]] }) },
  {
    flag: '--state-url <url>',
    description: 'Redis URL for shared call state (selects state.store=redis)',
    map: (t) => ({ values: [['state.url', t], ['state.store', 'redis']] }),
  },
  { flag: '--policy-profile <name>', description: 'crypto policy profile (see `gatehouse policy list`)', map: (t) => ({ values: [['policy.profile', t]] }) },
  { flag: '--admin-listen <host:port>', description: 'admin HTTP listener (/healthz, /readyz, /metrics)', map: (t) => ({ values: [['admin.listen', t]] }) },
  { flag: '--log-level <level>', description: 'trace|debug|info|warn|error|fatal', map: (t) => ({ values: [['log.level', t]] }) },
  { flag: '--log-format <format>', description: 'json (default) or pretty', map: (t) => ({ values: [['log.format', t]] }) },
  {
    flag: '--drain-timeout <seconds>',
    description: 'SIGTERM drain limit',
    map: (t) => (/^\d+$/.test(t) ? { values: [['drain.timeout_s', Number(t)]] } : { error: `expected whole seconds, got "${t}"` }),
  },
];

export function addStartFlags(cmd: Command): Command {
  for (const f of START_FLAGS) cmd.option(f.flag, f.description);
  return cmd;
}

/** commander's camelCase option key for a flag like `--sip-udp <host:port>`. */
function optionKey(flag: string): string {
  const long = flag.split(' ')[0]?.replace(/^--/, '') ?? '';
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function flagValues(opts: Record<string, unknown>): { map: Map<string, { value: unknown; flag: string }>; problems: string[] } {
  const map = new Map<string, { value: unknown; flag: string }>();
  const problems: string[] = [];
  for (const f of START_FLAGS) {
    const text = opts[optionKey(f.flag)];
    if (typeof text !== 'string') continue;
    const name = f.flag.split(' ')[0] ?? f.flag;
    const r = f.map(text);
    if ('error' in r) problems.push(`flag ${name}: ${r.error}`);
    else for (const [path, value] of r.values) map.set(path, { value, flag: name });
  }
  return { map, problems };
}
