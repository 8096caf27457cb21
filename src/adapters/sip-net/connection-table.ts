/**
 * Book-keeping for stream connections (TCP, TLS, WS, WSS) of one listener: ids, reuse by
 * remote address (RFC 3261 section 18: a response goes back on the connection its request
 * came on; requests to an address reuse an open connection to it), per-source-IP counts,
 * and the idle / incomplete-message sweep that closes slow or silent peers.
 */
import type { DropReason, SipAddress, TransportName } from './types.ts';
import { remoteKey } from './types.ts';

export interface TrackedConnection {
  readonly id: string;
  readonly remote: SipAddress;
  readonly inbound: boolean;
  /** Monotonic ms of the last byte in or out. */
  lastActivity: number;
  /** Monotonic ms of the first byte of the message being received, if one is unfinished. */
  partialSince: number | undefined;
  write(data: Buffer): Promise<void>;
  destroy(reason: DropReason): void;
}

export interface SweepLimits {
  readonly idleTimeoutMs: number;
  readonly incompleteMessageTimeoutMs: number;
}

export class ConnectionTable<C extends TrackedConnection> {
  private readonly byId = new Map<string, C>();
  private readonly byRemote = new Map<string, C>();
  private readonly perIp = new Map<string, number>();
  private nextId = 1;
  private readonly prefix: TransportName;

  constructor(prefix: TransportName) {
    this.prefix = prefix;
  }

  newId(): string {
    return `${this.prefix}-${this.nextId++}`;
  }

  get size(): number {
    return this.byId.size;
  }

  countForIp(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** Counts an accepted socket against its source IP; returns the release function. */
  reserveIp(ip: string): () => void {
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    };
  }

  add(conn: C): void {
    this.byId.set(conn.id, conn);
    this.byRemote.set(remoteKey(conn.remote.address, conn.remote.port), conn);
  }

  remove(conn: C): void {
    this.byId.delete(conn.id);
    const key = remoteKey(conn.remote.address, conn.remote.port);
    if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
  }

  get(id: string): C | undefined {
    return this.byId.get(id);
  }

  findByRemote(address: string, port: number): C | undefined {
    return this.byRemote.get(remoteKey(address, port));
  }

  all(): C[] {
    return [...this.byId.values()];
  }

  /** Connections past a limit at `now`, with the reason; the caller destroys them. */
  expired(now: number, limits: SweepLimits): Array<{ conn: C; reason: DropReason }> {
    const out: Array<{ conn: C; reason: DropReason }> = [];
    for (const conn of this.byId.values()) {
      if (conn.partialSince !== undefined && now - conn.partialSince >= limits.incompleteMessageTimeoutMs) {
        out.push({ conn, reason: 'incomplete_timeout' });
      } else if (now - conn.lastActivity >= limits.idleTimeoutMs) {
        out.push({ conn, reason: 'idle_timeout' });
      }
    }
    return out;
  }
}

/** Interval between sweeps: fine enough for the shortest limit, never busier than 20 Hz. */
export function sweepInterval(limits: SweepLimits): number {
  return Math.min(1000, Math.max(50, Math.floor(Math.min(limits.idleTimeoutMs, limits.incompleteMessageTimeoutMs) / 4)));
}
