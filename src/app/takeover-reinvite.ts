/**
 * Takeover re-INVITE for an SDES SIP leg (DESIGN.md "State and takeover"; issue 7). Pure: text
 * and stored data in, text and plain data out; randomness only through the injected `Rng`.
 *
 * The new owner of a call sends the peer a target-refresh re-INVITE (RFC 3261 12.2.1.1 and
 * 14.1: same dialog, next CSeq, our own Contact, which the signalling backend sets on import)
 * whose body is a NEW OFFER built from our previous answer (RFC 3264 8):
 * - `o=` identical except the session version, which goes up by one (RFC 3264 8);
 * - the same m-lines in the same order (RFC 3264 8), rejected ones stay at port 0;
 * - the leg's m-line gets our new port and `c=` our new address (RFC 3264 8.3.1: changing the
 *   address or port moves the media), `a=rtcp` (RFC 3605) follows the new port;
 * - the same codecs and payload types as negotiated (the m= formats of our answer);
 * - `a=crypto` with the same tag and suite and a FRESH key (RFC 4568 7.1.4: a new offer may
 *   carry a new key; the old owner's key is not reused, it may have leaked with the host).
 *   `sdesKey: 'same'` re-offers the stored key instead, for endpoints that never re-key their
 *   receiver on a re-INVITE (observed: baresip 1.0.0 keeps decrypting with the first key it
 *   got and drops every packet under the new one). Our sender still starts a new SSRC with a
 *   random sequence number, so no keystream of the old owner is repeated (RFC 3711 8: the
 *   keystream depends on SSRC and index) unless the random SSRC collides (2^-32);
 * - `a=sendrecv`: what we want; a peer still holding us answers sendonly (RFC 3264 6.1);
 * - `a=ssrc` lines dropped: the new owner sends with a new SSRC;
 * - an accepted SDES video m-line (room legs with video, video-plan.ts) moves the same way to
 *   the video ports the caller bound, with its own a=crypto (takeover-video.ts); without video
 *   ports it is offered with port 0, which stops it (RFC 3264 8.2). Both streams are on the
 *   caller's one media address: the session-level `c=` covers them.
 *
 * `takeoverLegPlan` turns the peer's answer into what a new SDES media leg needs (same shape as
 * `sdesLegPlan` produces for an incoming call). The offer and the plan hold key material:
 * send them, never log them.
 */
import { cryptoLines, connection, direction, offeredCodecs, parseSdp, rtcp, rtcpMux, SdpParseError, serializeCrypto, type CryptoAttribute, type CryptoKeyParam, type SdpLine } from '../../sdp/index.ts';
import { cryptoRng, lookupSuite, masterKeySaltLength, suiteByName, type Rng } from '../../crypto-policy/index.ts';
import type { CallLeg } from '../core/call/call-record.ts';
import type { DialogSnapshot } from '../core/call/dialog-snapshot.ts';
import { GatehouseError } from '../core/errors.ts';
import { srtpSuite, type SrtpMasterKeyConfig, type SrtpSuiteName } from '../core/srtp/index.ts';
import type { MediaEndpoint } from './media-endpoint.ts';
import type { SdesLegPlan } from './sdes-leg-plan.ts';
import { concatBytes as concat, disabledSection, equalBytes, isDirection, keyConfig, rewriteSection, sdpLine as line, TakeoverError, type TakeoverMedia } from './takeover-sdp-parts.ts';
import { buildVideoSection, storedVideoSection, takeoverVideoPlan, type TakeoverVideoOffer, type TakeoverVideoPlan } from './takeover-video.ts';

export { TakeoverError, type TakeoverErrorCode, type TakeoverMedia } from './takeover-sdp-parts.ts';
export { storedVideoOf, type TakeoverVideoOffer, type TakeoverVideoPlan } from './takeover-video.ts';

