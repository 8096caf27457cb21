/**
 * SIP over TCP and TLS (RFC 3261 section 18, RFC 5630 for sips). Messages are framed by
 * Content-Length (stream-framer.ts); double-CRLF keep-alives are answered with a CRLF
 * (RFC 5626 section 4.4.1). Responses go back on the connection the request came in on
 * (18.2.2); requests to an address reuse an open connection to it before opening one.
 * Protection: per-IP and total connection limits at accept, idle and incomplete-message
 * timeouts (slowloris), message size limit, TLS handshake timeout.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, createServer as netServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsServer } from 'node:tls';
import type { ConnectionOptions, PeerCertificate, TLSSocket, TlsOptions } from 'node:tls';
import { sipConnectionsClosed, sipConnectionsOpen, sipConnectionsRejected, sipMessagesDropped, sipMessagesReceived, sipMessagesSent } from '../../metrics/sip.ts';
import { ConnectionTable, sweepInterval } from './connection-table.ts';
import type { TrackedConnection } from './connection-table.ts';
import type { SipNetLimits } from './limits.ts';
import { SipStreamFramer } from './stream-framer.ts';
import type { DropReason, InboundMessage, SendTarget, SipAddress, SipTransport, TransportEvents } from './types.ts';
import { familyOf, normaliseAddress } from './types.ts';

export interface StreamTransportOptions {
  readonly kind: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
  readonly limits: SipNetLimits;
  /** Server side TLS: key, cert, ca, requestCert, rejectUnauthorized, minVersion... */
  readonly tls?: TlsOptions;
  /** Client side TLS for connections we open (ca, rejectUnauthorized, client cert...). */
  readonly clientTls?: ConnectionOptions;
}

const CRLF = Buffer.from('\r\n');

interface StreamConnection extends TrackedConnection {
  readonly socket: Socket;
  readonly local: SipAddress;
  readonly framer: SipStreamFramer;
  peerCertificate: PeerCertificate | undefined;
}

