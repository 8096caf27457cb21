/**
 * werift RTCPeerConnection settings for a browser guest (webrtc-guest-leg.ts).
 *
 *   iceLite: true              RFC 8445 s2.5: the gateway has a public/known address, only
 *                              answers connectivity checks and is always controlled
 *   iceServers: []             no STUN/TURN: werift's default is a Google STUN server, and the
 *                              gateway talks to no third party (DESIGN.md)
 *   iceInterfaceAddresses      bind the ICE socket to the media address
 *   iceAdditionalHostAddresses advertise it even when it is loopback or otherwise filtered
 *   icePortRange               ports from the configured range (werift: min < max)
 *   codecs.video               VP8, then H.264 Constrained Baseline packetization-mode 1 (what
 *                              browsers offer and werift matches by exact profile-level-id),
 *                              feedback PLI and FIR only, when the leg takes video; otherwise
 *                              none, and video m-lines get port 0 (webrtc-guest-leg.ts)
 *   bundlePolicy max-bundle    one transport for the guest (browsers bundle)
 * The answer is then cut down to host candidates on the media address only: werift adds every
 * local interface address when the media address is not one of them (e.g. loopback).
 */
import { isIPv6 } from 'node:net';
import { RTCRtpCodecParameters } from 'werift';
import type { RTCPeerConnection } from 'werift';
import { GatehouseError } from '../../core/errors.ts';
import type { PortRange } from '../media/port-allocator.ts';

export interface GuestAudioCodec {
  /** Encoding name as in a=rtpmap: opus, PCMU, PCMA, G722, telephone-event. */
  readonly name: string;
  readonly clockRate: number;
  readonly channels?: number;
  /** Needed for static payload types (werift matches PCMU/PCMA/G722 by it). */
  readonly payloadType?: number;
  readonly fmtp?: string;
}

export const DEFAULT_GUEST_AUDIO: readonly GuestAudioCodec[] = [
  { name: 'opus', clockRate: 48000, channels: 2, payloadType: 111, fmtp: 'minptime=10;useinbandfec=1' },
  { name: 'PCMU', clockRate: 8000, payloadType: 0 },
  { name: 'PCMA', clockRate: 8000, payloadType: 8 },
  { name: 'telephone-event', clockRate: 48000, payloadType: 110, fmtp: '0-16' },
  { name: 'telephone-event', clockRate: 8000, payloadType: 126, fmtp: '0-16' },
];

type PeerConfig = NonNullable<ConstructorParameters<typeof RTCPeerConnection>[0]>;

/** RFC 4585 6.3.1 PLI and RFC 5104 4.3.1 FIR: the key frame requests the room terminates. */
const VIDEO_FEEDBACK = [
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];

function guestVideoCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: VIDEO_FEEDBACK }),
    new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: VIDEO_FEEDBACK, parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' }),
  ];
}

export function guestPeerConfig(mediaAddress: string, range: PortRange, codecs: readonly GuestAudioCodec[] = DEFAULT_GUEST_AUDIO, video = false): PeerConfig {
  if (mediaAddress === '0.0.0.0' || mediaAddress === '::') {
    throw new GatehouseError('config', 'WEBRTC_MEDIA_ADDRESS', 'the WebRTC media address must be a concrete address guests can reach, not a wildcard');
  }
  if (!(range.min < range.max)) throw new GatehouseError('config', 'WEBRTC_PORT_RANGE', `WebRTC port range ${range.min}-${range.max} needs min < max`);
  const v6 = isIPv6(mediaAddress);
  const config = {
    iceLite: true,
    iceServers: [],
    iceUseIpv4: !v6,
    iceUseIpv6: v6,
    iceInterfaceAddresses: v6 ? { udp6: mediaAddress } : { udp4: mediaAddress },
    iceAdditionalHostAddresses: [mediaAddress],
    icePortRange: [range.min, range.max],
    bundlePolicy: 'max-bundle',
    codecs: {
      audio: codecs.map(
        (c) =>
          new RTCRtpCodecParameters({
            mimeType: `audio/${c.name}`,
            clockRate: c.clockRate,
            ...(c.channels === undefined ? {} : { channels: c.channels }),
            ...(c.payloadType === undefined ? {} : { payloadType: c.payloadType }),
            ...(c.fmtp === undefined ? {} : { parameters: c.fmtp }),
          }),
      ),
      video: video ? guestVideoCodecs() : [],
    },
  };
  return config as unknown as PeerConfig;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier call has settled (werift's findPort + bind is not atomic). */
export function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Drops a=candidate lines whose address is not `address` (RFC 8839 s5.1 host candidates), and
 * moves werift's media-level a=ice-lite to the session level where RFC 8839 s5.3 puts it (and
 * where browsers look for it).
 */
export function onlyAddress(sdp: string, address: string): string {
  const lines = sdp.split(/\r\n/);
  const lite = lines.includes('a=ice-lite');
  const kept = lines.filter((l) => {
    if (l === 'a=ice-lite') return false;
    if (!l.startsWith('a=candidate:')) return true;
    const parts = l.split(' ');
    return parts[4] === address;
  });
  if (!kept.some((l) => l.startsWith('a=candidate:'))) {
    throw new GatehouseError('internal', 'WEBRTC_NO_CANDIDATE', `werift gathered no ICE candidate on ${address}`);
  }
  const t = kept.findIndex((l) => l.startsWith('t='));
  if (lite && t >= 0) kept.splice(t + 1, 0, 'a=ice-lite');
  return kept.join('\r\n');
}

/** True when the answer has a video m-line, and every one has port 0 (declined, RFC 3264 s6). */
export function declineVideo(answerSdp: string): boolean {
  const video = answerSdp.split(/\r\n/).filter((l) => l.startsWith('m=video '));
  return video.length > 0 && video.every((l) => l.split(' ')[1] === '0');
}
