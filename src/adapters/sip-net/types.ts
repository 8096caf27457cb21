/**
 * Transport-level types shared by the SIP transports (RFC 3261 section 18, RFC 7118).
 * A transport moves whole SIP messages as bytes; it knows nothing about SIP syntax beyond
 * the framing needed on stream transports.
 */
import type { EventEmitter } from 'node:events';
import type { PeerCertificate } from 'node:tls';

export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export const STREAM_TRANSPORTS: readonly TransportName[] = ['tcp', 'tls', 'ws', 'wss'];

export interface SipAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** One received SIP message (or unframeable garbage the engine may still answer with 400). */
export interface InboundMessage {
  readonly data: Buffer;
  readonly transport: TransportName;
  readonly remote: SipAddress;
  readonly local: SipAddress;
  /** Set for stream transports: responses go back on this connection (RFC 3261 18.2.2). */
  readonly connectionId?: string;
  /** The peer's certificate when a TLS/WSS client presented one (mTLS identity). */
  readonly tlsPeerCertificate?: PeerCertificate;
}

/**
 * Where to send. With `connectionId` the message goes over that connection; if it is gone and
 * `remote` is given, a stream transport reuses another connection to `remote` or opens one
 * (RFC 3261 18.2.2: "the server SHOULD open a connection to the IP address in the received
 * parameter").
 */
export interface SendTarget {
  readonly connectionId?: string;
  readonly remote?: { readonly address: string; readonly port: number };
  /** TLS SNI / certificate name to check when opening a TLS connection. */
  readonly serverName?: string;
}

/** Why a transport dropped bytes or closed a connection; used as a metrics label. */
export type DropReason =
  | 'too_large'
  | 'missing_content_length'
  | 'bad_content_length'
  | 'no_sip_subprotocol'
  | 'per_ip_connection_limit'
  | 'connection_limit'
  | 'idle_timeout'
  | 'incomplete_timeout'
  | 'peer_closed'
  | 'socket_error';

export interface TransportEvents {
  message: [InboundMessage];
  /** Bytes that could not be framed; the connection (if any) is closed right after. */
  frameError: [{ readonly reason: DropReason; readonly head: Buffer; readonly source: Omit<InboundMessage, 'data'> }];
  connectionClosed: [{ readonly connectionId: string; readonly reason: DropReason }];
}

export interface SipTransport extends EventEmitter<TransportEvents> {
  readonly name: TransportName;
  /** Stream transports are reliable: no retransmissions (RFC 3261 17.1.1.2). */
  readonly reliable: boolean;
  /** Bound address; valid after `listen()` resolves (port 0 becomes the real port). */
  readonly local: SipAddress;
  listen(): Promise<void>;
  send(data: Buffer, target: SendTarget): Promise<void>;
  close(): Promise<void>;
}

export function familyOf(address: string): 'IPv4' | 'IPv6' {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

/** Strips the IPv4-mapped prefix so that limits and Via `received` use the plain address. */
export function normaliseAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function remoteKey(address: string, port: number): string {
  return `${normaliseAddress(address)}|${port}`;
}
