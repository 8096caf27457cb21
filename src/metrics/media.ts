/**
 * Media plane metrics (src/adapters/media). Labels are small closed sets: leg kinds, protocol,
 * drop reasons, relay modes. Never addresses, SSRCs or leg ids.
 *
 * The relay handles tens of thousands of packets per second; a prom-client `inc()` hashes its
 * labels on every call. So the hot path counts into plain typed arrays here (an index per
 * label combination, no allocation) and `flushMediaMetrics()` moves the totals into the
 * registry. The room housekeeping timer flushes about once a second, and so does closing a
 * leg, so a scrape lags by at most that much.
 */
import { counter, gauge, histogram } from './registry.ts';

export const MEDIA_LEG_KINDS = ['sip-sdes', 'sip-dtls', 'webrtc'] as const;
export type MediaLegKind = (typeof MEDIA_LEG_KINDS)[number];

/**
 * Why a datagram or packet was not relayed. SRTP verdicts keep the SRTP core's names
 * (src/core/srtp/result.ts); the rest are the adapter's own.
 */
export const MEDIA_DROP_REASONS = [
  // SRTP core verdicts (RFC 3711)
  'truncated',
  'bad-header',
  'auth-failed',
  'replay',
  'too-old',
  'unknown-mki',
  'lifetime-exceeded',
  'too-many-streams',
  'buffer-too-small',
  // adapter
  'wrong-source', // not from the latched address (docs/media-latching.md), incl. failed probes
  'not-rtp', // STUN/DTLS/other first octet on an SDES leg (RFC 7983)
  'malformed-rtp', // decrypted but the RTP header does not parse (RFC 3550 5.1)
  'malformed-rtcp', // decrypted but the RTCP compound does not parse (RFC 3550 A.2)
  'unknown-payload-type', // PT not negotiated for this leg
  'direction', // the leg's SDP says it does not send (recvonly/inactive)
  'no-route', // the codec cannot reach the target leg (no common codec, no telephone-event)
  'stale', // older than the start of the outgoing stream epoch (RtpStreamRewriter)
  'jitter-overflow', // mixer input queue over its bound: oldest audio discarded
  'send-failed', // the socket reported an error on send
  'codec-error', // the codec rejected the payload (libopus: invalid packet) or cannot code its duration (Opus: not 2.5-120 ms)
  'late', // a decoded Opus packet older than the last one decoded: its frame was concealed or skipped already
  'internal-error', // a bug caught at the socket handler boundary
  'oversize', // a datagram larger than the native socket engine's receive slot (native-udp.ts SLOT_SIZE): never delivered cut short
] as const;
export type MediaDropReason = (typeof MEDIA_DROP_REASONS)[number];

export const MEDIA_PROTOCOLS = ['rtp', 'rtcp'] as const;
export type MediaProtocol = (typeof MEDIA_PROTOCOLS)[number];

export const mediaPacketsIn = counter(
  'gatehouse_media_packets_in_total',
  'Authenticated media packets received, by leg kind and protocol (rtp/rtcp).',
  ['kind', 'proto'],
);

export const mediaPacketsOut = counter('gatehouse_media_packets_out_total', 'Media packets sent, by leg kind and protocol (rtp/rtcp).', ['kind', 'proto']);

export const mediaPacketsDropped = counter(
  'gatehouse_media_packets_dropped_total',
  'Media datagrams or packets dropped, by reason (auth-failed, replay, wrong-source, malformed-rtp, ...).',
  ['reason'],
);

export const mediaLegsActive = gauge('gatehouse_media_legs_active', 'Media legs with open sockets, by leg kind.', ['kind']);

export const mediaRelayLatency = histogram(
  'gatehouse_media_relay_latency_seconds',
  'Time from a packet arriving at the socket handler to its relayed copy being handed to the socket (sampled 1 in 16), by mode (relay/transcode).',
  ['mode'],
  [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01],
);

export const mediaOpusCodecs = gauge(
  'gatehouse_media_opus_codecs',
  'Live Opus encoder+decoder states (libopus via opusscript): one per Opus leg of a mix or of a transcoding two-party relay.',
);

export const mediaTimeouts = counter('gatehouse_media_timeouts_total', 'Legs reported silent for longer than the media timeout.');

export const mediaLatchEvents = counter(
  'gatehouse_media_latch_events_total',
  'Source address latching decisions (docs/media-latching.md), by event (latched, relatched).',
  ['event'],
);

