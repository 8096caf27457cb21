/**
 * The native media socket engine (native/media-udp*.c, built into dist/native/media-udp.node):
 * every media socket of the process in one epoll set, drained with recvmmsg(2) into one
 * preallocated buffer, JavaScript called once per batch; sendto(2) straight from the caller.
 * Why: node:dgram's per-datagram ArrayBuffer, rinfo object, MakeCallback and SendWrap cost
 * more than the relay's own work per packet (docs/srtp-performance.md).
 *
 * Received bytes are a view into the batch buffer, valid during the handler call only (the
 * MediaSocket contract, media-socket.ts). Datagrams larger than a slot (SLOT_SIZE) are never
 * delivered cut short: the socket's `oversize` hook counts them.
 */
import type { RemoteInfo } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { countDrop, mediaSocketSendsQueued } from '../../metrics/media.ts';
import type { DatagramHandler, MediaSocket } from './media-socket.ts';

export interface MediaUdpBinding {
  open(family: 4 | 6, address: string, port: number): number;
  close(id: number): boolean;
  localPort(id: number): number;
  /** 0 when the kernel took the datagram, else the errno. */
  send(id: number, bytes: Uint8Array, offset: number, length: number, port: number, address: string): number;
  start(rx: Uint8Array, slotSize: number, meta: Int32Array, onBatch: (count: number) => void): void;
  ntop(family: 4 | 6, a0: number, a1: number, a2: number, a3: number): string;
  /** [datagrams queued because the send buffer was full, queued ones the kernel then refused], since start. */
  stats(): [number, number];
}

/** Larger than any RTP/RTCP/DTLS datagram on a 1500-octet path MTU, with room for jumbo frames. */
export const SLOT_SIZE = 9216;
const SLOTS = 256;
/** [id, offset, length, port, family, a0, a1, a2, a3, 0] per datagram (media-udp-recv.c) */
const STRIDE = 10;

function errnoError(errno: number, what: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = `errno ${errno}`;
  }
  const e: NodeJS.ErrnoException = new Error(`${what} failed: ${code}`);
  e.code = code;
  e.errno = -errno;
  return e;
}

export class NativeMediaSocket implements MediaSocket {
  readonly id: number;
  readonly #engine: NativeUdpEngine;
  readonly #address: AddressInfo;
  readonly #family: 4 | 6;
  handler: DatagramHandler | null = null;
  oversize: (() => void) | null = null;
  /** The last source seen: a leg hears mostly one peer, so its text is made once. */
  srcFamily = 0;
  srcWords = [0, 0, 0, 0];
  readonly rinfo: RemoteInfo;
  #closed = false;
  /** The last destination known to be an IP literal: a leg sends to one address, checked once. */
  #literal = '';

  constructor(engine: NativeUdpEngine, id: number, family: 4 | 6, address: string) {
    this.#engine = engine;
    this.id = id;
    this.#family = family;
    this.#address = { address, family: family === 4 ? 'IPv4' : 'IPv6', port: engine.binding.localPort(id) };
    this.rinfo = { address: '', family: this.#address.family as 'IPv4' | 'IPv6', port: 0, size: 0 };
  }

  address(): AddressInfo {
    return { ...this.#address };
  }

  setReceiver(handler: DatagramHandler | null, oversize?: () => void): void {
    this.handler = handler;
    this.oversize = oversize ?? null;
  }

  onError(): void {
    // receive errors are consumed in media-udp-recv.c; send errors go to each send's `done`
  }

  send(bytes: Buffer, length: number, port: number, address: string, done: (err: Error | null) => void): void {
    if (address !== this.#literal && isIP(address) === 0) {
      // a name in c= (RFC 8866 5.7 allows an FQDN): resolve it, as node:dgram does
      lookup(address, { family: this.#family === 4 ? 4 : 0 }, (err, ip) => {
        if (err !== null) return done(err);
        try {
          this.send(bytes, length, port, ip, done);
        } catch (e) {
          done(e as Error);
        }
      });
      return;
    }
    this.#literal = address;
    const r = this.#engine.binding.send(this.id, bytes, 0, length, port, address);
    done(r === 0 ? null : errnoError(r, 'send'));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.handler = null;
      this.#engine.forget(this);
    }
    return Promise.resolve();
  }
}

/** One per thread: the batch buffers and the socket table. */
export class NativeUdpEngine {
  readonly binding: MediaUdpBinding;
  readonly #rx = Buffer.allocUnsafeSlow(SLOT_SIZE * SLOTS);
  readonly #meta = new Int32Array(STRIDE * SLOTS);
  readonly #sockets = new Map<number, NativeMediaSocket>();
  /**
   * Per slot, the last two views handed out (most recent first): a slot sees the lengths of
   * every leg, and two legs of a call often differ (GCM and HMAC-SHA1 tags), so one would thrash.
   */
  readonly #views: Buffer[] = [];
  readonly #views2: Buffer[] = [];

