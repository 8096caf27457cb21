/**
 * The video m-line of a peer's re-offer on an SDES call (reinvite.ts answers the audio one).
 * Pure: the parsed SDPs in, what the leg's video stream must change and how our answer's video
 * section is rewritten out. The video m-line has its own a=crypto (RFC 4568 6: keys are per
 * m-line) and its own SRTP stream (video-plan.ts, sdes-video.ts), so the audio rules apply to it
 * on their own:
 *
 * - A changed video key (RFC 4568 7.1.4: a new crypto context for that direction, ROC 0). The
 *   peer's line with our tag, same suite and same key as before: nothing changed, the policy is
 *   not asked. Otherwise the re-offer runs the initial negotiation (as audio); the policy picks
 *   our tag and suite again: only the peer re-keyed, our video key and a=crypto stay
 *   (reinvite.ts says why); another tag or suite: new keys both ways and a new a=crypto line in
 *   our answer. A video section the negotiation would not accept as SDES (e.g. only a suite
 *   the policy refuses) gets 488 with the reason, like such an audio re-offer; the call goes
 *   on unchanged (an initial offer would have had its video declined instead).
 * - A new video address or port (RFC 3264 8.3.1): the video stream sends there and its latch
 *   restarts there; c=0.0.0.0 is hold, not a move.
 * - Port 0 (RFC 3264 8.2): the peer disables the video stream; our answer's video m-line gets
 *   port 0 too (RFC 3264 6) and the stream is stopped. Re-enabling it later is not supported:
 *   the answer keeps port 0 (a valid decline).
 *
 * What was in force before is read from our previous answer (our tag, suite and key) and the
 * peer's previous SDP (its key and address): the call record keeps both (takeover-video.ts).
 * Without the peer's previous SDP nothing about video is changed (as before this module).
 * A video m-line we declined or never had is left as it is. The result holds key material.
 */
import { cryptoLines, rtcpMux, serializeCrypto, type SessionDescription } from '../../sdp/index.ts';
import { lookupSuite, warningText } from '../../crypto-policy/index.ts';
import { GatehouseError } from '../core/errors.ts';
import type { LegStreamRekey } from '../ports/media-plane.ts';
import type { OfferOutcome } from './negotiate-offer.ts';
import { peerLine, refuse, remoteOf, sameBytes, type ReinviteRefusal } from './reinvite-sdp.ts';
import { sdesLegPlan, type SdesLegPlan } from './sdes-leg-plan.ts';

export interface VideoReinviteInput {
  /** Our previous answer, parsed; null when unusable (then nothing about video changes). */
  readonly previousAnswer: SessionDescription | null;
  /** The peer's previous SDP (offer or re-offer we answered), parsed; null when unknown. */
  readonly previousOffer: SessionDescription | null;
  readonly offer: SessionDescription;
  /** The initial-offer negotiation of this re-offer (run at most once, shared with audio). */
  readonly negotiate: () => OfferOutcome;
}

export interface VideoChangeWhat {
  readonly videoPeerRekeyed: boolean;
  readonly videoWeRekeyed: boolean;
  readonly videoSuiteChanged: boolean;
  readonly videoMoved: boolean;
  readonly videoStopped: boolean;
}

export type VideoReinviteOutcome =
  | {
      readonly ok: true;
      /** The video m-line's index, or null when the call has no running SDES video. */
      readonly index: number | null;
      /** What the leg's video stream changes (MediaLegHandle.rekey `video`), or null: nothing. */
      readonly rekey: LegStreamRekey | 'stop' | null;
      /** The a=crypto line our answer's video section carries from now on; null: unchanged. */
      readonly cryptoLine: string | null;
      /** Our answer's video m-line goes to port 0. */
      readonly off: boolean;
      readonly what: VideoChangeWhat | null;
    }
  | ReinviteRefusal;

const NOTHING: Extract<VideoReinviteOutcome, { ok: true }> = { ok: true, index: null, rekey: null, cryptoLine: null, off: false, what: null };