const KINDS = MEDIA_LEG_KINDS.length;
const PROTOS = MEDIA_PROTOCOLS.length;
const pendingIn = new Float64Array(KINDS * PROTOS);
const pendingOut = new Float64Array(KINDS * PROTOS);
const pendingDrops = new Float64Array(MEDIA_DROP_REASONS.length);

/** Index of a leg kind, for the counting functions below (resolve once per leg). */
export function legKindIndex(kind: MediaLegKind): number {
  return MEDIA_LEG_KINDS.indexOf(kind);
}

const dropIndex = new Map<string, number>(MEDIA_DROP_REASONS.map((r, i) => [r, i]));

function bump(a: Float64Array, i: number): void {
  a[i] = (a[i] ?? 0) + 1;
}

export function countIn(kindIndex: number, rtcp: boolean): void {
  bump(pendingIn, kindIndex * PROTOS + (rtcp ? 1 : 0));
}

export function countOut(kindIndex: number, rtcp: boolean): void {
  bump(pendingOut, kindIndex * PROTOS + (rtcp ? 1 : 0));
}

export function countDrop(reason: MediaDropReason): void {
  bump(pendingDrops, dropIndex.get(reason) ?? MEDIA_DROP_REASONS.length - 1);
}

/** Moves the hot-path totals into the prom-client registry. */
export function flushMediaMetrics(): void {
  for (let k = 0; k < KINDS; k++) {
    for (let p = 0; p < PROTOS; p++) {
      const i = k * PROTOS + p;
      const labels = { kind: MEDIA_LEG_KINDS[k] ?? 'sip-sdes', proto: MEDIA_PROTOCOLS[p] ?? 'rtp' };
      const a = pendingIn[i] ?? 0;
      const b = pendingOut[i] ?? 0;
      if (a > 0) mediaPacketsIn.inc(labels, a);
      if (b > 0) mediaPacketsOut.inc(labels, b);
      pendingIn[i] = 0;
      pendingOut[i] = 0;
    }
  }
  for (let r = 0; r < MEDIA_DROP_REASONS.length; r++) {
    const n = pendingDrops[r] ?? 0;
    if (n > 0) mediaPacketsDropped.inc({ reason: MEDIA_DROP_REASONS[r] ?? 'internal-error' }, n);
    pendingDrops[r] = 0;
  }
}

let lastFlushMs = -Infinity;

/** Flushes at most once per `intervalMs` (every room's housekeeping calls this; one flush serves all). */
export function flushMediaMetricsEvery(nowMs: number, intervalMs = 1000): void {
  if (nowMs - lastFlushMs < intervalMs) return;
  lastFlushMs = nowMs;
  flushMediaMetrics();
}

/** Current value of gatehouse_media_packets_dropped_total{reason} after a flush (tests, admin). */
export async function droppedTotal(reason: MediaDropReason): Promise<number> {
  flushMediaMetrics();
  const m = await mediaPacketsDropped.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Video (issue 6): forwarded between legs with a common codec, never transcoded. */
export const mediaVideoDeclined = counter('gatehouse_media_video_declined_total', 'Offered video m-lines answered with port 0, by leg kind (sdes, dtls-udp, webrtc).', ['leg']);

export function countVideoDeclined(leg: string): void {
  mediaVideoDeclined.inc({ leg });
}

export const mediaVideoKeyFrameRequests = counter(
  'gatehouse_media_video_keyframe_requests_total',
  'Key frame requests sent to a video source, by cause (receiver: a PLI/FIR/INFO of a receiver; switch: the source became the one a receiver sees) and how (pli, fir, info).',
  ['cause', 'via'],
);

export const mediaVideoNoCommonCodec = counter(
  'gatehouse_media_video_no_common_codec_total',
  'Source/receiver pairs of a room where the receiver gets no video from the source because it negotiated none of the source codec (no transcoding).',
);

export const mediaVideoSwitches = counter('gatehouse_media_video_switches_total', 'Receivers switched to another video source (active speaker), at a key frame.');

export const mediaSocketSendsQueued = counter(
  'gatehouse_media_socket_sends_queued_total',
  'Datagrams the native socket engine queued because the socket send buffer was full (sent in order once writable; a steady rise means the host or its link cannot keep up).',
);

export const socketEngineInfo = gauge(
  'gatehouse_media_socket_engine_info',
  '1 for the media socket engine this process uses (media.socket_engine): native (epoll + recvmmsg batches) or node (node:dgram).',
  ['engine'],
);

export const srtpEngineInfo = gauge(
  'gatehouse_srtp_engine_info',
  '1 for the SRTP engine this process uses (media.srtp_engine): native (OpenSSL contexts kept per key) or node (node:crypto objects per packet).',
  ['engine'],
);
