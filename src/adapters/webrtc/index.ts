/** Public surface of the DTLS-SRTP legs (issue 6): browser guests and DTLS over plain UDP. */
export { createWebRtcGuestLeg, WebRtcGuestLeg, VIDEO_DECLINED_REASON } from './webrtc-guest-leg.ts';
export type { GuestNegotiation, WebRtcGuest, WebRtcGuestLegOptions } from './webrtc-guest-leg.ts';
export { DEFAULT_GUEST_AUDIO } from './guest-peer-config.ts';
export type { GuestAudioCodec } from './guest-peer-config.ts';
export { createDtlsUdpLeg, DtlsUdpLeg } from './dtls-udp-leg.ts';
export type { DtlsNegotiation, DtlsUdpLegOptions } from './dtls-udp-leg.ts';
export { DtlsLegError } from './dtls-udp-component.ts';
export { fingerprintOf, gatewayDtlsIdentity, matchFingerprint } from './dtls-certificate.ts';
export type { DtlsIdentity, FingerprintVerdict } from './dtls-certificate.ts';
export { verifyPeerPossession } from './dtls-peer-proof.ts';
export type { PeerProofFailure } from './dtls-peer-proof.ts';
export { answerAsDtlsServer } from './dtls-server-role.ts';
export { DEFAULT_DTLS_SRTP_PROFILES, ensureCoreSrtp, installCoreSrtp, offeredSrtpProfiles, setTransportSrtpProfiles } from './werift-srtp-hook.ts';
