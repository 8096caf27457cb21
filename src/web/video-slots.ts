/**
 * Video slots: how a guest sees every other participant as its own track without a
 * renegotiation each time someone joins (issue 6, "video as separate tracks to browsers").
 *
 * The first offer carries, after the camera's sendrecv video m-line, VIDEO_SLOTS extra video
 * m-lines offered recvonly (RTCPeerConnection.addTransceiver, JSEP 5.2.1). The gateway answers
 * each sendonly with its own a=ssrc and a=msid `gatehouse-slot-N`
 * (src/adapters/webrtc/webrtc-guest-video-slots.ts) and puts one other participant on each
 * (src/adapters/media/video-router.ts): the most recent speakers when the room has more
 * participants than slots; a participant keeps its slot while it stays among them, and a slot
 * freed by someone leaving goes to the next newcomer. The camera's m-line then receives
 * nothing from the gateway; with a gateway that does not take slots (it answers them port 0)
 * that m-line carries the room's one stream (the active speaker) as before.
 *
 * VIDEO_SLOTS = 3: with the guest's own picture that is a 2x2 grid, shows everyone in rooms of
 * up to four, and bounds what the page receives and decodes (one VP8/H.264 stream per slot,
 * typically 0.3-1.5 Mbit/s each, and one decoder each: cheap enough on a phone). A room of five
 * or more shows the three most recent speakers. It is a page constant and not a setting: the
 * gateway takes any number of slots up to its own cap (MAX_VIDEO_SLOTS there).
 *
 * SIP.js's default handler keeps ONE remote video track (setRemoteTrack stops and replaces the
 * previous one), so this subclass passes slot tracks to the page instead and leaves the
 * camera m-line's track (and the audio) to SIP.js's remote stream.
 */
import { Web } from 'sip.js';
import type { Core } from 'sip.js';

export const VIDEO_SLOTS = 3;

/** A remote video track of the call: `slot` 0 for the camera m-line's track, 1..K for the slots. */
export type RemoteVideoListener = (track: MediaStreamTrack, slot: number) => void;

export class SlottedSessionDescriptionHandler extends Web.SessionDescriptionHandler {
  private readonly slotCount: number;
  private readonly onRemoteVideo: RemoteVideoListener;
  private readonly slots: RTCRtpTransceiver[] = [];

  constructor(logger: Core.Logger, mediaStreamFactory: Web.MediaStreamFactory, configuration: Web.SessionDescriptionHandlerConfiguration, slotCount: number, onRemoteVideo: RemoteVideoListener) {
    super(logger, mediaStreamFactory, configuration);
    this.slotCount = slotCount;
    this.onRemoteVideo = onRemoteVideo;
  }

  /** Runs before every offer/answer is created: the slots join the first offer and stay. */
  protected override async updateDirection(options?: Web.SessionDescriptionHandlerOptions): Promise<void> {
    await super.updateDirection(options);
    const pc = this.peerConnection;
    if (pc === undefined || pc.signalingState !== 'stable' || this.slots.length > 0) return;
    for (let i = 0; i < this.slotCount; i++) this.slots.push(pc.addTransceiver('video', { direction: 'recvonly' }));
  }

  protected override setRemoteTrack(track: MediaStreamTrack): void {
    if (track.kind === 'video') {
      const slot = this.slots.findIndex((t) => t.receiver.track === track);
      this.onRemoteVideo(track, slot + 1);
      if (slot >= 0) return; // not into the remote stream: SIP.js would stop the previous video track
    }
    super.setRemoteTrack(track);
  }
}

/** Slots to offer: VIDEO_SLOTS, one more when the guest sends no camera (its first video m-line is then a slot too). */
export function slotsToOffer(local: MediaStream): number {
  return local.getVideoTracks().length > 0 ? VIDEO_SLOTS : VIDEO_SLOTS + 1;
}