export interface TakeoverOffer {
  /** The re-INVITE body (application/sdp). Contains our new key: send it, never log it. */
  readonly sdp: string;
  /** The leg's m-line index (same in offer and answer, RFC 3264 6). */
  readonly mediaIndex: number;
  readonly mediaCount: number;
  readonly proto: string;
  readonly sessionVersion: string;
  readonly suite: SrtpSuiteName;
  readonly tag: number;
  /** Our fresh key: what the new leg protects with. */
  readonly localKey: SrtpMasterKeyConfig;
  /** Formats offered (= negotiated before), in our order. */
  readonly formats: MediaEndpoint['formats'];
  readonly rtcpMux: boolean;
  /** The peer's key||salt before takeover, to tell whether its answer kept it. */
  readonly previousRemoteKeySalt: Uint8Array | null;
  /** The video m-line carried over (takeover-video.ts), or null when it is not (port 0). */
  readonly video: TakeoverVideoOffer | null;
}

export interface TakeoverLegPlan extends SdesLegPlan {
  /**
   * The peer answered with the key it used before. Its SRTP stream then continues (sequence
   * numbers and rollover counter, RFC 3711 3.3.1) and a fresh receive context guesses ROC 0:
   * fine for calls under 2^16 packets per SSRC, and the leg must not reject the first packets
   * as replays of a previous context (it has none).
   */
  readonly remoteKeyUnchanged: boolean;
  /** The video stream to start with the leg; null when none was offered or the peer refused it. */
  readonly video: TakeoverVideoPlan | null;
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new TakeoverError('TAKEOVER_BAD_MEDIA', `${what} must be 1..65535`);
}

/** How the takeover offer keys our sending direction (see the header comment). */
export type TakeoverSdesKey = 'new' | 'same';

/**
 * Builds the re-INVITE offer for `leg` moved to `media`. `rng` defaults to node:crypto.
 * `video`: where the new owner receives the leg's video; given, an accepted SDES video m-line
 * of the stored answer is re-offered there (takeover-video.ts), else it is offered with port 0.
 */
