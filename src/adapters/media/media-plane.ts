/**
 * The media plane behind the call layer's MediaPlane port (src/app/call-service.ts): SDES and
 * DTLS-SRTP SIP legs on sockets from the configured port range, browser guests as werift
 * ICE-lite peers on their own range, and one MediaRoom per active room, created on the first
 * join and closed when the last leg leaves.
 */
import type { InboundIndex, DtlsLegSecrets, DtlsResumePlan, LegRequest, MediaLegHandle, MediaPlane, OpenedLeg, ReservedDtlsMedia, ReservedSdesMedia, StoredDtlsIdentity } from '../../ports/media-plane.ts';
import type { DtlsLegPlan } from '../../app/dtls-leg-plan.ts';
import type { SdesLegPlan } from '../../app/sdes-leg-plan.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import type { Logger } from '../../ports/logger.ts';
import { createDtlsUdpLeg, createWebRtcGuestLeg, DEFAULT_GUEST_AUDIO, DtlsUdpLeg, gatewayDtlsIdentity } from '../webrtc/index.ts';
import { identityFromStored, storedOf } from '../webrtc/stored-dtls-identity.ts';
import type { GuestAudioCodec } from '../webrtc/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { SdesMediaLeg } from './media-leg.ts';
import { MediaRoom } from './media-room.ts';
import { SdesVideo } from './sdes-video.ts';
import { checkRekey } from './sdes-keys.ts';
import type { VideoLegPlan } from '../../app/video-plan.ts';
import type { MediaEvent, RoomLeg } from './media-types.ts';
import type { MediaPortAllocator, MediaPorts, PortRange } from './port-allocator.ts';

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
 * Guests in rooms: Opus first (RFC 7587), then PCMU and PCMA as fallbacks, then
 * telephone-event at 48 and 8 kHz. The answer lists codecs in this order and the browser sends
 * the first one (RFC 3264 6.1), so a browser guest is on Opus: the room decodes and encodes it
 * (opus-codec.ts) to mix it or to transcode it for a G.711/G.722 SIP leg, and forwards it
 * untouched between two Opus guests. werift's answer echoes the browser's own fmtp
 * (minptime=10;useinbandfec=1) and carries no a=ptime; browsers packetise Opus in 20 ms by
 * default, and the gateway sends 20 ms Opus packets from the mix. In-band FEC the browser adds
 * is ignored (the decoder cannot use it: opus-codec.ts) and costs only bitrate.
 */
