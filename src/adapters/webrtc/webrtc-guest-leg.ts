/**
 * A browser guest's media as a RoomLeg: one werift RTCPeerConnection per guest (DESIGN.md
 * "Media"), ICE-lite (RFC 8445 s2.5) on the configured media address and port range, answering
 * a=setup:passive so the gateway is DTLS server and the policy's profile order wins (RFC 5764
 * s4.1.1), SRTP by the project's core through werift-srtp-hook.ts (0x0008 AEAD_AES_256_GCM
 * when the browser offers it; peer proof of possession checked there).
 *
 * Receive: werift decrypts (our core), parses and routes RTP to the audio transceiver's track;
 * each packet is rewritten into the leg's receive buffer as a plain RTP packet without header
 * extensions (the browser's mid/audio-level/abs-send-time ids mean nothing to other legs),
 * parsed into the leg's RtpHeaderView and handed to the room. Receiver reports to the browser
 * come from werift's RTCRtpReceiver.
 * Send: the room's packet goes through our RtpStreamRewriter (SSRC = the a=ssrc of our answer,
 * continuous seq/ts), is protected by the transport's core SRTP session and written to the ICE
 * connection. werift's RTCRtpSender is bypassed on purpose: it overwrites every packet's PT with
 * its one codec, which would break RFC 4733 telephone-event. Our sender reports (SR + SDES) are
 * built by LegRtcp in housekeeping().
 *
 * Video: with the `video` option (src/app/video-plan.ts kept the bundled video m-line) the
 * guest gets a sendrecv video transceiver on the same transport (webrtc-guest-video.ts) and the
 * leg's `video` is its RoomVideo. Without it, or when werift finds no common video codec, video
 * m-lines are answered with port 0 (werift answers port 0 for a kind with no local codec) and
 * the reason is in `videoDeclined` and gatehouse_webrtc_video_declined_total.
 *
 * Video slots (issue 6, separate tracks per participant without a renegotiation per join):
 * every further bundled video m-line the browser offered recvonly (the join page adds K of them
 * to its first offer) is answered sendonly with its own a=ssrc and an a=msid naming the slot
 * (`gatehouse-slot-N`: nothing secret), up to MAX_VIDEO_SLOTS; these become the video's slots
 * (webrtc-guest-video-slot.ts). Any other extra video m-line (sendrecv/sendonly, e.g. a second
 * camera, or past the cap) is answered inactive: the room forwards one video per participant.
 */
