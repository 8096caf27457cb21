/**
 * RTP a werift transceiver received, as the guest's audio leg (webrtc-guest-leg.ts) and video
 * stream (webrtc-guest-video.ts) take it: werift has decrypted it (our SRTP core,
 * werift-srtp-hook.ts), parsed it and routed it to the transceiver's track(s).
 */
import type { MediaStreamTrack, RTCRtpTransceiver, RtpPacket } from 'werift';
import { writeU16, writeU32 } from '../../core/rtp/rtp-packet.ts';

/**
 * Calls `onRtp` with every packet the transceiver's tracks receive: the tracks it has now
 * (werift creates the remote track while applying the offer, i.e. before the leg exists) and
 * those it gets later, each subscribed once.
 */
export function onReceivedRtp(transceiver: RTCRtpTransceiver, onRtp: (rtp: RtpPacket) => void): void {
  const seen = new Set<MediaStreamTrack>();
  const listen = (track: MediaStreamTrack): void => {
    if (seen.has(track)) return;
    seen.add(track);
    track.onReceiveRtp.subscribe(onRtp);
  };
  for (const track of transceiver.receiver.tracks) listen(track);
  transceiver.onTrack.subscribe(listen);
}

/**
 * Writes werift's parsed packet into `b` as plain RTP (RFC 3550 5.1) without header extensions
 * (the browser's extension ids mean nothing to other legs). Returns the length, or -1 when it
 * does not fit.
 */
export function plainRtpFromWerift(rtp: RtpPacket, b: Buffer): number {
  const h = rtp.header;
  const csrcs = h.csrc.length > 15 ? [] : h.csrc;
  const len = 12 + 4 * csrcs.length + rtp.payload.length;
  if (len > b.length) return -1;
  b[0] = 0x80 | csrcs.length;
  b[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  writeU16(b, 2, h.sequenceNumber);
  writeU32(b, 4, h.timestamp);
  writeU32(b, 8, h.ssrc);
  csrcs.forEach((c, i) => writeU32(b, 12 + 4 * i, c));
  rtp.payload.copy(b, 12 + 4 * csrcs.length);
  return len;
}
