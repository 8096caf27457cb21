/**
 * The socket handlers of a leg on plain UDP sockets from the MediaPortAllocator: SDES legs
 * (media-leg.ts) and DTLS-SRTP legs without ICE (webrtc/dtls-udp-leg.ts). Datagrams go to the
 * leg's `receive` with the socket they came in on: without rtcp-mux (RFC 5761) the RTCP port
 * carries only RTCP, and a DTLS leg runs a separate association there (RFC 5764 s4.2).
 * Socket errors are logged, never thrown.
 */
import type { RemoteInfo } from 'node:dgram';
import type { Logger } from '../../ports/logger.ts';
import type { MediaPorts } from './port-allocator.ts';

export type LegReceive = (msg: Buffer, rinfo: RemoteInfo, rtcpSocket: boolean) => void;

export class LegSockets {
  private readonly ports: MediaPorts;
  private readonly onRtpMessage: (msg: Buffer, rinfo: RemoteInfo) => void;
  private readonly onRtcpMessage: (msg: Buffer, rinfo: RemoteInfo) => void;

  constructor(ports: MediaPorts, log: Logger, receive: LegReceive) {
    this.ports = ports;
    this.onRtpMessage = (msg, rinfo) => receive(msg, rinfo, false);
    this.onRtcpMessage = (msg, rinfo) => receive(msg, rinfo, true);
    const onSocketError = (err: Error): void => {
      log.warn({ err: err.message }, 'media socket error');
    };
    ports.rtp.on('message', this.onRtpMessage);
    ports.rtp.on('error', onSocketError);
    ports.rtcp?.on('message', this.onRtcpMessage);
    ports.rtcp?.on('error', onSocketError);
  }

  /** Stops delivering datagrams (the leg is closing); the error handlers stay until the ports are released. */
  detach(): void {
    this.ports.rtp.off('message', this.onRtpMessage);
    this.ports.rtcp?.off('message', this.onRtcpMessage);
  }
}
