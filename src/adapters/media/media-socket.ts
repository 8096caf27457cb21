/**
 * The UDP socket a media leg sends and receives on, whichever engine moves the datagrams
 * (`media.socket_engine`): node:dgram (`DgramMediaSocket`, here) or the native batched engine
 * (native-udp.ts). Legs see only this interface.
 *
 * Contract both engines keep:
 * - a received datagram's bytes are valid only during the handler call (the native engine
 *   reuses its receive slots): a handler that keeps bytes copies them (the DTLS component does);
 * - `rinfo` is read during the call only (the native engine reuses one object per socket);
 * - `send` hands the buffer back by calling `done` (at once on the native engine, after the
 *   kernel took it on node:dgram); an error there means the datagram was not sent.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export type DatagramHandler = (msg: Buffer, rinfo: RemoteInfo) => void;

export interface MediaSocket {
  address(): AddressInfo;
  /** Where datagrams go (null: dropped unread). `oversize` is told of datagrams the engine could not deliver whole. */
  setReceiver(handler: DatagramHandler | null, oversize?: () => void): void;
  /** Socket-level errors (node:dgram only; the native engine has none to report outside send). */
  onError(handler: (err: Error) => void): void;
  send(bytes: Buffer, length: number, port: number, address: string, done: (err: Error | null) => void): void;
  /** Closes the socket; safe to call twice. */
  close(): Promise<void>;
}

export class DgramMediaSocket implements MediaSocket {
  readonly #socket: Socket;
  #handler: DatagramHandler | null = null;
  /**
   * The last exact-length view handed to node:dgram: a whole Buffer (no offset/length) spares it
   * a subarray per datagram, and a leg's packets mostly share a length and a pooled buffer.
   */
  #view: Buffer | null = null;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  address(): AddressInfo {
    return this.#socket.address();
  }

  setReceiver(handler: DatagramHandler | null): void {
    if (this.#handler !== null) this.#socket.off('message', this.#handler);
    this.#handler = handler;
    if (handler !== null) this.#socket.on('message', handler);
  }

  onError(handler: (err: Error) => void): void {
    this.#socket.on('error', handler);
  }

  send(bytes: Buffer, length: number, port: number, address: string, done: (err: Error | null) => void): void {
    let whole = bytes;
    if (bytes.length !== length) {
      const v = this.#view;
      whole = v !== null && v.length === length && v.buffer === bytes.buffer && v.byteOffset === bytes.byteOffset ? v : bytes.subarray(0, length);
      this.#view = whole;
    }
    this.#socket.send(whole, port, address, done);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