export function answerVideoReinvite(input: VideoReinviteInput): VideoReinviteOutcome {
  // the call's running SDES video: our answer's accepted video m-line with our one a=crypto
  const ours = input.previousAnswer?.media.find((m) => m.mLine.media === 'video' && m.mLine.port !== 0);
  if (ours === undefined || input.previousOffer === null) return NOTHING;
  const ourLine = cryptoLines(ours).find((l) => l.ok);
  if (ourLine === undefined || !ourLine.ok) return NOTHING;
  const ourSuite = lookupSuite(ourLine.attribute.suite);
  if (!ourSuite.ok) return NOTHING;
  const index = ours.index;
  const before = input.previousOffer.media[index];
  const video = input.offer.media[index];
  // RFC 3264 8: m-lines are never removed, and keep their kind
  if (video === undefined || video.mLine.media !== 'video') return refuse('re-offer removes or replaces the video m-line; to stop video offer it with port 0');
  if (video.mLine.port === 0) {
    return { ok: true, index, rekey: 'stop', cryptoLine: null, off: true, what: { videoPeerRekeyed: false, videoWeRekeyed: false, videoSuiteChanged: false, videoMoved: false, videoStopped: true } };
  }
  if (before === undefined || before.mLine.media !== 'video') return NOTHING;
  const muxed = rtcpMux(ours);
  if (muxed && !rtcpMux(video)) return refuse('turning rtcp-mux off on the video stream in a re-INVITE is not supported');

  const tag = ourLine.attribute.tag;
  const was = peerLine(before, tag);
  const now = peerLine(video, tag);
  const keysUnchanged = was !== null && now !== null && now.suite === ourSuite.suite.name && was.suite === now.suite && sameBytes(was.keySalt, now.keySalt);
  let rekey: LegStreamRekey = {};
  let cryptoLine: string | null = null;
  let peerRekeyed = false;
  let weRekeyed = false;
  let suiteChanged = false;
  if (!keysUnchanged) {
    const outcome = input.negotiate();
    if (!outcome.ok) return { ok: false, status: outcome.status, reason: outcome.reason, warning: outcome.warning };
    const accepted = outcome.plan.media.find((m) => m.index === index && m.verdict === 'accept');
    const decision = outcome.policy.media.find((d) => d.index === index);
    const sel = decision?.sdes;
    if (accepted === undefined || accepted.kind !== 'video' || decision === undefined || accepted.keying?.kind !== 'sdes' || sel === null || sel === undefined) {
      // the call stays as it was (488): the peer may retry, or offer port 0 to stop video
      const why = outcome.plan.media.find((m) => m.index === index)?.reasons[0];
      return refuse(why === undefined ? 'video re-offer is not acceptable as SDES-SRTP; switching keying in a re-INVITE is not supported' : warningText(`video re-offer not acceptable: ${why}`));
    }
    let fresh: SdesLegPlan;
    try {
      fresh = sdesLegPlan(outcome.offer, accepted, decision);
    } catch (err) {
      if (err instanceof GatehouseError && err.sipStatus !== null) return { ok: false, status: err.sipStatus, reason: err.sipStatus === 400 ? 'Bad Request' : 'Not Acceptable Here', warning: `399 gatehouse "${warningText(err.message)}"` };
      throw err;
    }
    peerRekeyed = true;
    if (sel.tag === tag && fresh.suite === ourSuite.suite.name) {
      // only the peer re-keyed its direction: our video key and a=crypto stay (reinvite.ts)
      rekey = { remoteKey: fresh.remoteKey };
    } else {
      weRekeyed = true;
      suiteChanged = fresh.suite !== ourSuite.suite.name;
      rekey = { ...(suiteChanged ? { suite: fresh.suite } : {}), remoteKey: fresh.remoteKey, localKey: fresh.localKey };
      cryptoLine = `a=crypto:${serializeCrypto(sel.answer)}`;
    }
  }

  // address (RFC 3264 8.3.1); c=0.0.0.0 / :: is hold, not a move
  const next = remoteOf(input.offer, video, muxed);
  if (next === null) return { ok: false, status: 400, reason: 'Bad Request - Malformed SDP', warning: '399 gatehouse "re-offer has no c= for the video stream"' };
  const hold = next.address === '0.0.0.0' || next.address === '::';
  const prev = remoteOf(input.previousOffer, before, muxed);
  const moved = !hold && (prev === null || prev.address !== next.address || prev.rtpPort !== next.rtpPort || prev.rtcpPort !== next.rtcpPort);
  if (moved) rekey = { ...rekey, remote: next };
  if (!peerRekeyed && !moved) return { ...NOTHING, index };
  return { ok: true, index, rekey, cryptoLine, off: false, what: { videoPeerRekeyed: peerRekeyed, videoWeRekeyed: weRekeyed, videoSuiteChanged: suiteChanged, videoMoved: moved, videoStopped: false } };
}

/**
 * Our answer with its `index`-th m-line (the video one) rewritten: the a=crypto line replaced,
 * or, `off`, the port set to 0 (RFC 3264 6) and its a=crypto dropped (no key for a stream that
 * does not exist). Every other line is kept byte for byte.
 */
export function rewriteVideoSection(answer: string, index: number, cryptoLine: string | null, off: boolean): string {
  if (cryptoLine === null && !off) return answer;
  let m = -1;
  const out: string[] = [];
  for (const l of answer.split('\r\n')) {
    if (l.startsWith('m=')) m++;
    const inVideo = m === index;
    if (inVideo && off && l.startsWith('m=')) {
      const parts = l.split(' ');
      parts[1] = '0';
      out.push(parts.join(' '));
      continue;
    }
    if (inVideo && l.startsWith('a=crypto:')) {
      if (!off && cryptoLine !== null) out.push(cryptoLine);
      continue;
    }
    out.push(l);
  }
  return out.join('\r\n');
}