import { offerForWerift } from './werift-offer-quirks.ts';
import { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { guestVideoSlots } from './webrtc-guest-video-slots.ts';
import type { RTCDtlsTransport, RTCRtpTransceiver, RtpPacket } from 'werift';
import { GatehouseError } from '../../core/errors.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { srtpSuiteForDtlsProfile } from '../../core/srtp/index.ts';
import { countOut } from '../../metrics/media.ts';
import { countHandshake, dtlsSrtpProfiles, webrtcVideoDeclined } from '../../metrics/webrtc.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { isTelephoneEvent } from '../media/audio-codec.ts';
import { ViewCache } from '../media/buffers.ts';
import { peerReceives } from '../media/media-types.ts';
import type { PayloadFormat } from '../media/media-types.ts';
import { PERFORMANCE_CLOCK, RoomLegBase, SILENT_LOGGER } from '../media/room-leg-base.ts';
import type { VideoLegPlan } from '../../app/video-plan.ts';
import { GuestVideo } from './webrtc-guest-video.ts';
import type { PortRange } from '../media/port-allocator.ts';
import { CoreSrtcpSession, CoreSrtpSession } from './core-srtp-session.ts';
import { answerAsDtlsServer } from './dtls-server-role.ts';
import { declineVideo, guestPeerConfig, onlyAddress, serialized } from './guest-peer-config.ts';
import type { GuestAudioCodec } from './guest-peer-config.ts';
import { onReceivedRtp, plainRtpFromWerift } from './werift-received-rtp.ts';
import { ensureCoreSrtp, offeredSrtpProfiles, setTransportSrtpProfiles } from './werift-srtp-hook.ts';

export interface WebRtcGuestLegOptions {
  readonly id: string;
  readonly offerSdp: string;
  /** IPv4/IPv6 literal the guest reaches us at (our only ICE host candidate). */
  readonly mediaAddress: string;
  /** UDP ports werift may bind for this guest (keep it apart from the SDES allocator's range). */
  readonly portRange: PortRange;
  /** use_srtp ids in policy order (crypto-policy DtlsSelection.useSrtpProfileIds). */
  readonly dtlsProfiles: readonly number[];
  /** Audio codecs we accept, preferred first. Default: opus/48000/2, PCMU, PCMA, telephone-event 48000 and 8000. */
  readonly audioCodecs?: readonly GuestAudioCodec[];
  /** Take the offer's bundled video m-line (src/app/video-plan.ts decided); default: decline video. */
  readonly video?: VideoLegPlan;
  readonly mediaTimeoutMs?: number;
  readonly rtcpIntervalMs?: number;
  /** Give up when ICE + DTLS have not connected after this long. Default 30 s. */
  readonly connectTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface GuestNegotiation {
  readonly suite: string;
  readonly profile: number;
  /** The browser's use_srtp list as we (DTLS server) received it. */
  readonly peerProfiles: readonly number[] | undefined;
}

export interface WebRtcGuest {
  readonly answerSdp: string;
  readonly leg: WebRtcGuestLeg;
  negotiated(): Promise<GuestNegotiation>;
  /** Why video m-lines were declined, or null when the offer had none. */
  readonly videoDeclined: string | null;
}

const RX_SIZE = 1500;
export const VIDEO_DECLINED_REASON = 'video declined: this guest leg was opened without video';
export const VIDEO_NO_COMMON_CODEC = 'video declined: no common video codec with the guest (VP8; H.264 42e01f packetization-mode 1)';

/** Answers a browser offer and returns the answer plus the leg. Throws GatehouseError 488 when no audio can be negotiated. */
export async function createWebRtcGuestLeg(o: WebRtcGuestLegOptions): Promise<WebRtcGuest> {
  ensureCoreSrtp();
  const log = (o.logger ?? SILENT_LOGGER).child({ legId: o.id });
  const pc = new RTCPeerConnection(guestPeerConfig(o.mediaAddress, o.portRange, o.audioCodecs, o.video !== undefined));
  try {
    // werift's port search (findPort, then bind) is not atomic: guests of this process take turns
    const answerSdp = await serialized(async () => {
      await pc.setRemoteDescription({ type: 'offer', sdp: offerForWerift(o.offerSdp) });
      answerAsDtlsServer(pc);
      for (const t of pc.dtlsTransports) setTransportSrtpProfiles(t, o.dtlsProfiles);
      const audio = pc.getTransceivers().find((t) => t.kind === 'audio' && t.codecs.length > 0);
      if (audio === undefined) throw new GatehouseError('policy', 'WEBRTC_NO_AUDIO', 'the guest offer has no audio m-line with a codec we accept', { sipStatus: 488 });
      audio.setDirection('sendrecv');
      audio.sender.replaceTrack(new MediaStreamTrack({ kind: 'audio' }));
      const video = o.video === undefined ? undefined : videoTransceiver(pc);
      if (video !== undefined) {
        video.setDirection('sendrecv');
        video.sender.replaceTrack(new MediaStreamTrack({ kind: 'video' }));
        guestVideoSlots(pc, video);
      }
      await pc.setLocalDescription(await pc.createAnswer());
      await waitGathered(pc);
      return onlyAddress(pc.localDescription?.sdp ?? '', o.mediaAddress);
    });
    const audio = pc.getTransceivers().find((t) => t.kind === 'audio' && t.codecs.length > 0);
    if (audio === undefined) throw new GatehouseError('internal', 'WEBRTC_NO_AUDIO', 'audio transceiver vanished');
    const videoDeclined = declineVideo(answerSdp) ? (o.video === undefined ? VIDEO_DECLINED_REASON : VIDEO_NO_COMMON_CODEC) : null;
    const video = videoDeclined === null && o.video !== undefined ? videoTransceiver(pc) : undefined;
    const leg = new WebRtcGuestLeg(o, pc, audio, log, video, video === undefined ? [] : guestVideoSlots(pc, video));
    if (videoDeclined !== null) {
      webrtcVideoDeclined.inc();
      log.info({ reason: videoDeclined }, 'guest video declined');
    }
    return { answerSdp, leg, negotiated: () => leg.negotiated(), videoDeclined };
  } catch (err) {
    await pc.close().catch(() => {});
    throw err;
  }
}

function videoTransceiver(pc: RTCPeerConnection): RTCRtpTransceiver | undefined {
  return pc.getTransceivers().find((t) => t.kind === 'video' && t.codecs.length > 0);
}

function waitGathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const sub = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'complete') {
        sub.unSubscribe();
        resolve();
      }
    });
  });
}

