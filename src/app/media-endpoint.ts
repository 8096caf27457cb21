/**
 * The peer's RTP side of an accepted audio m-line, whatever the keying: address (c=), RTP and
 * RTCP ports (a=rtcp RFC 3605, port + 1, or the RTP port with rtcp-mux RFC 5761), negotiated
 * payload formats and the peer's direction (RFC 3264 6.1). Pure.
 */
import { connection, direction, rtcp, type MediaAnswerPlan, type SessionDescription } from '../../sdp/index.ts';
import { GatehouseError } from '../core/errors.ts';

export interface MediaEndpoint {
  readonly mediaIndex: number;
  readonly remote: { readonly address: string; readonly rtpPort: number; readonly rtcpPort: number };
  readonly formats: ReadonlyArray<{ readonly pt: number; readonly name: string; readonly clockRate: number; readonly channels?: number }>;
  readonly rtcpMux: boolean;
  readonly peerDirection: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export function mediaEndpoint(offer: SessionDescription, plan: MediaAnswerPlan): MediaEndpoint {
  const section = offer.media[plan.index];
  if (section === undefined) throw new GatehouseError('internal', 'MEDIA_PLAN_NO_SECTION', `offer has no m-line ${plan.index}`);
  const c = connection(offer, section);
  if (c === undefined) throw new GatehouseError('protocol', 'SDP_NO_CONNECTION', `m-line ${plan.index} has no c= address`, { sipStatus: 400 });
  const rtpPort = section.mLine.port;
  const rtcpPort = plan.rtcpMux ? rtpPort : (rtcp(section)?.port ?? rtpPort + 1);
  return {
    mediaIndex: plan.index,
    remote: { address: c.address, rtpPort, rtcpPort },
    formats: plan.codecs.map((k) => ({ pt: k.payloadType, name: k.name, clockRate: k.clockRate, ...(k.channels > 1 ? { channels: k.channels } : {}) })),
    rtcpMux: plan.rtcpMux,
    peerDirection: direction(offer, section),
  };
}
