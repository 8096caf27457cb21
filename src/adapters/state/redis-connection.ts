import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { GatehouseError } from '../../core/errors.ts';
import { StateUnavailableError } from '../../ports/state-store.ts';

/**
 * How the Redis adapter connects, and its outage policy.
 *
 * Outage policy (issue 7 "Redis outage"): a call in progress must never hang on the store.
 * - enableOfflineQueue: false  -> while disconnected, commands fail at once instead of queueing;
 * - commandTimeout             -> a server that accepts but never answers (SIGSTOP, partition
 *                                 with no RST) fails the command after commandTimeoutMs;
 * - maxRetriesPerRequest: 0 and autoResendUnfulfilledCommands: false -> a command in flight
 *   when the link drops fails instead of being replayed (writes are CAS: replay is the
 *   write-behind buffer's job, with its own expectations);
 * - retryStrategy              -> reconnect for ever with capped backoff; 'ready' triggers the
 *                                 write-behind flush and the resync hook.
 */
export interface RedisConnectionOptions {
  /** redis://[user[:password]@]host[:port][/db] or rediss://... (TLS). */
  readonly url?: string;
  /** ACL user/password; override the URL's. */
  readonly username?: string;
  readonly password?: string;
  /** TLS options for rediss:// (CA, client cert for mTLS, servername). */
  readonly tls?: ConnectionOptions;
  /** Sentinel: the master group name and the sentinels to ask (ioredis SentinelConnector). */
  readonly sentinel?: {
    readonly name: string;
    readonly sentinels: readonly { readonly host: string; readonly port: number }[];
    readonly username?: string;
    readonly password?: string;
    readonly tls?: ConnectionOptions;
  };
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** CLIENT SETNAME, handy in CLIENT LIST; never a secret. */
  readonly clientName?: string;
}

export function redisOptions(o: RedisConnectionOptions): RedisOptions {
  const base: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    commandTimeout: o.commandTimeoutMs ?? 1000,
    connectTimeout: o.connectTimeoutMs ?? 2000,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    ...(o.clientName === undefined ? {} : { connectionName: o.clientName }),
  };
  const fromUrl: ParsedUrl = o.url === undefined ? { tls: false } : parseRedisUrl(o.url);
  const auth = {
    ...(fromUrl.username === undefined ? {} : { username: fromUrl.username }),
    ...(fromUrl.password === undefined ? {} : { password: fromUrl.password }),
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
  };
  const tls = fromUrl.tls || o.tls !== undefined ? { tls: { ...(o.tls ?? {}) } } : {};
  if (o.sentinel) {
    const s = o.sentinel;
    return {
      ...base,
      ...auth,
      ...tls,
      ...(fromUrl.db === undefined ? {} : { db: fromUrl.db }),
      name: s.name,
      sentinels: s.sentinels.map((x) => ({ host: x.host, port: x.port })),
      ...(s.username === undefined ? {} : { sentinelUsername: s.username }),
      ...(s.password === undefined ? {} : { sentinelPassword: s.password }),
      ...(s.tls === undefined ? {} : { enableTLSForSentinelMode: true, sentinelTLS: s.tls }),
    };
  }
  return {
    ...base,
    ...auth,
    ...tls,
    host: fromUrl.host ?? '127.0.0.1',
    port: fromUrl.port ?? 6379,
    ...(fromUrl.db === undefined ? {} : { db: fromUrl.db }),
  };
}

interface ParsedUrl {
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** Parses redis:// and rediss:// URLs; anything else is a config error naming the scheme only. */
export function parseRedisUrl(url: string): ParsedUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new GatehouseError('config', 'STATE_BAD_URL', 'state store URL is not a URL', { cause });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new GatehouseError('config', 'STATE_BAD_URL', `state store URL scheme ${u.protocol} is not redis: or rediss:`);
  }
  const out: ParsedUrl = { tls: u.protocol === 'rediss:' };
  if (u.hostname) out.host = u.hostname.replace(/^\[|\]$/g, '');
  if (u.port) out.port = Number(u.port);
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d{1,2}$/.test(db)) throw new GatehouseError('config', 'STATE_BAD_URL', 'state store URL path must be a database number');
    out.db = Number(db);
  }
  return out;
}

export function createRedisClient(o: RedisConnectionOptions): Redis {
  return new Redis(redisOptions(o));
}

/** Replies that mean "not now" rather than "wrong": the store is failing over or loading. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|NOTBUSY)\b/;
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b/;

/** True when an error from an ioredis call means the store is unreachable right now. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err.name === 'ReplyError') return TRANSIENT_REPLY.test(err.message);
  // Connection-level: "Stream isn't writeable", "Connection is closed.", "Command timed out",
  // MaxRetriesPerRequestError, ECONNREFUSED/ECONNRESET/EPIPE from the socket.
  return true;
}

/** Maps an ioredis failure to the project's errors (fast, specific, no secrets). */
export function stateError(operation: string, err: unknown, buffered = false): GatehouseError {
  if (err instanceof GatehouseError) return err;
  if (isUnavailable(err)) return new StateUnavailableError(operation, { cause: err, buffered });
  const message = err instanceof Error ? err.message.split(' ')[0] ?? 'ERR' : 'ERR';
  if (err instanceof Error && AUTH_REPLY.test(err.message)) {
    return new GatehouseError('config', 'STATE_AUTH_FAILED', `state store refused the credentials (${message})`, { cause: err, sipStatus: 503 });
  }
  return new GatehouseError('state', 'STATE_BACKEND_ERROR', `state store error during ${operation} (${message})`, { cause: err, sipStatus: 500 });
}
