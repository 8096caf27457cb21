/**
 * The socket handlers of a leg on plain UDP sockets from the MediaPortAllocator: SDES legs
 * (media-leg.ts) and DTLS-SRTP legs without ICE (webrtc/dtls-udp-leg.ts). Datagrams go to the
 * leg's `receive` with the socket they came in on: without rtcp-mux (RFC 5761) the RTCP port
 * carries only RTCP, and a DTLS leg runs a separate association there (RFC 5764 s4.2).
 * Socket errors are logged, never thrown; datagrams too large for the socket engine are
 * counted as dropped ('oversize').
 */
import type { RemoteInfo } from 'node:dgram';
import type { MediaDropReason } from '../../metrics/media.ts';
import type { Logger } from '../../ports/logger.ts';
import type { MediaPorts } from './port-allocator.ts';

export type LegReceive = (msg: Buffer, rinfo: RemoteInfo, rtcpSocket: boolean) => void;

export class LegSockets {
  private readonly ports: MediaPorts;

  constructor(ports: MediaPorts, log: Logger, receive: LegReceive, drop: (reason: MediaDropReason) => void) {
    this.ports = ports;
    const onSocketError = (err: Error): void => {
      log.warn({ err: err.message }, 'media socket error');
    };
    const oversize = (): void => drop('oversize');
    ports.rtp.setReceiver((msg, rinfo) => receive(msg, rinfo, false), oversize);
    ports.rtp.onError(onSocketError);
    ports.rtcp?.setReceiver((msg, rinfo) => receive(msg, rinfo, true), oversize);
    ports.rtcp?.onError(onSocketError);
  }

  /** Stops delivering datagrams (the leg is closing); the error handlers stay until the ports are released. */
  detach(): void {
    this.ports.rtp.setReceiver(null);
    this.ports.rtcp?.setReceiver(null);
  }
}
