/**
 * How call set-up ends when it does not end in a plain 200: the audit of a DTLS leg's suite once
 * its handshake is done (or the hang-up when it fails), and the answer to an INVITE whose set-up
 * threw. Split out of call-service.ts, which owns the call state.
 */
import { dtlsNegotiated, warningText, type CryptoPolicy, type PeerContext } from '../../crypto-policy/index.ts';
import { reasonPhrase } from '../core/sip/reason-phrases.ts';
import { callsRejectedTotal } from '../metrics/calls.ts';
import { srtpNegotiationsTotal } from '../metrics/policy.ts';
import type { Logger } from '../ports/logger.ts';
import type { OpenedLeg } from '../ports/media-plane.ts';
import type { IncomingInvite, SignallingBackend } from '../ports/signalling-backend.ts';
import type { LiveCall } from './live-calls.ts';

/** DTLS legs learn their suite in the handshake: audit it like SDES, hang up if it fails. */
export function watchDtls(
  ctx: { readonly policy: CryptoPolicy; readonly hangUp: (dialogId: string, cause: string) => Promise<void> },
  call: LiveCall,
  keyed: NonNullable<OpenedLeg['keyed']>,
  profileName: string,
  peer: PeerContext,
  index: number,
  log: Logger,
): void {
  keyed.then(
    (k) => {
      const profile = ctx.policy.findProfile(profileName);
      const n = profile.ok && k.peerProfiles ? dtlsNegotiated(profile.profile, k.peerProfiles, peer, { index, kind: 'audio' }) : null;
      if (n?.metric) srtpNegotiationsTotal.inc({ ...n.metric });
      if (n?.downgrade) log.info({ audit: n.downgrade }, 'SRTP negotiated below the profile first choice');
      log.info({ room: call.room.id, suite: k.suite, keying: call.keying }, 'DTLS-SRTP keyed');
    },
    (err: unknown) => {
      log.warn({ err, room: call.room.id }, 'DTLS-SRTP failed; ending the call');
      void ctx.hangUp(call.dialogId, 'dtls-failed');
    },
  );
}

/** An INVITE whose set-up threw: the error's SIP status (500 when it has none) and a safe Warning. */
export function failInvite(ctx: { readonly backend: SignallingBackend; readonly logger: Logger }, inv: IncomingInvite, err: unknown): void {
  const e = err as { sipStatus?: number | null; code?: string; sipReason?: string };
  const status = typeof e.sipStatus === 'number' && e.sipStatus >= 400 ? e.sipStatus : 500;
  // a 4xx is the caller's offer or the room refusing it (e.g. no common codec), logged like
  // the other rejections; anything else is our failure
  if (status < 500) ctx.logger.info({ callId: inv.callId, status, code: e.code }, 'call rejected');
  else ctx.logger.error({ err, callId: inv.callId }, 'call setup failed');
  callsRejectedTotal.inc({ status: String(status), code: e.code ?? 'INTERNAL' });
  // The phrase matches the status (a 488 from the media room is no internal error), and the
  // error's caller-safe sipReason goes in a Warning (RFC 3261 20.43); never the message, which
  // names other participants' legs.
  const warning = typeof e.sipReason === 'string' ? `399 gatehouse "${warningText(e.sipReason)}"` : undefined;
  void ctx.backend.reject(inv.requestId, status, reasonPhrase(status), warning).catch(() => undefined);
}