export class StreamTransport extends EventEmitter<TransportEvents> implements SipTransport {
  readonly name: 'tcp' | 'tls';
  readonly reliable = true;
  private readonly options: StreamTransportOptions;
  private readonly server: Server;
  private readonly table: ConnectionTable<StreamConnection>;
  private bound: SipAddress;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: StreamTransportOptions) {
    super();
    this.options = options;
    this.name = options.kind;
    this.table = new ConnectionTable(options.kind);
    this.bound = { address: options.host, port: options.port, family: familyOf(options.host) };
    if (options.kind === 'tls') {
      if (options.tls === undefined) throw new Error('TLS transport needs tls options (key, cert)');
      const server = tlsServer({ minVersion: 'TLSv1.2', handshakeTimeout: options.limits.incompleteMessageTimeoutMs, ...options.tls });
      server.on('connection', (raw: Socket) => this.admit(raw));
      server.on('secureConnection', (s: TLSSocket) => this.attach(s, true, tlsPeer(s)));
      // Failed handshakes (bad cert, timeout, garbage) only concern that peer.
      server.on('tlsClientError', () => sipConnectionsClosed.inc({ transport: 'tls', reason: 'socket_error' }));
      this.server = server;
    } else {
      const server = netServer();
      server.on('connection', (s: Socket) => {
        if (this.admit(s)) this.attach(s, true, undefined);
      });
      this.server = server;
    }
  }

  get local(): SipAddress {
    return this.bound;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port, ipv6Only: familyOf(this.options.host) === 'IPv6' }, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        if (a !== null && typeof a === 'object') this.bound = { address: a.address, port: a.port, family: familyOf(a.address) };
        const limits = this.options.limits;
        this.sweeper = setInterval(() => this.sweep(), sweepInterval(limits));
        this.sweeper.unref();
        resolve();
      });
    });
  }

  async send(data: Buffer, target: SendTarget): Promise<void> {
    let conn = target.connectionId === undefined ? undefined : this.table.get(target.connectionId);
    if (conn === undefined && target.remote !== undefined) {
      conn = this.table.findByRemote(target.remote.address, target.remote.port) ?? this.open(target.remote, target.serverName);
    }
    if (conn === undefined) throw new Error(`${this.name}: no connection ${target.connectionId ?? ''} and no address to open one`);
    await conn.write(data);
    sipMessagesSent.inc({ transport: this.name });
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of this.table.all()) c.destroy('peer_closed');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Open connections (for tests and the admin view). */
  get connectionCount(): number {
    return this.table.size;
  }

  /** Accept-time limits on the raw socket; counts it against its source IP until it closes. */
  private admit(raw: Socket): boolean {
    const ip = normaliseAddress(raw.remoteAddress);
    const limits = this.options.limits;
    let reason: DropReason | undefined;
    if (this.table.countForIp(ip) >= limits.maxConnectionsPerIp) reason = 'per_ip_connection_limit';
    else if (this.table.size >= limits.maxConnections) reason = 'connection_limit';
    if (reason !== undefined) {
      sipConnectionsRejected.inc({ transport: this.name, reason });
      raw.destroy();
      return false;
    }
    const release = this.table.reserveIp(ip);
    raw.once('close', release);
    return true;
  }

  private attach(
    socket: Socket,
    inbound: boolean,
    peerCertificate: PeerCertificate | undefined,
    target?: { address: string; port: number },
  ): StreamConnection {
    const now = performance.now();
    const remoteAddr = normaliseAddress(target?.address ?? socket.remoteAddress);
    const conn: StreamConnection = {
      id: this.table.newId(),
      socket,
      inbound,
      remote: { address: remoteAddr, port: target?.port ?? socket.remotePort ?? 0, family: familyOf(remoteAddr) },
      local: this.bound,
      framer: new SipStreamFramer(this.options.limits.maxMessageSize),
      peerCertificate,
      lastActivity: now,
      partialSince: undefined,
      write: (data) => writeSocket(socket, data, () => (conn.lastActivity = performance.now())),
      destroy: (reason) => {
        closeReason = reason;
        socket.destroy();
      },
    };
    let closeReason: DropReason = 'peer_closed';
    socket.setNoDelay(true);
    this.table.add(conn);
    sipConnectionsOpen.inc({ transport: this.name });
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => {
      if (closeReason === 'peer_closed') closeReason = 'socket_error';
    });
    socket.once('close', () => {
      this.table.remove(conn);
      sipConnectionsOpen.dec({ transport: this.name });
      sipConnectionsClosed.inc({ transport: this.name, reason: closeReason });
      this.emit('connectionClosed', { connectionId: conn.id, reason: closeReason });
    });
    return conn;
  }

  private onData(conn: StreamConnection, chunk: Buffer): void {
    const now = performance.now();
    conn.lastActivity = now;
    for (const r of conn.framer.push(chunk)) {
      if (r.kind === 'message') {
        this.emit('message', this.inbound(conn, r.data));
      } else if (r.kind === 'ping') {
        sipMessagesReceived.inc({ transport: this.name, kind: 'keepalive' });
        conn.write(CRLF).catch(() => undefined);
      } else if (r.kind === 'pong') {
        sipMessagesReceived.inc({ transport: this.name, kind: 'keepalive' });
      } else {
        sipMessagesDropped.inc({ transport: this.name, reason: r.reason });
        const { data: _d, ...source } = this.inbound(conn, r.head);
        this.emit('frameError', { reason: r.reason, head: r.head, source });
        // Give the engine a moment to answer 400/513 on this connection, then close.
        conn.socket.end();
        setTimeout(() => conn.destroy(r.reason), 1000).unref();
        return;
      }
    }
    conn.partialSince = conn.framer.hasPartialMessage ? (conn.partialSince ?? now) : undefined;
  }

  private inbound(conn: StreamConnection, data: Buffer): InboundMessage {
    const base = { data, transport: this.name, remote: conn.remote, local: conn.local, connectionId: conn.id };
    return conn.peerCertificate === undefined ? base : { ...base, tlsPeerCertificate: conn.peerCertificate };
  }

  private open(remote: { address: string; port: number }, serverName: string | undefined): StreamConnection {
    const socket =
      this.name === 'tls'
        ? tlsConnect({ host: remote.address, port: remote.port, minVersion: 'TLSv1.2', ...(serverName ? { servername: serverName } : {}), ...this.options.clientTls })
        : netConnect({ host: remote.address, port: remote.port });
    // remoteAddress is unknown until connected; track under the intended address for reuse.
    const conn = this.attach(socket, false, undefined, remote);
    if (this.name === 'tls') (socket as TLSSocket).once('secureConnect', () => (conn.peerCertificate = tlsPeer(socket as TLSSocket)));
    return conn;
  }

  private sweep(): void {
    for (const { conn, reason } of this.table.expired(performance.now(), this.options.limits)) conn.destroy(reason);
  }
}

function writeSocket(socket: Socket, data: Buffer, onWrite: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || !socket.writable) {
      reject(new Error('connection closed'));
      return;
    }
    onWrite();
    socket.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/** The peer certificate only when the chain verified against our CAs (mTLS identity). */
function tlsPeer(s: TLSSocket): PeerCertificate | undefined {
  if (!s.authorized) return undefined;
  const cert = s.getPeerCertificate();
  return cert && Object.keys(cert).length > 0 ? cert : undefined;
}
