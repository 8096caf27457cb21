/**
 * All SIP listeners of one engine: starts them from config, merges their events, and sends a
 * message over the right one (by transport name and address family).
 */
import { EventEmitter } from 'node:events';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { SipNetLimits } from './limits.ts';
import { StreamTransport } from './stream-transport.ts';
import type { SendTarget, SipAddress, SipTransport, TransportEvents, TransportName } from './types.ts';
import { familyOf } from './types.ts';
import { UdpTransport } from './udp-transport.ts';
import { WsTransport } from './ws-transport.ts';

export interface ListenConfig {
  readonly transport: TransportName;
  /** Bind address: an IPv4 or IPv6 literal ('0.0.0.0' / '::' for all). */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Host put in Via/Contact when the bind address is a wildcard or behind NAT. */
  readonly advertise?: string;
}

export interface TransportSetConfig {
  readonly listen: readonly ListenConfig[];
  readonly limits: SipNetLimits;
  /** Server certificate for TLS and WSS listeners (plus ca/requestCert for mTLS). */
  readonly tls?: TlsOptions;
  /** Options for TLS connections we open (ca, client certificate). */
  readonly clientTls?: ConnectionOptions;
}

export interface Listener {
  readonly transport: SipTransport;
  readonly config: ListenConfig;
}

export interface OutboundRoute extends SendTarget {
  readonly transport: TransportName;
}

export class TransportSet extends EventEmitter<TransportEvents> {
  readonly all: readonly Listener[];

  private constructor(listeners: Listener[]) {
    super();
    this.all = listeners;
    for (const { transport } of listeners) {
      transport.on('message', (m) => this.emit('message', m));
      transport.on('frameError', (e) => this.emit('frameError', e));
      transport.on('connectionClosed', (e) => this.emit('connectionClosed', e));
    }
  }

  static async start(config: TransportSetConfig): Promise<TransportSet> {
    const listeners: Listener[] = config.listen.map((l) => ({ config: l, transport: create(l, config) }));
    const set = new TransportSet(listeners);
    try {
      await Promise.all(listeners.map((l) => l.transport.listen()));
    } catch (err) {
      await set.close();
      throw err;
    }
    return set;
  }

  get available(): ReadonlySet<TransportName> {
    return new Set(this.all.map((l) => l.transport.name));
  }

  /** The listener for a transport, preferring the family of `address` (IPv4 vs IPv6). */
  listener(name: TransportName, address?: string): Listener | undefined {
    const family = address === undefined ? undefined : familyOf(address);
    const same = this.all.filter((l) => l.transport.name === name);
    return same.find((l) => family === undefined || l.transport.local.family === family || isWildcard(l.config.host)) ?? same[0];
  }

  /** Address and port to put in our Via / Contact for messages over this listener. */
  advertised(l: Listener): SipAddress {
    const local = l.transport.local;
    const host = l.config.advertise ?? (isWildcard(local.address) ? (local.family === 'IPv6' ? '::1' : '127.0.0.1') : local.address);
    return { address: host, port: local.port, family: familyOf(host) };
  }

  async send(data: Buffer, route: OutboundRoute): Promise<void> {
    const l = this.listener(route.transport, route.remote?.address);
    if (l === undefined) throw new Error(`no ${route.transport} listener`);
    await l.transport.send(data, route);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((l) => l.transport.close().catch(() => undefined)));
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function create(l: ListenConfig, c: TransportSetConfig): SipTransport {
  const base = { host: l.host, port: l.port, limits: c.limits };
  switch (l.transport) {
    case 'udp':
      return new UdpTransport(base);
    case 'tcp':
      return new StreamTransport({ ...base, kind: 'tcp' });
    case 'tls':
      return new StreamTransport({ ...base, kind: 'tls', ...(c.tls ? { tls: c.tls } : {}), ...(c.clientTls ? { clientTls: c.clientTls } : {}) });
    case 'ws':
      return new WsTransport({ ...base, kind: 'ws' });
    case 'wss':
      return new WsTransport({ ...base, kind: 'wss', ...(c.tls ? { tls: c.tls } : {}) });
    default: {
      const never: never = l.transport;
      throw new Error(`unknown transport ${String(never)}`);
    }
  }
}
