/**
 * A peer's re-INVITE with an offer on an SDES SIP call that runs here (issue 6): hold/resume,
 * a moved address, or new keys (RFC 4568 7.1.4), decided by reinvite.ts under the policy the
 * call was set up with. Applies the change to the leg BEFORE answering (RFC 4568 7.1.4: media
 * under the new key may arrive before the peer has our answer) and tells the caller what to
 * store. DTLS-SRTP SIP legs re-key only by a new handshake, which their peers here never start:
 * their re-offers are refused with 488 and a reason.
 */
import type { IncomingDialogRequest } from '../ports/signalling-backend.ts';
import type { RecordChange } from './call-records.ts';
import type { CallServiceDeps } from './call-service.ts';
import type { LiveCall } from './live-calls.ts';
import { answerReinvite, reofferNegotiator } from './reinvite.ts';

export interface SdesReinviteContext {
  readonly deps: Pick<CallServiceDeps, 'backend' | 'logger' | 'policy'>;
}

/** Answers the re-INVITE (200 or a refusal); returns what changed for the record, or null when refused. */
export async function answerSdesReinvite(ctx: SdesReinviteContext, call: LiveCall, req: IncomingDialogRequest): Promise<RecordChange | null> {
  const { backend, logger, policy } = ctx.deps;
  const plan = call.plan;
  if (call.sdes === null || !('suite' in plan)) {
    await backend.reject(req.requestId, 488, 'Not Acceptable Here', '399 gatehouse "re-INVITE on a DTLS-SRTP SIP call is not supported: its keys come from one handshake"');
    return null;
  }
  // a re-offer that changes keys runs the initial negotiation again (reinvite.ts), for the
  // peer the policy saw at set-up (else this request's source)
  const subject = req.source.tlsPeer?.subject;
  const peer = call.peer ?? { ip: req.source.remote.address, ...(subject ? { certSubject: Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(', ') } : {}) };
  const r = answerReinvite(
    {
      previousAnswer: call.answerSdp,
      version: call.version + 1,
      plan,
      tag: call.sdes.tag,
      remoteKeySalt: call.sdes.remoteKeySalt,
      negotiate: reofferNegotiator(policy, peer, call.room.profile),
      // the peer's SDP our answer answered (its video a=crypto and address: reinvite-video.ts);
      // the record gets this request's body after the answer (RecordChange.remoteSdp)
      previousOffer: call.record?.legs[0]?.remoteSdp ?? call.unstored?.remoteSdp ?? null,
    },
    req.body,
  );
  if (!r.ok) {
    logger.info({ callId: call.callId, status: r.status, warning: r.warning }, 're-INVITE refused');
    await backend.reject(req.requestId, r.status, r.reason, r.warning);
    return null;
  }
  if (r.change) {
    // RFC 4568 7.1.4: the new receive contexts (audio and video) are in place before the peer
    // has our answer; a video m-line turned off (port 0) stops the video stream here
    call.leg.rekey(r.change.rekey);
    call.plan = r.change.plan;
    call.sdes = r.change.sdes;
    logger.info({ callId: call.callId, room: call.room.id, ...r.change.what, suite: r.change.plan.suite }, 'SDES call re-keyed by re-INVITE');
  }
  call.answerSdp = r.answer;
  call.version += 1;
  call.leg.updateDirection(r.peerDirection);
  await backend.answer(req.requestId, { sdp: r.answer });
  return { remoteSdp: req.body, ...(r.change ? { plan: r.change.plan } : {}) };
}
