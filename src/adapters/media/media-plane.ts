/**
 * The media plane behind the call layer's MediaPlane port (src/app/call-service.ts): SDES and
 * DTLS-SRTP SIP legs on sockets from the configured port range, browser guests as werift
 * ICE-lite peers on their own range, and one MediaRoom per active room, created on the first
 * join and closed when the last leg leaves.
 */
import type { LegRequest, MediaLegHandle, MediaPlane, OpenedLeg, ReservedSdesMedia } from '../../ports/media-plane.ts';
import type { SdesLegPlan } from '../../app/sdes-leg-plan.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import type { Logger } from '../../ports/logger.ts';
import { createDtlsUdpLeg, createWebRtcGuestLeg, DEFAULT_GUEST_AUDIO, gatewayDtlsIdentity } from '../webrtc/index.ts';
import type { GuestAudioCodec } from '../webrtc/index.ts';
import { SdesMediaLeg } from './media-leg.ts';
import { MediaRoom } from './media-room.ts';
import type { MediaEvent, RoomLeg } from './media-types.ts';
import type { MediaPortAllocator, PortRange } from './port-allocator.ts';

export interface MediaPlaneOptions {
  readonly allocator: MediaPortAllocator;
  /** Address browser guests reach us at (our only ICE candidate). */
  readonly guestAddress: string;
  /** Ports werift binds for guests (apart from the allocator's range: werift binds itself). */
  readonly guestPorts: PortRange;
  readonly mediaTimeoutMs: number;
  readonly logger: Logger;
  readonly onEvent: (event: MediaEvent) => void;
}

/**
 * Guests in rooms: G.711 first. The answer lists codecs in this order and the browser sends
 * the first one (RFC 3264 6.1), and this build has no Opus decoder: an Opus guest could not
 * be relayed to a G.711 SIP leg nor mixed (relay-path.ts, mix-path.ts: 488 on join). Opus stays
 * last for a browser that offers nothing else (then it only pairs with another Opus guest).
 */
export const ROOM_GUEST_AUDIO: readonly GuestAudioCodec[] = [
  ...DEFAULT_GUEST_AUDIO.filter((c) => c.name === 'PCMU' || c.name === 'PCMA'),
  ...DEFAULT_GUEST_AUDIO.filter((c) => c.name !== 'PCMU' && c.name !== 'PCMA'),
];

interface Handle extends MediaLegHandle {
  readonly leg: RoomLeg;
}

export class RoomMediaPlane implements MediaPlane {
  readonly #o: MediaPlaneOptions;
  readonly #rooms = new Map<string, MediaRoom>();

  constructor(o: MediaPlaneOptions) {
    this.#o = o;
  }

  async localFingerprint(): Promise<Fingerprint> {
    return (await gatewayDtlsIdentity()).fingerprint;
  }

  async openLeg(id: string, request: LegRequest): Promise<OpenedLeg> {
    const { plan } = request;
    const common = { id, formats: plan.formats, remote: plan.remote, direction: plan.peerDirection, mediaTimeoutMs: this.#o.mediaTimeoutMs, logger: this.#o.logger };
    if (request.kind === 'webrtc') {
      const guest = await createWebRtcGuestLeg({
        id,
        offerSdp: request.offerSdp,
        mediaAddress: this.#o.guestAddress,
        portRange: this.#o.guestPorts,
        dtlsProfiles: request.plan.profiles,
        audioCodecs: ROOM_GUEST_AUDIO,
        mediaTimeoutMs: this.#o.mediaTimeoutMs,
        logger: this.#o.logger,
      });
      const keyed = guest.negotiated();
      keyed.catch(() => undefined); // observed by the call layer; never an unhandled rejection
      return { localPort: null, answerSdp: guest.answerSdp, leg: handle(guest.leg), keyed };
    }
    const ports = await this.#o.allocator.allocate({ rtcpMux: plan.rtcpMux });
    try {
      if (request.kind === 'sdes') {
        const leg = new SdesMediaLeg({ ...common, ports, suite: request.plan.suite, localKey: request.plan.localKey, remoteKey: request.plan.remoteKey });
        return { localPort: ports.rtpPort, answerSdp: null, leg: handle(leg), keyed: null };
      }
      const leg = await createDtlsUdpLeg({ ...common, ports, role: request.plan.role, profiles: request.plan.profiles, remoteFingerprints: request.plan.remoteFingerprints });
      const keyed = leg.negotiated();
      keyed.catch(() => undefined);
      return { localPort: ports.rtpPort, answerSdp: null, leg: handle(leg), keyed };
    } catch (err) {
      await ports.release();
      throw err;
    }
  }

  /**
   * Takeover (src/app/takeover-reinvite.ts): the new owner needs its port in the re-INVITE
   * offer before it knows the peer's answer, so binding and starting are two steps.
   */
  async reserveSdes(rtcpMux: boolean): Promise<ReservedSdesMedia> {
    const ports = await this.#o.allocator.allocate({ rtcpMux });
    let started = false;
    return {
      rtpPort: ports.rtpPort,
      rtcpPort: ports.rtcp === null ? null : ports.rtcpPort,
      start: (id: string, plan: SdesLegPlan): MediaLegHandle => {
        if (started) throw new Error('reserved media ports already started');
        started = true;
        const leg = new SdesMediaLeg({
          id, ports, formats: plan.formats, remote: plan.remote, direction: plan.peerDirection, mediaTimeoutMs: this.#o.mediaTimeoutMs, logger: this.#o.logger,
          suite: plan.suite, localKey: plan.localKey, remoteKey: plan.remoteKey,
        });
        return handle(leg);
      },
      release: async () => {
        if (!started) await ports.release(); // a started leg releases its sockets on close
      },
    };
  }

  join(roomId: string, h: MediaLegHandle): void {
    let room = this.#rooms.get(roomId);
    if (room === undefined) {
      room = new MediaRoom({ id: roomId, onEvent: this.#o.onEvent });
      this.#rooms.set(roomId, room);
    }
    room.addLeg((h as Handle).leg);
  }

  async leave(roomId: string, h: MediaLegHandle): Promise<void> {
    const leg = (h as Handle).leg;
    const room = this.#rooms.get(roomId);
    if (room) {
      room.removeLeg(leg);
      if (room.size === 0) {
        room.close();
        this.#rooms.delete(roomId);
      }
    }
    await leg.close();
  }
}

function handle(leg: RoomLeg): Handle {
  return { id: leg.id, leg, updateDirection: (d) => leg.updateDirection(d, performance.now()) };
}
