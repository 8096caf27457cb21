/**
 * Which of a guest's video m-lines are video slots (issue 6; webrtc-guest-leg.ts, applied to the
 * werift peer after the browser's offer, before our answer).
 *
 * A slot is a video m-line after the main one (the first, sendrecv: the guest's camera) that
 * the browser offered recvonly (werift: offerDirection 'sendonly') on the main one's transport
 * (BUNDLE, RFC 8843), with a codec werift negotiated. It is answered sendonly (RFC 3264 6.1)
 * with a placeholder track (werift then writes a=ssrc for its sender) and an a=msid stream id
 * `gatehouse-slot-N` (RFC 8830 2: the browser groups the remote track under it). Other extra
 * video m-lines, and slots past MAX_VIDEO_SLOTS, are answered inactive.
 *
 * Idempotent: the leg calls it once to configure the answer and again to collect the slots.
 */
import { MediaStreamTrack } from 'werift';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';

/**
 * The most slots one guest gets. The join page offers 3 (src/web/guest-call.ts); the cap only
 * bounds what a modified page can make the gateway send (each slot is a forwarded stream).
 */
export const MAX_VIDEO_SLOTS = 8;

export function guestVideoSlots(pc: RTCPeerConnection, main: RTCRtpTransceiver): RTCRtpTransceiver[] {
  const slots: RTCRtpTransceiver[] = [];
  for (const t of pc.getTransceivers()) {
    if (t.kind !== 'video' || t === main || t.codecs.length === 0) continue;
    const slot = t.offerDirection === 'sendonly' && t.dtlsTransport === main.dtlsTransport && slots.length < MAX_VIDEO_SLOTS;
    if (!slot) {
      t.setDirection('inactive');
      continue;
    }
    slots.push(t);
    if (t.direction === 'sendonly') continue; // configured by an earlier call
    t.setDirection('sendonly');
    t.sender.replaceTrack(new MediaStreamTrack({ kind: 'video' }));
    t.sender.streamIds = [`gatehouse-slot-${String(slots.length)}`];
  }
  return slots;
}