export class WebRtcGuestLeg extends RoomLegBase<'webrtc'> {
  private readonly pc: RTCPeerConnection;
  private readonly transceiver: RTCRtpTransceiver;
  private readonly transport: RTCDtlsTransport;
  private readonly rx = new ViewCache(RX_SIZE);
  private readonly sources = new Set<number>();
  private readonly negotiation: Promise<GuestNegotiation>;
  private srtp: CoreSrtpSession | null = null;
  private srtcp: CoreSrtcpSession | null = null;
  failure: GatehouseError | null = null;
  /** The guest's video (bundled video transceiver), when the leg took it. */
  readonly video: GuestVideo | null;

  constructor(o: WebRtcGuestLegOptions, pc: RTCPeerConnection, transceiver: RTCRtpTransceiver, log: Logger, video?: RTCRtpTransceiver, slots: readonly RTCRtpTransceiver[] = []) {
    const formats = transceiver.codecs.map((c): PayloadFormat => ({ pt: c.payloadType, name: c.mimeType.split('/')[1] ?? c.mimeType, clockRate: c.clockRate, ...(c.channels === undefined ? {} : { channels: c.channels }) }));
    const send = formats.find((f) => !isTelephoneEvent(f) && f.name.toUpperCase() !== 'CN');
    if (send === undefined) throw new GatehouseError('policy', 'WEBRTC_NO_AUDIO', 'no audio codec negotiated with the guest', { sipStatus: 488 });
    super({
      id: o.id,
      kind: 'webrtc',
      ssrc: transceiver.sender.ssrc,
      formats,
      sendFormat: send,
      direction: 'sendrecv',
      mediaTimeoutMs: o.mediaTimeoutMs ?? 30_000,
      rtcpIntervalMs: o.rtcpIntervalMs,
      markOnSwitch: true,
      clock: o.clock ?? PERFORMANCE_CLOCK,
      log,
    });
    this.pc = pc;
    this.transceiver = transceiver;
    this.transport = transceiver.dtlsTransport;
    // werift creates the remote track while applying the offer, i.e. before this constructor
    onReceivedRtp(transceiver, (rtp) => this.onWeriftRtp(rtp));
    transceiver.sender.onRtcp.subscribe((p) => {
      // RFC 4585 6.3.1 PLI / RFC 5104 4.3.1 FIR on our stream: the room asks the source's sender
      if (p.type === 206 && 'feedback' in p) this.sink?.onKeyFrameRequest(this, this.ssrc);
    });
    this.video =
      video === undefined
        ? null
        : new GuestVideo(
            this,
            video,
            {
              srtp: () => this.srtp,
              srtcp: () => this.srtcp,
              transmit: (d) => this.transmit(d),
              canSend: () => !this.closed && peerReceives(this.activity.direction),
            },
            this.clock,
            o.rtcpIntervalMs,
            slots,
          );
    this.opened();
    this.negotiation = this.watchConnection(o.connectTimeoutMs ?? 30_000);
    this.negotiation.catch(() => {});
  }