export function buildTakeoverOffer(leg: CallLeg, media: TakeoverMedia, rng: Rng = cryptoRng, sdesKey: TakeoverSdesKey = 'new', video: TakeoverMedia | null = null): TakeoverOffer {
  if (leg.srtp === null || leg.srtp.keyExchange !== 'sdes') throw new TakeoverError('TAKEOVER_NOT_SDES', `leg ${leg.legId} is not keyed by SDES; DTLS legs run a new handshake instead`);
  if (leg.localSdp === null) throw new TakeoverError('TAKEOVER_NO_LOCAL_SDP', `leg ${leg.legId} has no stored answer to build the new offer from`);
  if (media.address.length === 0 || /\s/.test(media.address)) throw new TakeoverError('TAKEOVER_BAD_MEDIA', 'media address must be one token');
  checkPort(media.port, 'media port');
  const suite = srtpSuite(leg.srtp.suite); // throws for a name the SRTP core lacks
  let previous;
  try {
    previous = parseSdp(leg.localSdp);
  } catch (err) {
    throw new TakeoverError('TAKEOVER_NO_LOCAL_SDP', `stored answer of leg ${leg.legId} does not parse`, err);
  }
  const accepted = previous.media.filter((m) => m.mLine.port !== 0);
  const section = accepted.find((m) => m.mLine.media === 'audio');
  if (section === undefined) throw new TakeoverError('TAKEOVER_NO_STREAM', 'stored answer has no accepted audio m-line');
  // the video m-line moves with the leg when the caller bound ports for it; any other accepted
  // stream keeps its m-line (RFC 3264 8: never fewer m-lines) with port 0 (RFC 3264 8.2)
  const videoSection = video === null ? null : storedVideoSection(previous);
  if (video !== null) {
    if (video.address.length === 0 || /\s/.test(video.address)) throw new TakeoverError('TAKEOVER_BAD_MEDIA', 'video address must be one token');
    checkPort(video.port, 'video port');
  }
  const ours = cryptoLines(section).filter((l) => l.ok);
  const old = ours[0];
  if (old === undefined || !old.ok || ours.length !== 1) throw new TakeoverError('TAKEOVER_NO_LOCAL_CRYPTO', 'stored answer must hold exactly one a=crypto line on the leg m-line (RFC 4568 7.1.2)');
  const stated = lookupSuite(old.attribute.suite);
  if (!stated.ok || stated.suite.name !== suite.name) throw new TakeoverError('TAKEOVER_NO_LOCAL_CRYPTO', `stored answer's a=crypto suite does not match the stored suite ${suite.name}`);
  const muxed = rtcpMux(section);
  const rtcpPort = muxed ? media.port : (media.rtcpPort ?? media.port + 1);
  checkPort(rtcpPort, 'RTCP port');

  // RFC 4568 6.1: key||salt of the suite's lengths, fresh from the CSPRNG.
  const len = masterKeySaltLength(suiteByName(suite.name));
  const keySalt = sdesKey === 'same' ? concat(leg.srtp.local.masterKey, leg.srtp.local.masterSalt) : rng(len);
  if (!(keySalt instanceof Uint8Array) || keySalt.length !== len) throw new GatehouseError('internal', 'TAKEOVER_RNG_LENGTH', `key generator returned the wrong number of bytes (wanted ${len})`);
  const oldKey: CryptoKeyParam | undefined = old.attribute.keyParams[0];
  const keyParam: CryptoKeyParam = {
    method: 'inline',
    keySalt,
    ...(oldKey?.lifetime === undefined ? {} : { lifetime: oldKey.lifetime }),
    ...(oldKey?.mki === undefined ? {} : { mki: oldKey.mki }),
  };
  const crypto: CryptoAttribute = { tag: old.attribute.tag, suite: old.attribute.suite, keyParams: [keyParam], sessionParams: old.attribute.sessionParams };

  const addrType = media.address.includes(':') ? 'IP6' : 'IP4';
  const version = (BigInt(previous.origin.sessionVersion) + 1n).toString();
  const o = previous.origin;
  const out: SdpLine[] = [];
  for (const l of previous.session.lines) {
    if (l.type === 'o') out.push(line('o', `${o.username} ${o.sessionId} ${version} ${o.netType} ${o.addrType} ${o.address}`));
    else if (l.type === 'c') out.push(line('c', `IN ${addrType} ${media.address}`));
    else if (l.type === 'a' && isDirection(l.value)) continue; // media level says it below
    else out.push(l);
  }
  let videoOffer: TakeoverVideoOffer | null = null;
  for (const m of previous.media) {
    if (m === videoSection && video !== null) {
      const v = buildVideoSection(m, leg.remoteSdp, video, video.address.includes(':') ? 'IP6' : 'IP4', rng, sdesKey);
      out.push(...v.lines);
      videoOffer = v.offer;
      continue;
    }
    if (m !== section) {
      out.push(...(m.mLine.port === 0 ? m.lines : disabledSection(m)));
      continue;
    }
    out.push(...rewriteSection(m, media, addrType, rtcpPort, muxed, serializeCrypto(crypto)));
  }
  const sdp = out.map((l) => `${l.type}=${l.value}\r\n`).join('');

  const formats = offeredCodecs(section).map((c) => ({ pt: c.payloadType, name: c.name, clockRate: c.clockRate, ...(c.channels > 1 ? { channels: c.channels } : {}) }));
  const remote = leg.srtp.remote;
  return {
    sdp,
    mediaIndex: section.index,
    mediaCount: previous.media.length,
    proto: section.mLine.proto,
    sessionVersion: version,
    suite: suite.name,
    tag: crypto.tag,
    localKey: keyConfig(keySalt, suite.keyLength, keyParam),
    formats,
    rtcpMux: muxed,
    previousRemoteKeySalt: concat(remote.masterKey, remote.masterSalt),
    video: videoOffer,
  };
}

