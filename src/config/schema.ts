/**
 * The one configuration schema (issue 2, DESIGN.md convention 10). Checked once at start;
 * unknown keys are rejected with their path (strict objects everywhere); defaults are applied by
 * the schema itself (`prefault`), never by mutating the caller's input.
 *
 * Secrets are never accepted inline: a secret is referenced by `*_file` (a path whose content
 * is the secret) or `*_env` (the name of an environment variable holding it). See secrets.ts.
 */
import { z } from 'zod';
import { parseHostPort } from './host-port.ts';
import { roomsSchema } from './rooms-schema.ts';

const hostPort = z.string().superRefine((value, ctx) => {
  const parsed = parseHostPort(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
});

const port = z.number().int().min(1).max(65535);
const positiveInt = z.number().int().positive();

/** A secret reference: exactly one of `<name>_file` or `<name>_env` may be set. */
function secretRef<N extends string>(name: N) {
  return {
    [`${name}_file`]: z.string().min(1).optional(),
    [`${name}_env`]: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
  } as Record<`${N}_file` | `${N}_env`, z.ZodOptional<z.ZodString>>;
}

function transport(defaults: { enabled: boolean; listen: string }) {
  return z
    .strictObject({
      /** Whether this transport listens at all. */
      enabled: z.boolean().default(defaults.enabled),
      /** `host:port`; IPv6 as `[::1]:5060`. */
      listen: hostPort.default(defaults.listen),
    })
    .prefault({});
}

function tlsTransport(defaults: { enabled: boolean; listen: string; requireCert: boolean }) {
  return z
    .strictObject({
      enabled: z.boolean().default(defaults.enabled),
      listen: hostPort.default(defaults.listen),
      /** PEM certificate chain for this listener. */
      cert_file: z.string().min(1).optional(),
      ...secretRef('key'),
      /** PEM CA(s) for client certificates (mTLS): peers are asked for one and a verified
       * subject reaches policy.overrides (cert_subject). */
      client_ca_file: z.string().min(1).optional(),
      /** With client_ca_file: refuse the TLS handshake without a verified client certificate. */
      require_client_cert: z.boolean().default(false),
    })
    .prefault({})
    .superRefine((t, ctx) => {
      if (t.require_client_cert && t.client_ca_file === undefined) {
        ctx.addIssue({ code: 'custom', path: ['require_client_cert'], message: 'needs client_ca_file (the CA client certificates are verified against)' });
      }
      if (t.cert_file !== undefined && t.key_file === undefined && t.key_env === undefined) {
        ctx.addIssue({ code: 'custom', path: ['key_file'], message: 'required (or key_env) with cert_file' });
      }
      // WSS may run on a generated development certificate (a warning is logged); SIP TLS
      // trunks authenticate the gateway by its certificate, so TLS never does
      if (!t.enabled || !defaults.requireCert) return;
      if (t.cert_file === undefined) ctx.addIssue({ code: 'custom', path: ['cert_file'], message: 'required when this TLS listener is enabled' });
      if (t.key_file === undefined && t.key_env === undefined) {
        ctx.addIssue({ code: 'custom', path: ['key_file'], message: 'required (or key_env) when this TLS listener is enabled' });
      }
    });
}

export const logSchema = z
  .strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    format: z.enum(['json', 'pretty']).default('json'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  log: logSchema,
  admin: z
    .strictObject({
      /** Health, readiness and Prometheus metrics. Loopback by default: it has no auth yet. */
      listen: hostPort.default('127.0.0.1:8088'),
    })
    .prefault({}),
  sip: z
    .strictObject({
      udp: transport({ enabled: true, listen: '127.0.0.1:5060' }),
      tcp: transport({ enabled: true, listen: '127.0.0.1:5060' }),
      tls: tlsTransport({ enabled: false, listen: '127.0.0.1:5061', requireCert: true }),
      ws: transport({ enabled: false, listen: '127.0.0.1:5062' }),
      wss: tlsTransport({ enabled: false, listen: '127.0.0.1:5063', requireCert: false }),
      /** Address put in Via/Contact/Record-Route when behind NAT; defaults to the listen host. */
      public_address: z.string().min(1).optional(),
      /** Protection of the SIP listeners (src/adapters/sip-net/limits.ts). */
      limits: z
        .strictObject({
          /** Largest SIP message, bytes; larger gets 513 (or a WebSocket close). */
          max_message_bytes: z.number().int().min(1500).max(65535).default(65535),
          /** Open TCP/TLS/WS/WSS connections per source IP. */
          max_connections_per_ip: positiveInt.default(64),
          /** Open stream connections per listener. */
          max_connections: positiveInt.default(10000),
          /** Close a connection silent this long, ms. */
          idle_timeout_ms: positiveInt.default(300000),
          /** Close a connection whose message is incomplete this long after its first byte (slowloris), ms. */
          incomplete_message_timeout_ms: positiveInt.default(10000),
          /** Requests per second per source address (token bucket); over it: 503 + Retry-After, then silent drop. 0 disables. */
          requests_per_second: z.number().min(0).default(50),
          /** Burst of requests a source may send above the rate. */
          request_burst: positiveInt.default(200),
        })
        .prefault({}),
    })
    .prefault({}),
  media: z
    .strictObject({
      /** Address RTP sockets bind to. */
      bind_address: z.string().min(1).default('127.0.0.1'),
      /** Address advertised in SDP c= lines; defaults to bind_address. */
      public_address: z.string().min(1).optional(),
      port_min: port.default(40000),
      port_max: port.default(49999),
      /** UDP ports for browser guests (ICE-lite peers bind these themselves); apart from the above. */
      webrtc_port_min: port.default(50000),
      webrtc_port_max: port.default(50999),
      /**
       * SRTP engine: `native` (OpenSSL contexts kept per key, `npm run build:native`), `node`
       * (node:crypto objects per packet, ~30x the CPU per packet), or `auto`: native when built,
       * else node with a warning at start-up.
       */
      srtp_engine: z.enum(['auto', 'native', 'node']).default('auto'),
      /**
       * Media socket engine: `native` (all media sockets in one epoll set, read in recvmmsg
       * batches, Linux, `npm run build:native`), `node` (node:dgram, one callback and buffer per
       * datagram), or `auto`: native when built, else node with a warning at start-up.
       */
      socket_engine: z.enum(['auto', 'native', 'node']).default('auto'),
    })
    .prefault({})
    .superRefine((m, ctx) => {
      if (m.port_min > m.port_max) {
        ctx.addIssue({ code: 'custom', path: ['port_min'], message: `must be <= media.port_max (${m.port_max})` });
      }
      if (m.webrtc_port_min > m.webrtc_port_max) {
        ctx.addIssue({ code: 'custom', path: ['webrtc_port_min'], message: `must be <= media.webrtc_port_max (${m.webrtc_port_max})` });
      }
      if (m.webrtc_port_min <= m.port_max && m.port_min <= m.webrtc_port_max) {
        ctx.addIssue({ code: 'custom', path: ['webrtc_port_min'], message: `the WebRTC range ${m.webrtc_port_min}-${m.webrtc_port_max} overlaps media.port_min-port_max ${m.port_min}-${m.port_max}` });
      }
      if (m.port_min % 2 !== 0) {
        ctx.addIssue({ code: 'custom', path: ['port_min'], message: 'must be even (RTP uses even ports, RFC 3550 11)' });
      }
    }),
  state: z
    .strictObject({
      /** `memory` (one instance) or `redis` (several instances, takeover). */
      store: z.enum(['memory', 'redis']).default('memory'),
      /** `redis://host:port/db` or `rediss://...`; no password in the URL: use password_file/_env. */
      url: z.string().min(1).optional(),
      username: z.string().min(1).optional(),
      ...secretRef('password'),
      /**
       * Key-encryption keys for secrets at rest (SRTP keys in Redis are AES-256-GCM wrapped):
       * `active` names the key that wraps new records; older keys stay readable until
       * `gatehouse keys rotate` has re-wrapped everything. Each key is 32 random bytes, base64.
       */
      kek: z
        .strictObject({
          active: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a key id like "2026-11"'),
          keys: z
            .array(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a key id like "2026-11"'), ...secretRef('key') }))
            .min(1),
        })
        .optional(),
      /**
       * Takeover (redis): how often this instance renews its heartbeat in the store. Survivors
       * see it dead `instance_ttl_ms` after its last heartbeat and take its calls over.
       */
      heartbeat_interval_ms: z.number().int().min(100).max(60_000).default(500),
      /**
       * Takeover (redis): how long a heartbeat keeps this instance alive in the registry; after
       * it lapses (crash, kill -9, partition) another instance claims its calls. Shorter means
       * faster takeover but a false takeover on a short store hiccup. Must exceed
       * heartbeat_interval_ms by more than 10% of itself (the lease margin).
       */
      instance_ttl_ms: z.number().int().min(300).max(600_000).default(1500),
      /**
       * Takeover (redis): the SDES key the new owner offers in its re-INVITE. `new` (default): a
       * fresh key (the dead host may have leaked the old one). `same`: the stored one, for
       * endpoints that ignore a new key in a re-INVITE (baresip 1.0.0 does) and would otherwise
       * fail to decrypt every packet after a takeover.
       */
      takeover_sdes_key: z.enum(['new', 'same']).default('new'),
      /**
       * Takeover (redis): what an instance does with its calls in progress when it could not
       * reach the store for a whole instance_ttl_ms (its lease lapsed: a Redis outage, or a
       * partition in which another instance may already have taken them over; it cannot tell).
       * `continue` (default): media goes on, nothing is sent on the calls' dialogs until the
       * store can be read again, then each call is kept (re-stored if Redis lost it) or, if
       * another instance claimed it, released without a word. While the store cannot be read,
       * a call taken over elsewhere still gets this instance's media too. `release`: media is
       * released at once and nothing is sent (strict fencing; a Redis outage longer than the
       * TTL then stops the media of every call until a re-INVITE resumes it).
       */
      on_lease_loss: z.enum(['continue', 'release']).default('continue'),
    })
    .prefault({})
    .superRefine((s, ctx) => {
      if (s.instance_ttl_ms - Math.floor(s.instance_ttl_ms / 10) <= s.heartbeat_interval_ms) {
        ctx.addIssue({ code: 'custom', path: ['instance_ttl_ms'], message: 'must exceed heartbeat_interval_ms by more than 10% of itself, or the lease lapses between two heartbeats' });
      }
      if (s.store === 'redis' && s.url === undefined) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'required when state.store is redis' });
      }
      if (s.store === 'redis' && s.kek === undefined) {
        ctx.addIssue({ code: 'custom', path: ['kek'], message: 'required when state.store is redis: secrets are encrypted before they reach Redis' });
      }
      if (s.kek !== undefined) {
        const ids = s.kek.keys.map((k) => k.id);
        if (!ids.includes(s.kek.active)) ctx.addIssue({ code: 'custom', path: ['kek', 'active'], message: `"${s.kek.active}" is not one of state.kek.keys[].id (${ids.join(', ')})` });
        s.kek.keys.forEach((k, i) => {
          if (k.key_file === undefined && k.key_env === undefined) ctx.addIssue({ code: 'custom', path: ['kek', 'keys', i, 'key_file'], message: 'key_file or key_env is required' });
          if (ids.indexOf(k.id) !== i) ctx.addIssue({ code: 'custom', path: ['kek', 'keys', i, 'id'], message: `duplicate key id "${k.id}"` });
        });
      }
      if (s.url !== undefined) {
        const reason = checkStateUrl(s.url);
        if (reason) ctx.addIssue({ code: 'custom', path: ['url'], message: reason });
      }
    }),
  policy: z
    .strictObject({
      /** Crypto profile used unless a per-peer override matches (`gatehouse policy list`). */
      profile: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a profile name like "default"').default('default'),
      /** Directory with operator profile files (*.yaml / *.json), validated like config. */
      profiles_dir: z.string().min(1).optional(),
      /**
       * Per-peer profile overrides, first match wins: `{ name?, match: { cidr?, cert_subject?,
       * from_domain?, to_domain? }, profile }`. Checked by crypto-policy/peer-overrides.ts.
       */
      overrides: z.array(z.unknown()).default([]),
    })
    .prefault({}),
  web: z
    .strictObject({
      /** HTTPS join page for browser guests (`/join/ROOM`); needs sip.wss. */
      enabled: z.boolean().default(false),
      listen: hostPort.default('127.0.0.1:8443'),
      /** PEM certificate; absent: the WSS certificate, or a generated development one. */
      cert_file: z.string().min(1).optional(),
      ...secretRef('key'),
      /** WSS URL browsers use; default wss://<sip.public_address or wss host>:<wss port>. */
      wss_url: z.string().url().optional(),
      /** Other instances' WSS URLs (wss://...), tried in order by a guest whose connection
       * dropped mid-call, so it can resume on a survivor (takeover). Empty behind a load
       * balancer: wss_url then reaches a live instance by itself. */
      fallback_wss_urls: z.array(z.string().url().startsWith('wss://', 'must be a wss:// URL')).default([]),
      /** The join page's base URL as browsers reach THIS instance (https://...); default its
       * listen address unless that is a wildcard. With Redis, other instances send a room's
       * guests here when the room runs here (a room runs in one process). */
      public_url: z.string().url().startsWith('https://', 'must be an https:// URL').optional(),
      /** Host part of sip:ROOM@host the page dials; default the WSS URL's host. */
      sip_domain: z.string().min(1).optional(),
    })
    .prefault({}),
  admission: z
    .strictObject({
      /** Calls this instance carries at most; more get 503 with Retry-After (RFC 3261 21.5.4). */
      max_calls: positiveInt.default(500),
      /** Retry-After seconds on every 503 (capacity, draining, state store unreachable). */
      retry_after_s: z.number().int().min(0).max(3600).default(5),
      /** New calls while the state store (Redis) is unreachable: `reject` (503, another instance
       * takes them) or `local` (accepted, state written when the store returns). */
      on_state_outage: z.enum(['reject', 'local']).default('reject'),
    })
    .prefault({}),
  rooms: roomsSchema,
  drain: z
    .strictObject({
      /** SIGTERM: readiness goes false; the process exits when idle or after this many seconds. */
      timeout_s: positiveInt.default(30),
    })
    .prefault({}),
});

export type GatehouseConfig = z.infer<typeof configSchema>;

/** Cross-section rules the per-section schemas cannot see. */
export const checkedConfigSchema = configSchema.superRefine((c, ctx) => {
  if (c.web.enabled && !c.sip.wss.enabled) {
    ctx.addIssue({ code: 'custom', path: ['web', 'enabled'], message: 'the join page needs sip.wss.enabled: browsers call over WSS' });
  }
  if (c.web.cert_file !== undefined && c.web.key_file === undefined && c.web.key_env === undefined) {
    ctx.addIssue({ code: 'custom', path: ['web', 'key_file'], message: 'required (or key_env) with cert_file' });
  }
});

function checkStateUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be a URL like redis://127.0.0.1:6379/0';
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `scheme must be redis: or rediss:, got ${u.protocol}`;
  if (u.password !== '') return 'must not contain a password: use state.password_file or state.password_env';
  return null;
}
