/**
 * Builds a gateway SDES leg and the test peer on its far side, with matching keys and
 * addresses, as the call layer would from an SDP offer/answer.
 */
import { randomInt } from 'node:crypto';
import { MediaPortAllocator } from '../../src/adapters/media/port-allocator.ts';
import { SdesMediaLeg } from '../../src/adapters/media/media-leg.ts';
import type { LatchingOptions, MediaDirection, PayloadFormat } from '../../src/adapters/media/media-types.ts';
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../../src/core/srtp/index.ts';
import { RtpPeer, randomKey } from './rtp-peer.ts';
import type { PeerCodec } from './rtp-peer.ts';

export interface LegSpec {
  readonly id: string;
  readonly suite: SrtpSuiteName;
  readonly codec: PeerCodec;
  readonly pt: number;
  /** Negotiated formats of the leg; default [codec at pt, telephone-event/8000 at 101]. */
  readonly formats?: readonly PayloadFormat[];
  readonly latching?: LatchingOptions;
  readonly mediaTimeoutMs?: number;
  readonly rtcpIntervalMs?: number;
  readonly direction?: MediaDirection;
  /** Signal a different remote port than the peer's real one (latching tests). */
  readonly sdpPort?: number;
  /** Default true. Without it the leg has a separate RTCP socket; the peer's a=rtcp is its one socket. */
  readonly rtcpMux?: boolean;
}

export interface LegAndPeer {
  readonly leg: SdesMediaLeg;
  readonly peer: RtpPeer;
  /** The peer's key (leg's remoteKey) and the gateway's key toward the peer (leg's localKey). */
  readonly peerKey: SrtpMasterKeyConfig;
  readonly gatewayKey: SrtpMasterKeyConfig;
}

/** An allocator over a random 2000-port slice of 20000-59999 on 127.0.0.1 (files run in parallel). */
export function testAllocator(): MediaPortAllocator {
  const min = 20000 + 2 * randomInt(0, 19000);
  return new MediaPortAllocator({ range: { min, max: min + 1999 }, address: '127.0.0.1' });
}

export async function legWithPeer(allocator: MediaPortAllocator, spec: LegSpec): Promise<LegAndPeer> {
  const peerKey = randomKey(spec.suite);
  const gatewayKey = randomKey(spec.suite);
  const peer = await RtpPeer.open({ suite: spec.suite, sendKey: peerKey, recvKey: gatewayKey, codec: spec.codec, pt: spec.pt });
  const ports = await allocator.allocate({ rtcpMux: spec.rtcpMux ?? true });
  const formats = spec.formats ?? [
    { pt: spec.pt, name: spec.codec, clockRate: 8000 },
    { pt: 101, name: 'telephone-event', clockRate: 8000 },
  ];
  const remotePort = spec.sdpPort ?? peer.port;
  const leg = new SdesMediaLeg({
    id: spec.id,
    ports,
    suite: spec.suite,
    remoteKey: peerKey,
    localKey: gatewayKey,
    remote: { address: '127.0.0.1', rtpPort: remotePort, rtcpPort: remotePort },
    formats,
    sendPayloadType: spec.pt,
    ...(spec.latching ? { latching: spec.latching } : {}),
    ...(spec.mediaTimeoutMs !== undefined ? { mediaTimeoutMs: spec.mediaTimeoutMs } : {}),
    ...(spec.rtcpIntervalMs !== undefined ? { rtcpIntervalMs: spec.rtcpIntervalMs } : {}),
    ...(spec.direction ? { direction: spec.direction } : {}),
  });
  peer.target = { address: '127.0.0.1', port: ports.rtpPort };
  return { leg, peer, peerKey, gatewayKey };
}

export async function closeAll(items: readonly LegAndPeer[]): Promise<void> {
  await Promise.all(items.flatMap((x) => [x.leg.close(), x.peer.close()]));
}
