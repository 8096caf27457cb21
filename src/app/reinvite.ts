/**
 * A peer's re-INVITE / UPDATE offer on an SDES call (issue 6). Pure: text and plain data in,
 * the answer text and what the media leg must change out. It answers:
 *
 * - Hold/resume (RFC 3264 8.4): the direction is answered per RFC 3264 6.1; c=0.0.0.0 (RFC 2543
 *   style hold) means the peer does not want to receive.
 * - A new SDES key (RFC 4568 7.1.4: a new offer may carry a new key; a changed key is a new
 *   crypto context for that direction, ROC 0 and an empty replay window). When the offer still
 *   holds our current a=crypto tag with the same suite and the same key, nothing about keys
 *   changed and the policy is not asked again. Otherwise the re-offer goes through the SAME
 *   negotiation as an initial offer (`negotiate`, crypto policy + codecs): a re-offer that
 *   would be refused initially gets the same 488 and Warning.
 *     - the policy picks our current tag and suite again: only the peer re-keyed. Our answer
 *       keeps OUR key (and our send context goes on). RFC 4568 7.1.4 allows answering with a new
 *       key too; keeping ours is chosen because keys are per direction (RFC 4568 6.1: each
 *       side's key protects only what that side sends), so a new peer key changes nothing
 *       about the safety of ours, and a peer that updates only the contexts whose keys changed
 *       (linphone does) keeps decrypting our stream without a gap. Known limit: a peer that
 *       rebuilds its receive context on every re-INVITE even for an unchanged key restarts at
 *       ROC 0 and would lose our stream once our ROC is above 0 (after 2^16 packets per SSRC).
 *     - the policy picks another tag or suite: new keys both ways (ours fresh from the
 *       policy's CSPRNG, RFC 4568 6.1), and our answer carries the new a=crypto line.
 * - A new address or port (RFC 3264 8.3.1): the leg sends there and its source latch restarts
 *   there (docs/media-latching.md). RFC 4568 7.1.4 wants a new key with a new address; a move
 *   that keeps the key is accepted anyway (the context simply continues).
 *
 * - The video m-line (its own a=crypto and address, RFC 4568 6): the same rules on its own
 *   stream, and port 0 stops it (reinvite-video.ts); both streams switch in one step.
 *
 * Not supported (488 with a Warning saying so): no audio or a different m-line for it, a switch
 * to DTLS-SRTP, a change of rtcp-mux, dropping the codec we send. The answer is our previous
 * answer with the direction (and a=crypto when it changed) rewritten and the o= version
 * incremented (RFC 3264 8). The result holds key material: never log it.
 */
import { answerDirection, direction, parseSdp, rtcpMux, SdpParseError, serializeCrypto, type Direction } from '../../sdp/index.ts';
import { warningText, type CryptoPolicy, type PeerContext } from '../../crypto-policy/index.ts';
import type { LegRekey } from '../ports/media-plane.ts';
import { negotiateOffer, type OfferOutcome } from './negotiate-offer.ts';
import { sdesLegPlan, type SdesLegPlan } from './sdes-leg-plan.ts';
import { GatehouseError } from '../core/errors.ts';
import { answerVideoReinvite, rewriteVideoSection, type VideoChangeWhat } from './reinvite-video.ts';
import { peerLine, refuse, remoteOf, sameBytes, type ReinviteRefusal } from './reinvite-sdp.ts';

export interface ReinviteContext {
  readonly previousAnswer: string;
  /** Our new o= session version. */
  readonly version: number;
  /** The call's current SDES plan (suite, both keys, the peer's address, formats). */
  readonly plan: SdesLegPlan;
  /** Tag and key||salt of the peer's a=crypto line in force. */
  readonly tag: number;
  readonly remoteKeySalt: Uint8Array;
  /** The initial-offer negotiation (crypto policy + codecs) applied to a re-offer. */
  readonly negotiate: (offerSdp: string) => OfferOutcome;
  /**
   * The peer's SDP our previous answer answered (its video a=crypto and address,
   * reinvite-video.ts); absent or null: a video m-line is left as it is.
   */
  readonly previousOffer?: string | null;
}

