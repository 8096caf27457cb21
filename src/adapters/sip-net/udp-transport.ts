/**
 * SIP over UDP (RFC 3261 section 18). One datagram is one message (18.1.1 / 18.3: the
 * datagram length bounds the message; Content-Length is checked by the core). Unreliable:
 * transactions retransmit (section 17). Responses go to the Via `received`/`rport` address,
 * which the engine computes and passes as `remote` (RFC 3581).
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { sipMessagesDropped, sipMessagesSent } from '../../metrics/sip.ts';
import type { SipNetLimits } from './limits.ts';
import type { SendTarget, SipAddress, SipTransport, TransportEvents } from './types.ts';
import { familyOf, normaliseAddress } from './types.ts';

export interface UdpTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly limits: SipNetLimits;
}

export class UdpTransport extends EventEmitter<TransportEvents> implements SipTransport {
  readonly name = 'udp' as const;
  readonly reliable = false;
  private readonly options: UdpTransportOptions;
  private readonly socket: Socket;
  private bound: SipAddress;

  constructor(options: UdpTransportOptions) {
    super();
    this.options = options;
    const family = familyOf(options.host);
    this.bound = { address: options.host, port: options.port, family };
    this.socket = createSocket({ type: family === 'IPv6' ? 'udp6' : 'udp4', ipv6Only: family === 'IPv6' });
    this.socket.on('message', (data, rinfo) => this.onMessage(data, rinfo.address, rinfo.port));
    // A UDP socket error (e.g. ICMP unreachable on some platforms) must not kill the process.
    this.socket.on('error', () => sipMessagesDropped.inc({ transport: 'udp', reason: 'socket_error' }));
  }

  get local(): SipAddress {
    return this.bound;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.socket.once('error', onError);
      this.socket.bind(this.options.port, this.options.host, () => {
        this.socket.off('error', onError);
        try {
          this.socket.setRecvBufferSize(this.options.limits.udpBufferBytes);
          this.socket.setSendBufferSize(this.options.limits.udpBufferBytes);
        } catch {
          // keep the OS default when the size is refused
        }
        const a = this.socket.address();
        this.bound = { address: a.address, port: a.port, family: familyOf(a.address) };
        resolve();
      });
    });
  }

  send(data: Buffer, target: SendTarget): Promise<void> {
    const remote = target.remote;
    if (remote === undefined) return Promise.reject(new Error('UDP send needs a remote address'));
    return new Promise((resolve, reject) => {
      this.socket.send(data, remote.port, remote.address, (err) => {
        if (err) {
          sipMessagesDropped.inc({ transport: 'udp', reason: 'socket_error' });
          reject(err);
          return;
        }
        sipMessagesSent.inc({ transport: 'udp' });
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }

  private onMessage(data: Buffer, address: string, port: number): void {
    const remote: SipAddress = { address: normaliseAddress(address), port, family: familyOf(normaliseAddress(address)) };
    if (data.length > this.options.limits.maxMessageSize) {
      sipMessagesDropped.inc({ transport: 'udp', reason: 'too_large' });
      this.emit('frameError', { reason: 'too_large', head: data.subarray(0, 4096), source: { transport: 'udp', remote, local: this.bound } });
      return;
    }
    // Keep-alives (RFC 5626 section 4.4.2 uses STUN on UDP; CRLFs are also seen in the wild).
    if (isAllCrlf(data)) return;
    this.emit('message', { data, transport: 'udp', remote, local: this.bound });
  }
}

function isAllCrlf(data: Buffer): boolean {
  for (const b of data) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}