  constructor(binding: MediaUdpBinding) {
    this.binding = binding;
    for (let i = 0; i < SLOTS; i++) {
      this.#views.push(this.#rx.subarray(i * SLOT_SIZE, i * SLOT_SIZE));
      this.#views2.push(this.#rx.subarray(i * SLOT_SIZE, i * SLOT_SIZE));
    }
    binding.start(this.#rx, SLOT_SIZE, this.#meta, this.#onBatch);
    // sends queued on a full send buffer are finished in C, after their caller returned: their
    // counts reach the metrics from here, about once a second
    setInterval(() => this.publishStats(), 1000).unref();
  }

  #published: [number, number] = [0, 0];

  /** Moves the queued-send counts of media-udp-send.c into the metrics. */
  publishStats(): void {
    const [queued, failed] = this.binding.stats();
    const [q0, f0] = this.#published;
    if (queued > q0) mediaSocketSendsQueued.inc(queued - q0);
    for (let i = f0; i < failed; i++) countDrop('send-failed');
    this.#published = [queued, failed];
  }

  /** Binds a socket; throws node:dgram-style errors (code EADDRINUSE, EACCES, ...). */
  open(address: string, port: number): NativeMediaSocket {
    const family = isIP(address) === 6 ? 6 : 4;
    const id = this.binding.open(family, address, port);
    const s = new NativeMediaSocket(this, id, family, address);
    this.#sockets.set(id, s);
    return s;
  }

  forget(s: NativeMediaSocket): void {
    this.#sockets.delete(s.id);
    this.binding.close(s.id);
  }

  get openSockets(): number {
    return this.#sockets.size;
  }

  readonly #onBatch = (count: number): void => {
    const meta = this.#meta;
    let failure: unknown = null;
    for (let i = 0; i < count; i++) {
      const m = i * STRIDE;
      // a socket closed earlier in this batch is gone from the map: its datagrams are skipped
      const s = this.#sockets.get(meta[m] as number);
      if (s === undefined || s.handler === null) continue;
      const length = meta[m + 2] as number;
      if (length < 0) {
        s.oversize?.();
        continue;
      }
      const rinfo = s.rinfo;
      const family = meta[m + 4] as number;
      const w = s.srcWords;
      const a0 = meta[m + 5] as number;
      const a1 = meta[m + 6] as number;
      const a2 = meta[m + 7] as number;
      const a3 = meta[m + 8] as number;
      if (family !== s.srcFamily || a0 !== w[0] || a1 !== w[1] || a2 !== w[2] || a3 !== w[3]) {
        s.srcFamily = family;
        w[0] = a0;
        w[1] = a1;
        w[2] = a2;
        w[3] = a3;
        rinfo.address = this.binding.ntop(family === 6 ? 6 : 4, a0, a1, a2, a3);
        rinfo.family = family === 6 ? 'IPv6' : 'IPv4';
      }
      rinfo.port = meta[m + 3] as number;
      rinfo.size = length;
      let view = this.#views[i] as Buffer;
      if (view.length !== length) {
        const other = this.#views2[i] as Buffer;
        view = other.length === length ? other : this.#rx.subarray(meta[m + 1] as number, (meta[m + 1] as number) + length);
        this.#views2[i] = this.#views[i] as Buffer;
        this.#views[i] = view;
      }
      try {
        s.handler(view, rinfo);
      } catch (err) {
        failure ??= err; // the rest of the batch still gets delivered
      }
    }
    if (failure !== null) throw failure; // to 'uncaughtException', as from a node:dgram handler
  };
}