export interface ReinviteChange {
  /** What the media leg switches to (MediaLegHandle.rekey). */
  readonly rekey: LegRekey;
  /** The call's plan from now on (stored: the record's srtp and media fields). */
  readonly plan: SdesLegPlan;
  /** The peer's a=crypto line now in force. */
  readonly sdes: { readonly tag: number; readonly remoteKeySalt: Uint8Array };
  /** For the log: which parts changed (never the keys). */
  readonly what: { readonly peerRekeyed: boolean; readonly weRekeyed: boolean; readonly suiteChanged: boolean; readonly moved: boolean } & Partial<VideoChangeWhat>;
}

export type ReinviteOutcome =
  | { readonly ok: true; readonly answer: string; readonly peerDirection: Direction; readonly change: ReinviteChange | null }
  | ReinviteRefusal;

/**
 * The initial-offer negotiation for a re-offer on an SDES leg: same policy, same peer context,
 * same room profile; DTLS is not offered (switching keying mid-call is not supported).
 */
export function reofferNegotiator(policy: CryptoPolicy, peer: PeerContext, profile: string | undefined): ReinviteContext['negotiate'] {
  return (sdp) => negotiateOffer(policy, { sdp, peer, ...(profile === undefined ? {} : { profile }), localFingerprints: [], supportedKeying: { sdes: true, dtls: false } });
}

export function answerReinvite(ctx: ReinviteContext, offerText: string): ReinviteOutcome {
  if (offerText.trim() === '') return refuse('offerless re-INVITE is not supported; send an SDP offer');
  let offer;
  try {
    offer = parseSdp(offerText);
  } catch (err) {
    if (err instanceof SdpParseError) return { ok: false, status: 400, reason: 'Bad Request - Malformed SDP', warning: `399 gatehouse "malformed SDP at line ${err.line}"` };
    throw err;
  }
  const plan = ctx.plan;
  // RFC 3264 8: m-lines keep their order, so the call's audio is at the same index
  const audio = offer.media[plan.mediaIndex];
  if (audio === undefined || audio.mLine.media !== 'audio' || audio.mLine.port === 0) return refuse('re-offer has no active audio stream at its m-line; to end the call send BYE');
  if (plan.rtcpMux && !rtcpMux(audio)) return refuse('turning rtcp-mux off in a re-INVITE is not supported');
  const sendFormat = plan.formats.find((f) => f.name.toLowerCase() !== 'telephone-event' && f.name.toUpperCase() !== 'CN');
  if (sendFormat !== undefined && !audio.mLine.fmts.includes(String(sendFormat.pt))) return refuse(`re-offer drops payload type ${sendFormat.pt}; changing codecs in a re-INVITE is not supported`);

  // keys: unchanged when our tag is still offered with the same suite and key
  const current = peerLine(audio, ctx.tag);
  const keysUnchanged = current !== null && current.suite === plan.suite && sameBytes(current.keySalt, ctx.remoteKeySalt);
  let next: SdesLegPlan = plan;
  let sdes = { tag: ctx.tag, remoteKeySalt: ctx.remoteKeySalt };
  let cryptoLine: string | null = null;
  // the negotiation runs at most once, for audio and video keys alike (reinvite-video.ts)
  let negotiated: OfferOutcome | null = null;
  const negotiate = (): OfferOutcome => (negotiated ??= ctx.negotiate(offerText));
  if (!keysUnchanged) {
    const outcome = negotiate();
    if (!outcome.ok) return { ok: false, status: outcome.status, reason: outcome.reason, warning: outcome.warning };
    const accepted = outcome.plan.media.find((m) => m.index === plan.mediaIndex && m.verdict === 'accept');
    const decision = outcome.policy.media.find((d) => d.index === plan.mediaIndex);
    const sel = decision?.sdes;
    if (accepted === undefined || decision === undefined || accepted.keying?.kind !== 'sdes' || sel === null || sel === undefined) {
      return refuse('re-offer is not acceptable as SDES-SRTP on the call\'s audio stream; switching keying in a re-INVITE is not supported');
    }
    let fresh: SdesLegPlan;
    try {
      fresh = sdesLegPlan(outcome.offer, accepted, decision);
    } catch (err) {
      // e.g. a key||salt too short for the suite: refused like the same initial offer
      if (err instanceof GatehouseError && err.sipStatus !== null) return { ok: false, status: err.sipStatus, reason: err.sipStatus === 400 ? 'Bad Request' : 'Not Acceptable Here', warning: `399 gatehouse "${warningText(err.message)}"` };
      throw err;
    }
    const remoteKeySalt = sel.remote.keys[0]?.keySalt ?? new Uint8Array();
    sdes = { tag: sel.tag, remoteKeySalt };
    if (sel.tag === ctx.tag && fresh.suite === plan.suite) {
      // only the peer re-keyed: our key and our answer's a=crypto stay (header comment)
      next = { ...plan, remoteKey: fresh.remoteKey };
    } else {
      next = { ...plan, suite: fresh.suite, localKey: fresh.localKey, remoteKey: fresh.remoteKey };
      cryptoLine = `a=crypto:${serializeCrypto(sel.answer)}`;
    }
  }

  // address (RFC 3264 8.3.1); c=0.0.0.0 is hold, not a move
  const remote = remoteOf(offer, audio, plan.rtcpMux);
  if (remote === null) return { ok: false, status: 400, reason: 'Bad Request - Malformed SDP', warning: '399 gatehouse "re-offer has no c= for the audio stream"' };
  const holdAddress = remote.address === '0.0.0.0' || remote.address === '::';
  const moved = !holdAddress && (remote.address !== plan.remote.address || remote.rtpPort !== plan.remote.rtpPort || remote.rtcpPort !== plan.remote.rtcpPort);
  if (moved) next = { ...next, remote };

  // RFC 3264 8.4: c=0.0.0.0 means the peer does not want to receive
  const peerDirection: Direction = holdAddress ? 'sendonly' : direction(offer, audio);
  next = { ...next, peerDirection };
  const ours = answerDirection(peerDirection, 'sendrecv');
  // the video m-line, its own a=crypto and address (reinvite-video.ts)
  const v = answerVideoReinvite({ previousAnswer: parseOrNull(ctx.previousAnswer), previousOffer: parseOrNull(ctx.previousOffer ?? null), offer, negotiate });
  if (!v.ok) return v;
  let answer = rewriteAnswer(ctx.previousAnswer, ctx.version, ours, cryptoLine);
  if (v.index !== null) answer = rewriteVideoSection(answer, v.index, v.cryptoLine, v.off);
  const remoteKey = next.remoteKey !== plan.remoteKey;
  const localKey = next.localKey !== plan.localKey;
  if (!remoteKey && !localKey && !moved && v.rekey === null) return { ok: true, answer, peerDirection, change: null };
  const rekey: LegRekey = {
    ...(next.suite === plan.suite ? {} : { suite: next.suite }),
    ...(remoteKey ? { remoteKey: next.remoteKey } : {}),
    ...(localKey ? { localKey: next.localKey } : {}),
    ...(moved ? { remote: next.remote } : {}),
    ...(v.rekey === null ? {} : { video: v.rekey }),
  };
  return { ok: true, answer, peerDirection, change: { rekey, plan: next, sdes, what: { peerRekeyed: remoteKey, weRekeyed: localKey, suiteChanged: next.suite !== plan.suite, moved, ...(v.what ?? {}) } } };
}

