/**
 * SIP over WebSocket (RFC 7118), plain (ws) and TLS (wss): how browser guests connect.
 * - The handshake must offer the `sip` subprotocol (section 4.1); otherwise HTTP 400.
 * - Each WebSocket message carries exactly one SIP message, text or binary (section 5.1):
 *   no Content-Length framing here. We send text frames when the bytes are valid UTF-8.
 * - A WS server cannot open connections to clients: requests to a WS peer go over the
 *   connection it registered/called from (section 5; RFC 5626 flow).
 * Protection: the same per-IP/total limits, idle and incomplete-message timeouts as TCP
 * (an unfinished frame counts as an unfinished message), ws `maxPayload` for the size limit.
 */
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { createServer as httpServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as httpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket, TlsOptions } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { sipConnectionsClosed, sipConnectionsOpen, sipConnectionsRejected, sipMessagesDropped, sipMessagesReceived, sipMessagesSent } from '../../metrics/sip.ts';
import { ConnectionTable, sweepInterval } from './connection-table.ts';
import type { TrackedConnection } from './connection-table.ts';
import type { SipNetLimits } from './limits.ts';
import type { DropReason, InboundMessage, SendTarget, SipAddress, SipTransport, TransportEvents } from './types.ts';
import { familyOf, normaliseAddress } from './types.ts';

export interface WsTransportOptions {
  readonly kind: 'ws' | 'wss';
  readonly host: string;
  readonly port: number;
  readonly limits: SipNetLimits;
  readonly tls?: TlsOptions;
}

interface WsConnection extends TrackedConnection {
  readonly ws: WebSocket;
  readonly peerCertificate: PeerCertificate | undefined;
}

const CRLF = '\r\n';