  private watchConnection(timeoutMs: number): Promise<GuestNegotiation> {
    return new Promise<GuestNegotiation>((resolve, reject) => {
      const t = this.transport;
      const fail = (reason: 'ice-failed' | 'timeout' | 'closed', message: string): void => {
        clearTimeout(timer);
        countHandshake('webrtc', 'server', reason);
        this.failure = new GatehouseError('protocol', `WEBRTC_${reason.toUpperCase().replace('-', '_')}`, message, { sipStatus: 488 });
        reject(this.failure);
      };
      const timer = setTimeout(() => fail('timeout', `guest ICE/DTLS did not connect within ${timeoutMs} ms`), timeoutMs);
      timer.unref();
      const check = (): void => {
        if (t.state === 'connected' && t.srtp instanceof CoreSrtpSession && t.srtcp instanceof CoreSrtcpSession) {
          clearTimeout(timer);
          sub.unSubscribe();
          this.srtp = t.srtp;
          this.srtcp = t.srtcp;
          const profile = t.dtls?.srtp.srtpProfile ?? 0;
          const suite = srtpSuiteForDtlsProfile(profile)?.name ?? 'unknown';
          countHandshake('webrtc', 'server', 'ok');
          dtlsSrtpProfiles.inc({ kind: 'webrtc', suite });
          this.log.info({ suite }, 'guest DTLS-SRTP connected');
          resolve({ suite, profile, peerProfiles: offeredSrtpProfiles(t) });
        } else if (t.state === 'failed' || t.state === 'closed') {
          sub.unSubscribe();
          fail(t.state === 'failed' ? 'ice-failed' : 'closed', `guest DTLS transport ${t.state} (fingerprint, proof of possession or handshake failure)`);
        }
      };
      const sub = t.onStateChange.subscribe(check);
      check();
    });
  }

  negotiated(): Promise<GuestNegotiation> {
    return this.negotiation;
  }

  /** The SSRCs the guest sent RTP with (werift's RTCRtpReceiver, not LegRtcp, reports on them). */
  override receivesFrom(ssrc: number): boolean {
    return this.sources.has(ssrc >>> 0);
  }

  protected override noteReceived(view: RtpHeaderView): void {
    this.sources.add(view.ssrc);
  }

  /** A packet werift decrypted (with our core) and parsed: re-serialise it without extensions. */
  private onWeriftRtp(rtp: RtpPacket): void {
    if (this.closed) return;
    const len = plainRtpFromWerift(rtp, this.rx.buffer);
    if (len < 0) return this.drop('malformed-rtp');
    this.deliverRtp(this.rx.view(len), this.clock.now());
  }

  sendRtp(packet: Buffer, view: RtpHeaderView, nowMs: number): boolean {
    const srtp = this.srtp;
    if (this.closed || srtp === null || !peerReceives(this.activity.direction)) return false;
    if (!this.rewriteForSend(packet, view, nowMs)) return false;
    const r = srtp.outbound.protectRtp(packet);
    if (!r.ok) {
      this.drop(r.reason);
      return false;
    }
    this.transmit(r.out);
    this.rtpSent(packet, view, nowMs);
    return true;
  }

  private transmit(datagram: Buffer): void {
    // werift's ICE connection sends to the nominated pair; a new buffer per packet because it
    // gives no completion callback to recycle one
    this.transport.iceTransport.connection.send(datagram).catch(() => this.drop('send-failed'));
  }

  protected sendRtcp(plain: Uint8Array): void {
    const srtcp = this.srtcp;
    if (this.closed || srtcp === null) return;
    const r = srtcp.outbound.protectRtcp(plain);
    if (!r.ok) return this.drop(r.reason);
    this.transmit(r.out);
    countOut(this.kindIndex, true);
  }

  override housekeeping(nowMs: number, wallclockMs: number): void {
    // no report (and no report scheduled) before the transport is keyed: it could not be sent
    if (this.srtcp !== null) super.housekeeping(nowMs, wallclockMs);
  }

  async close(): Promise<void> {
    if (!this.shut()) return;
    await this.video?.close();
    await this.pc.close().catch(() => {});
  }
}