/** Our previous answer or the peer's previous SDP, for the video decision; null when unusable. */
function parseOrNull(text: string | null): ReturnType<typeof parseSdp> | null {
  if (text === null) return null;
  try {
    return parseSdp(text);
  } catch (err) {
    if (err instanceof SdpParseError) return null;
    throw err;
  }
}

function rewriteAnswer(answer: string, version: number, dir: Direction, cryptoLine: string | null): string {
  const lines = answer.split('\r\n');
  let inAudio = false;
  let wroteDirection = false;
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('o=')) {
      const parts = l.split(' ');
      parts[2] = String(version);
      out.push(parts.join(' '));
      continue;
    }
    if (l.startsWith('m=')) {
      if (inAudio && !wroteDirection) out.push(`a=${dir}`);
      inAudio = l.startsWith('m=audio ') && !l.startsWith('m=audio 0 ');
      wroteDirection = false;
    }
    if (inAudio && cryptoLine !== null && l.startsWith('a=crypto:')) {
      out.push(cryptoLine);
      continue;
    }
    if (inAudio && /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l)) {
      out.push(`a=${dir}`);
      wroteDirection = true;
      continue;
    }
    if (l === '' && inAudio && !wroteDirection) {
      out.push(`a=${dir}`);
      wroteDirection = true;
    }
    out.push(l);
  }
  return out.join('\r\n');
}
