/**
 * Makes a werift peer answer `a=setup:passive`, i.e. act as DTLS server (RFC 5763 s5: the
 * answerer may choose passive). As server the gateway selects the DTLS-SRTP profile from its
 * own, policy-ordered list (RFC 5764 s4.1.1; werift's findMatchingSRTPProfile iterates the local
 * list), whereas as client the browser's order would win (DESIGN.md "Media").
 *
 * werift derives the answer's a=setup from RTCDtlsTransport.role ('auto' -> active/client), so
 * this must run after setRemoteDescription(offer) and before createAnswer().
 */
import type { RTCPeerConnection } from 'werift';

export function answerAsDtlsServer(pc: RTCPeerConnection): void {
  for (const t of pc.dtlsTransports) t.role = 'server';
}