export class WsTransport extends EventEmitter<TransportEvents> implements SipTransport {
  readonly name: 'ws' | 'wss';
  readonly reliable = true;
  private readonly options: WsTransportOptions;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly table: ConnectionTable<WsConnection>;
  private bound: SipAddress;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: WsTransportOptions) {
    super();
    this.options = options;
    this.name = options.kind;
    this.table = new ConnectionTable(options.kind);
    this.bound = { address: options.host, port: options.port, family: familyOf(options.host) };
    if (options.kind === 'wss' && options.tls === undefined) throw new Error('WSS transport needs tls options (key, cert)');
    const limits = options.limits;
    // HTTP-level slowloris: the upgrade request itself must arrive in time.
    const httpOpts = { headersTimeout: limits.incompleteMessageTimeoutMs, requestTimeout: limits.incompleteMessageTimeoutMs };
    this.server =
      options.kind === 'wss'
        ? httpsServer({ minVersion: 'TLSv1.2', handshakeTimeout: limits.incompleteMessageTimeoutMs, ...httpOpts, ...options.tls })
        : httpServer(httpOpts);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxMessageSize,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    this.server.on('connection', (raw: Socket) => this.admit(raw));
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end('SIP over WebSocket only (RFC 7118)\n');
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('tlsClientError', () => sipConnectionsClosed.inc({ transport: this.name, reason: 'socket_error' }));
  }

  get local(): SipAddress {
    return this.bound;
  }

  get connectionCount(): number {
    return this.table.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port, ipv6Only: familyOf(this.options.host) === 'IPv6' }, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        if (a !== null && typeof a === 'object') this.bound = { address: a.address, port: a.port, family: familyOf(a.address) };
        this.sweeper = setInterval(() => this.sweep(), sweepInterval(this.options.limits));
        this.sweeper.unref();
        resolve();
      });
    });
  }

  async send(data: Buffer, target: SendTarget): Promise<void> {
    let conn = target.connectionId === undefined ? undefined : this.table.get(target.connectionId);
    if (conn === undefined && target.remote !== undefined) conn = this.table.findByRemote(target.remote.address, target.remote.port);
    if (conn === undefined) throw new Error(`${this.name}: connection ${target.connectionId ?? '?'} is gone and a WebSocket server cannot open one`);
    await conn.write(data);
    sipMessagesSent.inc({ transport: this.name });
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of this.table.all()) c.destroy('peer_closed');
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private admit(raw: Socket): void {
    const ip = normaliseAddress(raw.remoteAddress);
    const limits = this.options.limits;
    let reason: DropReason | undefined;
    if (this.table.countForIp(ip) >= limits.maxConnectionsPerIp) reason = 'per_ip_connection_limit';
    else if (this.table.size >= limits.maxConnections) reason = 'connection_limit';
    if (reason !== undefined) {
      sipConnectionsRejected.inc({ transport: this.name, reason });
      raw.destroy();
      return;
    }
    raw.once('close', this.table.reserveIp(ip));
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim().toLowerCase());
    if (!offered.includes('sip')) {
      sipConnectionsRejected.inc({ transport: this.name, reason: 'no_sip_subprotocol' });
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Listen before ws does so that a complete frame clears `partialSince` after it is set.
    let conn: WsConnection | undefined;
    socket.on('data', () => {
      if (conn === undefined) return;
      const now = performance.now();
      conn.lastActivity = now;
      conn.partialSince ??= now;
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      conn = this.attach(ws, socket);
    });
  }

  private attach(ws: WebSocket, socket: Socket): WsConnection {
    const addr = normaliseAddress(socket.remoteAddress);
    const tlsSocket = this.name === 'wss' ? (socket as TLSSocket) : undefined;
    const cert = tlsSocket?.authorized === true ? tlsSocket.getPeerCertificate() : undefined;
    let closeReason: DropReason = 'peer_closed';
    const conn: WsConnection = {
      id: this.table.newId(),
      ws,
      inbound: true,
      remote: { address: addr, port: socket.remotePort ?? 0, family: familyOf(addr) },
      peerCertificate: cert && Object.keys(cert).length > 0 ? cert : undefined,
      lastActivity: performance.now(),
      partialSince: undefined,
      write: (data) =>
        new Promise((resolve, reject) => {
          if (ws.readyState !== ws.OPEN) {
            reject(new Error('websocket closed'));
            return;
          }
          conn.lastActivity = performance.now();
          ws.send(data, { binary: !isUtf8(data) }, (err) => (err ? reject(err) : resolve()));
        }),
      destroy: (reason) => {
        closeReason = reason;
        ws.terminate();
      },
    };
    this.table.add(conn);
    sipConnectionsOpen.inc({ transport: this.name });
    const complete = (): void => {
      conn.partialSince = undefined;
    };
    ws.on('ping', complete);
    ws.on('pong', complete);
    ws.on('message', (raw, isBinary) => {
      complete();
      const data = toBuffer(raw);
      if (!isBinary && (data.toString('latin1') === '\r\n\r\n' || data.toString('latin1') === '\r\n')) {
        // SIP.js and others send RFC 5626 style CRLF keep-alives over WS too.
        sipMessagesReceived.inc({ transport: this.name, kind: 'keepalive' });
        if (data.length === 4) ws.send(CRLF);
        return;
      }
      this.emit('message', this.inbound(conn, data));
    });
    ws.on('error', (err: Error & { code?: string }) => {
      closeReason = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too_large' : 'socket_error';
      if (closeReason === 'too_large') sipMessagesDropped.inc({ transport: this.name, reason: 'too_large' });
    });
    ws.once('close', () => {
      this.table.remove(conn);
      sipConnectionsOpen.dec({ transport: this.name });
      sipConnectionsClosed.inc({ transport: this.name, reason: closeReason });
      this.emit('connectionClosed', { connectionId: conn.id, reason: closeReason });
    });
    return conn;
  }

  private inbound(conn: WsConnection, data: Buffer): InboundMessage {
    const base = { data, transport: this.name, remote: conn.remote, local: this.bound, connectionId: conn.id };
    return conn.peerCertificate === undefined ? base : { ...base, tlsPeerCertificate: conn.peerCertificate };
  }

  private sweep(): void {
    for (const { conn, reason } of this.table.expired(performance.now(), this.options.limits)) conn.destroy(reason);
  }
}

function toBuffer(raw: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
}
