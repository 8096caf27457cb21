/**
 * Preallocated buffers for the packet path.
 *
 * `SendPool`: a buffer handed to `socket.send()` must stay untouched until the send callback.
 * node:dgram resolves the address first (the default lookup answers an IP literal on the next
 * tick; the media sockets' lookup answers it at once, port-allocator.ts, so the datagram usually
 * reaches the kernel inside send()), and libuv queues the datagram, holding the buffer, when the
 * socket's send buffer is full or a hostname needs DNS. Slots come from a pool and go back in
 * their (preallocated) callback, which also reports send errors (dgram reports them nowhere
 * else when no callback is given, so dropping the callback would lose 'send-failed' counts).
 *
 * `ViewCache`: the cores take exact-length Uint8Array/Int16Array views (`packet.length`). One
 * cached subarray per length seen keeps the hot path free of per-packet view allocations.
 */

export class ViewCache {
  readonly buffer: Buffer;
  /** A Map, not an array: a leg sees a handful of lengths, and memory per call matters. */
  private readonly views = new Map<number, Buffer>();
  /** The last view handed out: a stream's packets mostly have one length, so the Map is rarely asked. */
  private lastView: Buffer;

  constructor(size: number) {
    this.buffer = Buffer.alloc(size);
    this.lastView = this.buffer;
  }

  /** The first `length` octets of the buffer, as a cached view. */
  view(length: number): Buffer {
    if (this.lastView.length === length) return this.lastView;
    let v = this.views.get(length);
    if (v === undefined) {
      v = this.buffer.subarray(0, length);
      this.views.set(length, v);
    }
    this.lastView = v;
    return v;
  }
}

export class Int16ViewCache {
  readonly array: Int16Array;
  private readonly views = new Map<number, Int16Array>();

  constructor(size: number) {
    this.array = new Int16Array(size);
  }

  view(length: number): Int16Array {
    let v = this.views.get(length);
    if (v === undefined) {
      v = this.array.subarray(0, length);
      this.views.set(length, v);
    }
    return v;
  }
}

export interface TxSlot {
  buffer: Buffer;
  /** Preallocated send callback: returns the slot to the pool, reports errors. */
  readonly done: (err: Error | null) => void;
  onError: ((err: Error) => void) | null;
}

/**
 * Send buffers shared by every leg of the process. A slot is taken for one send and comes back
 * when node:dgram calls the send callback, so the pool grows to the largest number of sends in
 * flight at once (bounded by what one event-loop turn sends), not to the number of legs: a
 * thousand idle calls hold no send buffers of their own.
 */
export class SendPool {
  private readonly free: TxSlot[] = [];
  private readonly slotSize: number;
  /** Slots ever created (diagnostics, tests). */
  created = 0;

  constructor(slotSize = 512) {
    this.slotSize = slotSize;
  }

  /** A slot whose buffer holds at least `size` octets. Call `slot.done` (as the send callback) to return it. */
  acquire(size: number, onError: (err: Error) => void): TxSlot {
    let slot = this.free.pop();
    if (slot === undefined) {
      const buffer = Buffer.allocUnsafeSlow(Math.max(size, this.slotSize));
      const s: TxSlot = {
        buffer,
        onError: null,
        done: (err) => {
          const report = s.onError;
          s.onError = null;
          this.free.push(s);
          if (err && report !== null) report(err);
        },
      };
      this.created++;
      slot = s;
    }
    if (slot.buffer.length < size) slot.buffer = Buffer.allocUnsafeSlow(size);
    slot.onError = onError;
    return slot;
  }

  /** Returns a slot that was acquired but not handed to send(). */
  release(slot: TxSlot): void {
    slot.onError = null;
    this.free.push(slot);
  }
}

/**
 * A fixed ring of send buffers owned by one leg (the earlier design, still used by legs outside
 * this directory): a slot is busy until its send callback; when all are busy, a fresh buffer.
 */
export class TxRing {
  private readonly slots: { buffer: Buffer; busy: boolean; readonly done: (err: Error | null) => void }[] = [];
  private next = 0;
  private readonly onError: (err: Error) => void;
  /** Sends that found every slot busy and allocated. */
  fallbacks = 0;

  constructor(count: number, size: number, onError: (err: Error) => void) {
    this.onError = onError;
    for (let i = 0; i < count; i++) {
      const slot = {
        buffer: Buffer.allocUnsafeSlow(size),
        busy: false,
        done: (err: Error | null): void => {
          slot.busy = false;
          if (err) onError(err);
        },
      };
      this.slots.push(slot);
    }
  }

  /** A free slot holding at least `size` octets; set `busy` before handing it to send(). */
  acquire(size: number): { buffer: Buffer; busy: boolean; readonly done: (err: Error | null) => void } {
    const n = this.slots.length;
    for (let i = 0; i < n; i++) {
      const slot = this.slots[(this.next + i) % n];
      if (slot !== undefined && !slot.busy) {
        this.next = (this.next + i + 1) % n;
        if (slot.buffer.length < size) slot.buffer = Buffer.allocUnsafeSlow(Math.max(size, 2 * slot.buffer.length));
        return slot;
      }
    }
    this.fallbacks++;
    const onError = this.onError;
    return { buffer: Buffer.allocUnsafe(size), busy: false, done: (err) => (err ? onError(err) : undefined) };
  }
}

/** The process-wide pool the media legs send from. */
export const sendPool = new SendPool();

/**
 * The process-wide receive buffer: a leg decrypts each datagram into it and the room is done
 * with the packet (forwarded, transcoded or copied into a mix queue) before the socket handler
 * returns, and handlers never nest, so one buffer serves every leg.
 */
export const sharedReceiveBuffer = new ViewCache(2048);
