/**
 * DTLS-SRTP leg metrics (src/adapters/webrtc): WebRTC guests and DTLS over plain UDP. Packet
 * counts and SRTP drops are in src/metrics/media.ts (leg kinds 'webrtc', 'sip-dtls') and
 * src/metrics/srtp.ts; this file counts what only these legs have: handshakes and their
 * failure reasons, the negotiated protection profile, declined video. Labels are closed sets.
 */
import { counter } from './registry.ts';

export const DTLS_LEG_KINDS = ['webrtc', 'sip-dtls'] as const;
export type DtlsLegKind = (typeof DTLS_LEG_KINDS)[number];

/** Why a DTLS-SRTP leg failed before carrying media. */
export const DTLS_FAILURE_REASONS = [
  'fingerprint-mismatch', // peer certificate matches no offered a=fingerprint (RFC 8122 s5)
  'no-acceptable-fingerprint', // the offer has no sha-256+ fingerprint
  'no-peer-certificate', // the peer sent no certificate (server role: client cert is required, RFC 5763 s5)
  'proof-failed', // CertificateVerify / ServerKeyExchange signature missing or wrong (dtls-peer-proof.ts)
  'no-common-profile', // use_srtp lists do not intersect (RFC 5764 s4.1.2)
  'handshake-failed', // werift reported a DTLS error or alert
  'timeout', // no completed handshake within the leg's limit
  'ice-failed', // WebRTC guest: ICE/DTLS transport failed
  'closed', // the leg was closed before the handshake completed
] as const;
export type DtlsFailureReason = (typeof DTLS_FAILURE_REASONS)[number];

export const dtlsHandshakes = counter(
  'gatehouse_dtls_handshakes_total',
  'DTLS-SRTP handshakes by leg kind, our role (server/client) and result (ok or a failure reason).',
  ['kind', 'role', 'result'],
);

export const dtlsSrtpProfiles = counter(
  'gatehouse_dtls_srtp_profile_total',
  'Negotiated DTLS-SRTP protection profiles (RFC 5764 s4.1.2 / RFC 7714 s14.2 names) by leg kind.',
  ['kind', 'suite'],
);

export const webrtcVideoDeclined = counter('gatehouse_webrtc_video_declined_total', 'Video m-lines of guest offers answered with port 0 (audio-only media plane).');

export function countHandshake(kind: DtlsLegKind, role: 'server' | 'client', result: 'ok' | DtlsFailureReason): void {
  dtlsHandshakes.inc({ kind, role, result });
}
