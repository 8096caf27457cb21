/**
 * RTP/RTCP port allocation from the configured media port range (issue 6).
 *
 * RTP takes an even port and RTCP, when not muxed, the next odd one (RFC 3550 11; RFC 4566
 * 5.14 offers only the RTP port, RTCP implied at +1 unless a=rtcp/rtcp-mux says otherwise).
 * There is no "is this port free?" check that could race with another process: the allocator
 * binds the real sockets and a bind failing with EADDRINUSE moves on to the next candidate.
 * Inside the process an allocation set is updated synchronously before any await, so
 * concurrent allocate() calls never pick the same port. The search starts after the last port
 * handed out (round robin), so a just-released port is not reused at once and late packets of
 * an ended call do not land in a new one.
 */
import { GatehouseError } from '../../core/errors.ts';
import type { MediaSocket } from './media-socket.ts';
import { openMediaSocket } from './socket-engine.ts';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

export interface PortAllocatorOptions {
  readonly range: PortRange;
  /** Local address to bind (IPv4 or IPv6 literal, e.g. 0.0.0.0, ::, 127.0.0.1, ::1). */
  readonly address: string;
}

export interface MediaPorts {
  readonly rtp: MediaSocket;
  /** Null when RTCP is muxed on the RTP socket (RFC 5761). */
  readonly rtcp: MediaSocket | null;
  readonly rtpPort: number;
  /** rtpPort + 1, or rtpPort when muxed. */
  readonly rtcpPort: number;
  /** Closes the sockets and returns the ports to the pool; safe to call twice. */
  release(): Promise<void>;
}

/** EADDRINUSE: someone else holds it; EACCES: the OS reserves it (e.g. ip_local_reserved_ports). Both: try the next port. */
function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err.code === 'EADDRINUSE' || err.code === 'EACCES');
}

export class MediaPortAllocator {
  private readonly range: PortRange;
  private readonly address: string;
  private readonly taken = new Set<number>();
  private cursor: number;

  constructor(options: PortAllocatorOptions) {
    const { min, max } = options.range;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535 || min > max) {
      throw new GatehouseError('config', 'MEDIA_PORT_RANGE_INVALID', `media port range ${min}-${max} must be integers within 1024-65535, min <= max`);
    }
    this.range = options.range;
    this.address = options.address;
    this.cursor = min % 2 === 0 ? min : min + 1;
  }

  /** Ports currently held (RTP and RTCP both count). */
  get inUse(): number {
    return this.taken.size;
  }

  private describeRange(): string {
    return `${this.range.min}-${this.range.max} on ${this.address}`;
  }

  /** Binds an even RTP port (and RTP+1 for RTCP unless `rtcpMux`). */
  async allocate(options: { readonly rtcpMux: boolean }): Promise<MediaPorts> {
    const { min, max } = this.range;
    const first = min % 2 === 0 ? min : min + 1;
    const lastRtp = options.rtcpMux ? max : max - 1;
    const candidates = lastRtp >= first ? Math.floor((lastRtp - first) / 2) + 1 : 0;
    for (let tried = 0; tried < candidates; tried++) {
      let port = this.cursor;
      if (port > lastRtp || port < first) port = first;
      this.cursor = port + 2;
      if (this.taken.has(port) || (!options.rtcpMux && this.taken.has(port + 1))) continue;
      // reserve synchronously: concurrent allocate() calls skip these ports
      this.taken.add(port);
      if (!options.rtcpMux) this.taken.add(port + 1);
      const unreserve = (): void => {
        this.taken.delete(port);
        if (!options.rtcpMux) this.taken.delete(port + 1);
      };
      let rtp: MediaSocket;
      try {
        rtp = await openMediaSocket(this.address, port);
      } catch (err) {
        unreserve();
        if (isAddressInUse(err)) continue;
        throw new GatehouseError('internal', 'MEDIA_PORT_BIND_FAILED', `cannot bind RTP port ${port} on ${this.address}`, { cause: err });
      }
      let rtcp: MediaSocket | null = null;
      if (!options.rtcpMux) {
        try {
          rtcp = await openMediaSocket(this.address, port + 1);
        } catch (err) {
          await rtp.close();
          unreserve();
          if (isAddressInUse(err)) continue;
          throw new GatehouseError('internal', 'MEDIA_PORT_BIND_FAILED', `cannot bind RTCP port ${port + 1} on ${this.address}`, { cause: err });
        }
      }
      return this.handOut(rtp, rtcp, port, unreserve);
    }
    throw new GatehouseError(
      'capacity',
      'MEDIA_PORTS_EXHAUSTED',
      `no free ${options.rtcpMux ? 'RTP' : 'RTP/RTCP'} port ${options.rtcpMux ? '' : 'pair '}in media port range ${this.describeRange()}`,
      { sipStatus: 503, sipReason: 'media ports exhausted' },
    );
  }

  private handOut(rtp: MediaSocket, rtcp: MediaSocket | null, port: number, unreserve: () => void): MediaPorts {
    let released: Promise<void> | null = null;
    return {
      rtp,
      rtcp,
      rtpPort: port,
      rtcpPort: rtcp === null ? port : port + 1,
      release: () => {
        released ??= Promise.all([rtp.close(), rtcp === null ? Promise.resolve() : rtcp.close()]).then(unreserve);
        return released;
      },
    };
  }
}