/** From the peer's answer to the re-INVITE to what the new SDES media leg needs. */
export function takeoverLegPlan(offer: TakeoverOffer, answerText: string): TakeoverLegPlan {
  let answer;
  try {
    answer = parseSdp(answerText);
  } catch (err) {
    if (err instanceof SdpParseError) throw new TakeoverError('TAKEOVER_ANSWER_MALFORMED', `answer is malformed SDP at line ${err.line ?? '?'}`, err);
    throw err;
  }
  // RFC 3264 6: the answer has exactly as many m-lines as the offer, in the same order.
  if (answer.media.length !== offer.mediaCount) throw new TakeoverError('TAKEOVER_ANSWER_MLINES', `answer has ${answer.media.length} m-lines, the offer had ${offer.mediaCount} (RFC 3264 6)`);
  const section = answer.media[offer.mediaIndex];
  if (section === undefined || section.mLine.port === 0) throw new TakeoverError('TAKEOVER_STREAM_REJECTED', 'the peer rejected the audio stream (port 0)');
  if (section.mLine.proto !== offer.proto) throw new TakeoverError('TAKEOVER_ANSWER_PROTO', `answer proto ${section.mLine.proto} differs from the offered ${offer.proto} (RFC 3264 6)`);

  // RFC 4568 7.1.3: the answer holds one a=crypto with the offered tag and the same suite.
  const chosen = cryptoLines(section).filter((l) => l.ok && l.attribute.tag === offer.tag);
  const crypto = chosen[0];
  if (crypto === undefined || !crypto.ok) throw new TakeoverError('TAKEOVER_ANSWER_NO_CRYPTO', `answer has no a=crypto line with the offered tag ${offer.tag} (RFC 4568 7.1.3)`);
  const found = lookupSuite(crypto.attribute.suite);
  if (!found.ok || found.suite.name !== offer.suite) throw new TakeoverError('TAKEOVER_ANSWER_SUITE', `answer a=crypto suite is not the offered ${offer.suite} (RFC 4568 7.1.3)`);
  const key = crypto.attribute.keyParams[0];
  const suite = srtpSuite(offer.suite);
  const wanted = suite.keyLength + suite.saltLength;
  if (key === undefined || key.keySalt.length !== wanted) throw new TakeoverError('TAKEOVER_ANSWER_KEY_LENGTH', `answer key||salt must be ${wanted} bytes for ${offer.suite} (RFC 4568 6.1)`);

  const c = connection(answer, section);
  if (c === undefined) throw new TakeoverError('TAKEOVER_ANSWER_NO_CONNECTION', 'answer has no c= for the audio stream (RFC 8866 5.7)');
  // RFC 5761 5.1.1: muxed only when offered and accepted.
  const muxed = offer.rtcpMux && rtcpMux(section);
  const rtpPort = section.mLine.port;
  const rtcpPort = muxed ? rtpPort : (rtcp(section)?.port ?? rtpPort + 1);

  // Same PTs as offered (RFC 3264 6.1); formats in the answerer's preference order.
  const byPt = new Map(offer.formats.map((f) => [f.pt, f]));
  const formats = section.mLine.fmts.flatMap((pt) => {
    const f = byPt.get(Number(pt));
    return f === undefined ? [] : [f];
  });
  if (formats.length === 0) throw new TakeoverError('TAKEOVER_NO_COMMON_CODEC', 'answer lists none of the offered payload types');

  const prev = offer.previousRemoteKeySalt;
  return {
    mediaIndex: offer.mediaIndex,
    remote: { address: c.address, rtpPort, rtcpPort },
    formats,
    rtcpMux: muxed,
    peerDirection: direction(answer, section),
    suite: offer.suite,
    localKey: offer.localKey,
    remoteKey: keyConfig(key.keySalt, suite.keyLength, key),
    remoteKeyUnchanged: prev !== null && equalBytes(prev, key.keySalt),
    video: offer.video === null ? null : takeoverVideoPlan(offer.video, answer),
  };
}

/**
 * The leg as the new owner stores it after a successful takeover: our offer and the peer's
 * answer are now the negotiated pair, with the new keys and addresses. Pure.
 */
export function legAfterTakeover(leg: CallLeg, offer: TakeoverOffer, answerText: string, plan: TakeoverLegPlan, media: TakeoverMedia, dialog: DialogSnapshot | null): CallLeg {
  return {
    ...leg,
    dialog,
    localSdp: offer.sdp,
    remoteSdp: answerText,
    srtp: {
      suite: plan.suite,
      keyExchange: 'sdes',
      local: { masterKey: plan.localKey.masterKey, masterSalt: plan.localKey.masterSalt },
      remote: { masterKey: plan.remoteKey.masterKey, masterSalt: plan.remoteKey.masterSalt },
    },
    media: {
      local: { address: media.address, port: media.port, rtcpPort: plan.rtcpMux ? null : (media.rtcpPort ?? media.port + 1) },
      remote: { address: plan.remote.address, port: plan.remote.rtpPort, rtcpPort: plan.rtcpMux ? null : plan.remote.rtcpPort },
      rtcpMux: plan.rtcpMux,
    },
  };
}