export const ROOM_GUEST_AUDIO: readonly GuestAudioCodec[] = [
  ...DEFAULT_GUEST_AUDIO.filter((c) => c.name === 'opus'),
  ...DEFAULT_GUEST_AUDIO.filter((c) => c.name === 'PCMU' || c.name === 'PCMA'),
  ...DEFAULT_GUEST_AUDIO.filter((c) => c.name !== 'opus' && c.name !== 'PCMU' && c.name !== 'PCMA'),
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
        ...(request.video === undefined ? {} : { video: request.video }),
        mediaTimeoutMs: this.#o.mediaTimeoutMs,
        logger: this.#o.logger,
      });
      const keyed = guest.negotiated();
      keyed.catch(() => undefined); // observed by the call layer; never an unhandled rejection
      return { localPort: null, answerSdp: guest.answerSdp, leg: this.#handle(guest.leg), keyed, videoDeclined: guest.videoDeclined };
    }
    const ports = await this.#o.allocator.allocate({ rtcpMux: plan.rtcpMux });
    try {
      if (request.kind === 'sdes') {
        const leg = new SdesMediaLeg({ ...common, ports, suite: request.plan.suite, localKey: request.plan.localKey, remoteKey: request.plan.remoteKey });
        if (request.video === undefined) return { localPort: ports.rtpPort, answerSdp: null, leg: this.#handle(leg), keyed: null };
        try {
          leg.video = await this.#sdesVideo(leg, request.video);
        } catch (err) {
          await leg.close(); // releases the audio ports too
          throw err;
        }
        return { localPort: ports.rtpPort, videoPort: (leg.video as SdesVideo).localRtpPort, answerSdp: null, leg: this.#handle(leg), keyed: null };
      }
      const leg = await createDtlsUdpLeg({ ...common, ports, role: request.plan.role, profiles: request.plan.profiles, remoteFingerprints: request.plan.remoteFingerprints });
      const keyed = leg.negotiated();
      keyed.catch(() => undefined);
      return { localPort: ports.rtpPort, answerSdp: null, leg: this.#handle(leg), keyed };
    } catch (err) {
      await ports.release();
      throw err;
    }
  }

  /**
   * The second SRTP stream of an SDES leg with video: own ports, own keys (sdes-video.ts).
   * `reserved`: ports bound before (takeover); the stream owns them from here on.
   */
  async #sdesVideo(owner: SdesMediaLeg, v: VideoLegPlan, reserved?: MediaPorts): Promise<SdesVideo> {
    const plan = v.sdes;
    if (plan === null) throw new GatehouseError('internal', 'MEDIA_VIDEO_NO_SDES', 'SDES leg video without its SDES plan');
    const ports = reserved ?? (await this.#o.allocator.allocate({ rtcpMux: plan.rtcpMux }));
    try {
      return this.#videoOn(owner, v, plan, ports);
    } catch (err) {
      await ports.release();
      throw err;
    }
  }

  #videoOn(owner: SdesMediaLeg, v: VideoLegPlan, plan: SdesLegPlan, ports: MediaPorts): SdesVideo {
    const formats = v.formats.map((f) => ({ pt: f.pt, name: f.name, clockRate: f.clockRate }));
    const leg = new SdesMediaLeg({
      id: `${owner.id}:video`, ports, formats, remote: plan.remote, direction: plan.peerDirection, logger: this.#o.logger,
      suite: plan.suite, localKey: plan.localKey, remoteKey: plan.remoteKey, stream: 'video',
    });
    return new SdesVideo(owner, leg, v.formats, v.feedback);
  }

  /** A handle for the call layer; SIP INFO picture_fast_update reaches the leg's room through it. */
  #handle(leg: RoomLeg): Handle {
    return handle(leg, () => {
      if (!leg.video) return false;
      for (const room of this.#rooms.values()) if (room.videoKeyFrameRequest(leg)) return true;
      return false;
    });
  }

  /**
   * Takeover (src/app/takeover-reinvite.ts): the new owner needs its port in the re-INVITE
   * offer before it knows the peer's answer, so binding and starting are two steps.
   */
  async reserveSdes(rtcpMux: boolean, video?: { readonly rtcpMux: boolean }): Promise<ReservedSdesMedia> {
    const ports = await this.#o.allocator.allocate({ rtcpMux });
    let videoPorts: MediaPorts | null = null;
    try {
      if (video !== undefined) videoPorts = await this.#o.allocator.allocate({ rtcpMux: video.rtcpMux });
    } catch (err) {
      await ports.release();
      throw err;
    }
    let started = false;
    return {
      rtpPort: ports.rtpPort,
      rtcpPort: ports.rtcp === null ? null : ports.rtcpPort,
      ...(videoPorts === null ? {} : { video: { rtpPort: videoPorts.rtpPort, rtcpPort: videoPorts.rtcp === null ? null : videoPorts.rtcpPort } }),
      start: (id: string, plan: SdesLegPlan, v?: VideoLegPlan): MediaLegHandle => {
        if (started) throw new Error('reserved media ports already started');
        started = true;
        const leg = new SdesMediaLeg({
          id, ports, formats: plan.formats, remote: plan.remote, direction: plan.peerDirection, mediaTimeoutMs: this.#o.mediaTimeoutMs, logger: this.#o.logger,
          suite: plan.suite, localKey: plan.localKey, remoteKey: plan.remoteKey,
        });
        if (videoPorts === null) return handle(leg);
        if (v === undefined || v.sdes === null) {
          void videoPorts.release(); // the peer refused the video m-line: audio only
          return handle(leg);
        }
        try {
          leg.video = this.#videoOn(leg, v, v.sdes, videoPorts);
        } catch (err) {
          void leg.close();
          void videoPorts.release();
          throw err;
        }
        // the peer's encoder runs on from before the takeover: ask it for a key frame now (sent
        // once its SSRC is known, sdes-video.ts), so receivers here can decode at once
        leg.video.requestKeyFrame();
        return this.#handle(leg);
      },
      release: async () => {
        if (started) return; // a started leg releases its sockets on close
        await ports.release();
        await videoPorts?.release();
      },
    };
  }

  /** Takeover of a DTLS-SRTP SIP leg (src/app/takeover-dtls.ts): bind first, start after the answer. */
  async reserveDtls(rtcpMux: boolean, stored?: StoredDtlsIdentity): Promise<ReservedDtlsMedia> {
    const identity = stored === undefined ? await gatewayDtlsIdentity() : identityFromStored(stored);
    const ports = await this.#o.allocator.allocate({ rtcpMux });
    let started = false;
    const once = (): void => {
      if (started) throw new Error('reserved media ports already started');
      started = true;
    };
    const common = (id: string, plan: DtlsLegPlan | DtlsResumePlan) => ({
      id, ports, identity, formats: plan.formats, remote: plan.remote, direction: plan.peerDirection, mediaTimeoutMs: this.#o.mediaTimeoutMs, logger: this.#o.logger,
    });
    return {
      rtpPort: ports.rtpPort,
      rtcpPort: ports.rtcp === null ? null : ports.rtcpPort,
      fingerprint: identity.fingerprint,
      handshake: (id, plan) => {
        once();
        const leg = new DtlsUdpLeg({ ...common(id, plan), role: plan.role, profiles: plan.profiles, remoteFingerprints: plan.remoteFingerprints });
        const keyed = leg.negotiated();
        keyed.catch(() => undefined);
        return { leg: handle(leg), keyed };
      },
      resume: (id, plan) => {
        once();
        const resume = { suite: plan.suite, local: plan.localKey, remote: plan.remoteKey };
        return handle(new DtlsUdpLeg({ ...common(id, plan), role: plan.role, profiles: plan.profiles, remoteFingerprints: plan.remoteFingerprints, resume }));
      },
      release: async () => {
        if (!started) await ports.release();
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

  /** The leg whose video `h` currently receives in room `roomId` (tests, admin), or null. */
  videoSourceOf(roomId: string, h: MediaLegHandle): RoomLeg | null {
    return this.#rooms.get(roomId)?.videoSourceOf((h as Handle).leg) ?? null;
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

function handle(leg: RoomLeg, videoKeyFrameRequest?: () => boolean): Handle {
  const dtlsSecrets = leg instanceof DtlsUdpLeg ? { dtlsSecrets: () => secretsOf(leg) } : {};
  // SRTP receive state that survives a takeover (CallLeg.inbound); guests get new keys anyway
  // (an SDES leg's video stream has its own context and SSRC: both go in one list)
  const video = (): SdesVideo | null => (leg.video instanceof SdesVideo ? leg.video : null);
  const srtpState =
    leg instanceof DtlsUdpLeg || leg instanceof SdesMediaLeg
      ? {
          inboundIndexes: (): InboundIndex[] => [...leg.inboundIndexes(), ...(video()?.inboundIndexes() ?? []).map((v) => ({ ...v, stream: 'video' as const }))],
          primeInbound: (s: readonly InboundIndex[], which = { audio: true, video: true }) => {
            if (which.audio) leg.primeInbound(s.filter((x) => x.stream === undefined));
            if (which.video) video()?.primeInbound(s.filter((x) => x.stream === 'video'));
          },
        }
      : {};
  return {
    ...dtlsSecrets,
    ...srtpState,
    ...(videoKeyFrameRequest === undefined ? {} : { videoKeyFrameRequest }),
    id: leg.id,
    leg,
    updateDirection: (d) => {
      const now = performance.now();
      leg.updateDirection(d, now);
      leg.video?.updateDirection?.(d, now); // hold/resume holds the video stream too
    },
    rekey: (u) => {
      // re-keying re-INVITEs exist for SDES only (DTLS legs re-key by a new handshake)
      if (!(leg instanceof SdesMediaLeg)) throw new GatehouseError('internal', 'MEDIA_REKEY_NOT_SDES', `leg ${leg.id} is not keyed by SDES`);
      if (u.video === undefined) {
        leg.rekey(u);
        return;
      }
      // the video m-line's own a=crypto/address (src/app/reinvite-video.ts): both streams are
      // checked first, then switched in one synchronous step (no packet is handled between)
      const { video: vu, ...audio } = u;
      const v = video();
      if (vu !== 'stop' && v === null) throw new GatehouseError('internal', 'MEDIA_REKEY_NO_VIDEO', `leg ${leg.id} has no SDES video stream to re-key`);
      if (vu !== 'stop' && v !== null) checkRekey(v.srtpSuite, vu);
      const audioChanges = Object.keys(audio).length > 0;
      if (audioChanges) checkRekey(leg.srtpSuite, audio);
      if (vu === 'stop') {
        // RFC 3264 8.2: the peer disabled the video m-line: the stream and its ports go, and
        // the room's video router drops its membership now (SdesMediaLeg.dropVideo)
        void leg.dropVideo()?.close();
      } else if (v !== null) v.rekey(vu);
      if (audioChanges) leg.rekey(audio);
    },
  };
}

/** The association's keys and our certificate once the leg is keyed (null if it never is). */
async function secretsOf(leg: DtlsUdpLeg): Promise<DtlsLegSecrets | null> {
  const n = await leg.negotiated().catch(() => null);
  const k = leg.srtpKeys();
  if (n === null || k === null) return null;
  return { suite: k.suite, role: n.role, local: k.local, remote: k.remote, identity: storedOf(leg.identity), localFingerprint: leg.localFingerprint };
}
