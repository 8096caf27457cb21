/**
 * What protect/unprotect return. Bad input from the network is a value, never an exception:
 * the relay loop drops the packet and the adapter counts `reason` (src/metrics/srtp.ts).
 */
export type SrtpDropReason =
  /** shorter than header + tag (+ MKI + SRTCP trailer), or a header that overruns the packet */
  | 'truncated'
  /** RTP/RTCP version is not 2 */
  | 'bad-header'
  /** authentication tag (HMAC-SHA1 or GCM) did not verify: forged, corrupt, wrong key or wrong ROC guess */
  | 'auth-failed'
  /** index already authenticated inside the replay window (RFC 3711 s3.3.2); on protect: index already used */
  | 'replay'
  /** index older than the replay window */
  | 'too-old'
  /** the packet's MKI names no master key of this session */
  | 'unknown-mki'
  /** the master key reached its lifetime (signalled, or the suite's 2^48 SRTP / 2^31 SRTCP) */
  | 'lifetime-exceeded'
  /** a new SSRC would exceed the session's stream limit */
  | 'too-many-streams'
  /** the caller's out buffer cannot hold the result */
  | 'buffer-too-small';

export interface SrtpOk {
  readonly ok: true;
  /** Valid octets at the start of `out`. */
  readonly length: number;
  /** The caller's out buffer, or a new one sized exactly `length` when none was given. */
  readonly out: Buffer;
}

export interface SrtpDrop {
  readonly ok: false;
  readonly reason: SrtpDropReason;
}

export type SrtpResult = SrtpOk | SrtpDrop;

function drop(reason: SrtpDropReason): SrtpDrop {
  return Object.freeze({ ok: false, reason });
}

/** Shared, frozen drop results: a flood of bad packets allocates nothing for the verdict. */
export const DROP: Readonly<Record<SrtpDropReason, SrtpDrop>> = Object.freeze({
  truncated: drop('truncated'),
  'bad-header': drop('bad-header'),
  'auth-failed': drop('auth-failed'),
  replay: drop('replay'),
  'too-old': drop('too-old'),
  'unknown-mki': drop('unknown-mki'),
  'lifetime-exceeded': drop('lifetime-exceeded'),
  'too-many-streams': drop('too-many-streams'),
  'buffer-too-small': drop('buffer-too-small'),
});

export const SRTP_DROP_REASONS: readonly SrtpDropReason[] = Object.freeze(Object.keys(DROP) as SrtpDropReason[]);
