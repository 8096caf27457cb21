/**
 * One SDP offer into a room's media: negotiate it under the crypto policy (the room's profile
 * or the peer's override), open the media leg its accepted audio m-line needs (with the video
 * m-line when video-plan.ts keeps it) and join it to the room, and build the answer. Shared by a new call (INVITE), a browser guest's re-offer in
 * a live call and a guest resuming its call on another instance after a takeover (issue 7).
 */
import { buildAnswer } from '../../sdp/index.ts';
import type { Negotiation as PolicyNegotiation, PeerContext } from '../../crypto-policy/index.ts';
import type { LegRequest, OpenedLeg } from '../ports/media-plane.ts';
import type { CallServiceDeps } from './call-service.ts';
import { legKindOf, legRequest } from './leg-request.ts';
import { negotiateOffer } from './negotiate-offer.ts';
import type { ResolvedRoom } from './room-directory.ts';
import { planVideo } from './video-plan.ts';
import { countVideoDeclined } from '../metrics/media.ts';

export type RoomLegOutcome =
  | {
      readonly ok: true;
      readonly opened: OpenedLeg;
      readonly request: LegRequest;
      readonly answerSdp: string;
      /** SDES legs: the accepted offer line, to recognise an unchanged key in a re-INVITE. */
      readonly sdes: { readonly tag: number; readonly remoteKeySalt: Uint8Array } | null;
      readonly policy: PolicyNegotiation;
      /** Index of the accepted audio m-line in the offer. */
      readonly audioIndex: number;
      /** Index of the accepted video m-line, or null (declined or not offered). */
      readonly videoIndex: number | null;
      /** Why offered video was declined (logged and counted here), or null. */
      readonly videoDeclined: string | null;
    }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly code: string; readonly warning?: string; readonly profile?: string };

/**
 * Opens and joins the leg, or says why not (status for the SIP answer). `legId` gets the audio
 * m-line index appended. Throws (with a sipStatus) only when the room refuses the opened leg;
 * the leg is closed again then.
 */
export async function openRoomLeg(deps: CallServiceDeps, room: ResolvedRoom, sdp: string, peer: PeerContext, legIdPrefix: string): Promise<RoomLegOutcome> {
  const outcome = negotiateOffer(deps.policy, {
    sdp,
    peer,
    ...(room.profile === undefined ? {} : { profile: room.profile }),
    localFingerprints: [await deps.media.localFingerprint()],
    supportedKeying: { sdes: true, dtls: true },
  });
  if (!outcome.ok) {
    return { ok: false, status: outcome.status, reason: outcome.reason, code: outcome.code, warning: outcome.warning, ...(outcome.policy ? { profile: outcome.policy.profile } : {}) };
  }
  const audio = outcome.plan.media.find((m) => m.verdict === 'accept' && m.kind === 'audio' && (m.keying?.kind === 'sdes' || m.keying?.kind === 'dtls'));
  const decision = audio && outcome.policy.media.find((d) => d.index === audio.index);
  if (!audio || !decision) return { ok: false, status: 488, reason: 'Not Acceptable Here', code: 'NO_AUDIO', warning: '399 gatehouse "no acceptable SRTP audio stream offered"' };
  const v = planVideo(outcome.offer, outcome.plan, outcome.policy, audio, legKindOf(audio));
  const request = legRequest(outcome.offer, audio, decision, sdp, v.video);
  const opened = await deps.media.openLeg(`${legIdPrefix}:${audio.index}`, request);
  const videoDeclined = v.declined ?? opened.videoDeclined ?? null;
  const videoIndex = v.video !== null && videoDeclined === null ? v.video.index : null;
  if (videoDeclined !== null) {
    countVideoDeclined(request.kind);
    deps.logger.info({ room: room.id, legId: opened.leg.id, reason: videoDeclined }, 'video declined');
  }
  const answerSdp =
    opened.answerSdp ??
    buildAnswer(v.negotiation, {
      origin: { username: 'gatehouse', sessionId: String(deps.wallclock()), sessionVersion: '1' },
      address: deps.mediaAddress,
      port: (p) => (p.index === audio.index ? (opened.localPort ?? 0) : p.index === videoIndex ? (opened.videoPort ?? 0) : 0),
      ptime: 20,
    });
  const sel = decision.sdes;
  const sdes = sel && request.kind === 'sdes' ? { tag: sel.tag, remoteKeySalt: sel.remote.keys[0]?.keySalt ?? new Uint8Array() } : null;
  try {
    // throws when the room cannot serve this leg (e.g. no common codec: 488), before we answer
    deps.media.join(room.id, opened.leg);
  } catch (err) {
    await deps.media.leave(room.id, opened.leg);
    throw err;
  }
  return { ok: true, opened, request, answerSdp, sdes, policy: outcome.policy, audioIndex: audio.index, videoIndex, videoDeclined };
}

/**
 * RFC 3264 8: a later SDP of ours in the same session keeps the o= session id and increments
 * the version. Legs that write their own answer (werift) start a new origin; this puts the
 * previous one back with version + 1. Returns the answer unchanged when either has no o= line.
 */
export function continueOrigin(answerSdp: string, previousSdp: string | null): { readonly sdp: string; readonly version: number } {
  const prev = previousSdp === null ? null : /^o=(\S+) (\S+) (\d+) (.*)$/m.exec(previousSdp);
  const cur = /^o=(\S+) (\S+) (\d+) (.*)$/m.exec(answerSdp);
  if (!prev || !cur) return { sdp: answerSdp, version: 1 };
  const version = Number(prev[3]) + 1;
  return { sdp: answerSdp.replace(cur[0], `o=${prev[1] ?? '-'} ${prev[2] ?? '0'} ${String(version)} ${cur[4] ?? 'IN IP4 0.0.0.0'}`), version };
}
