/**
 * The video m-line of an SDES SIP leg in a takeover re-INVITE (takeover-reinvite.ts carries the
 * audio one). Pure: stored SDPs and the new port in, offer lines and plain data out; randomness
 * only through the injected `Rng`.
 *
 * A room leg's video m-line is keyed by its own `a=crypto` (RFC 4568 6: keys are per m-line)
 * on its own ports (video-plan.ts, sdes-video.ts). The call record needs nothing more for it:
 * our previous answer (CallLeg.localSdp, sealed) holds our video key in its video `a=crypto`,
 * the peer's SDP (CallLeg.remoteSdp, sealed) the peer's, and both are replaced by the takeover
 * offer and answer afterwards (legAfterTakeover), so a second takeover finds them again.
 *
 * The re-offer (RFC 3264 8: same m-lines, same order) keeps the video m-line accepted with:
 * - our new video port (RFC 3264 8.3.1: a new port moves the stream), `a=rtcp` following it;
 * - the same tag and suite, and a FRESH key (RFC 4568 7.1.4), or with `sdesKey: 'same'` the key
 *   of our stored video `a=crypto` (baresip 1.0 keeps its first receive key per stream);
 * - the same payload types and `a=rtcp-fb` lines as negotiated (our stored answer's);
 * - `a=sendrecv`, no `a=ssrc` (the new owner's sender has a new SSRC).
 * A peer may refuse the video in its answer (port 0, RFC 3264 8.2): the leg goes on with audio.
 */
import { connection, cryptoLines, direction, offeredCodecs, rtcp, rtcpMux, serializeCrypto, type CryptoAttribute, type CryptoKeyParam, type MediaSection, type SdpLine, type SessionDescription } from '../../sdp/index.ts';
import { lookupSuite, masterKeySaltLength, suiteByName, type Rng } from '../../crypto-policy/index.ts';
import { GatehouseError } from '../core/errors.ts';
import { srtpSuite, type SrtpMasterKeyConfig, type SrtpSuiteName } from '../core/srtp/index.ts';
import { parseSdp } from '../../sdp/index.ts';
import type { CallLeg } from '../core/call/call-record.ts';
import { equalBytes, keyConfig, rewriteSection, TakeoverError, type TakeoverMedia } from './takeover-sdp-parts.ts';
import { videoFeedbackOf, videoFormatOf, type VideoFeedback, type VideoFormat, type VideoLegPlan } from './video-plan.ts';

/** What the video part of a takeover offer needs to read the peer's answer. Holds our key. */
export interface TakeoverVideoOffer {
  /** The video m-line's index (same in offer and answer, RFC 3264 6). */
  readonly mediaIndex: number;
  readonly proto: string;
  readonly suite: SrtpSuiteName;
  readonly tag: number;
  /** The key our video sender protects with from now on. */
  readonly localKey: SrtpMasterKeyConfig;
  /** Video formats offered (= negotiated before), in our order, with the feedback negotiated. */
  readonly formats: readonly VideoFormat[];
  readonly feedback: VideoFeedback;
  readonly rtcpMux: boolean;
  /** The peer's video key||salt before takeover (from the stored remote SDP), or null. */
  readonly previousRemoteKeySalt: Uint8Array | null;
}

/** An SDES video stream's plan after takeover; `remoteKeyUnchanged` as for audio. */
export interface TakeoverVideoPlan extends VideoLegPlan {
  readonly remoteKeyUnchanged: boolean;
}

const isSdesProto = (proto: string): boolean => /^RTP\/SAVPF?$/i.test(proto);

/**
 * The accepted SDES video m-line of our stored answer (port > 0, RTP/SAVP(F), exactly one
 * a=crypto: RFC 4568 7.1.2), or null when there is none that can be carried over.
 */
export function storedVideoSection(previous: SessionDescription): MediaSection | null {
  const video = previous.media.find((m) => m.mLine.port !== 0 && m.mLine.media === 'video');
  if (video === undefined || !isSdesProto(video.mLine.proto)) return null;
  const ours = cryptoLines(video).filter((l) => l.ok);
  if (ours.length !== 1 || cryptoLines(video).length !== 1) return null;
  return video;
}

/**
 * Whether the leg's stored answer has an SDES video stream a takeover carries over, and whether
 * it was rtcp-muxed (so the new owner binds the right sockets before building the offer).
 */
export function storedVideoOf(leg: CallLeg): { readonly rtcpMux: boolean } | null {
  if (leg.srtp?.keyExchange !== 'sdes' || leg.localSdp === null) return null;
  let previous;
  try {
    previous = parseSdp(leg.localSdp);
  } catch {
    return null; // buildTakeoverOffer reports the unusable answer
  }
  const section = storedVideoSection(previous);
  return section === null ? null : { rtcpMux: rtcpMux(section) };
}

/**
 * The video m-line of the new offer and what reading the answer needs. `section` is the stored
 * answer's video m-line (storedVideoSection), `remoteSdp` the stored peer SDP it answered.
 */
export function buildVideoSection(
  section: MediaSection,
  remoteSdp: string | null,
  media: TakeoverMedia,
  addrType: string,
  rng: Rng,
  sdesKey: 'new' | 'same',
): { readonly lines: SdpLine[]; readonly offer: TakeoverVideoOffer } {
  const old = cryptoLines(section)[0];
  if (old === undefined || !old.ok) throw new TakeoverError('TAKEOVER_NO_LOCAL_CRYPTO', 'stored answer must hold exactly one a=crypto line on the video m-line (RFC 4568 7.1.2)');
  const found = lookupSuite(old.attribute.suite);
  if (!found.ok) throw new TakeoverError('TAKEOVER_NO_LOCAL_CRYPTO', 'stored answer\'s video a=crypto names no suite this gateway knows');
  const suite = srtpSuite(found.suite.name);
  const oldKey: CryptoKeyParam | undefined = old.attribute.keyParams[0];
  const len = masterKeySaltLength(suiteByName(suite.name));
  if (oldKey === undefined || oldKey.keySalt.length !== len) throw new TakeoverError('TAKEOVER_NO_LOCAL_CRYPTO', `stored answer's video key||salt is not ${len} bytes (RFC 4568 6.1)`);
  const keySalt = sdesKey === 'same' ? oldKey.keySalt.slice() : rng(len);
  if (!(keySalt instanceof Uint8Array) || keySalt.length !== len) throw new GatehouseError('internal', 'TAKEOVER_RNG_LENGTH', `key generator returned the wrong number of bytes (wanted ${len})`);
  const keyParam: CryptoKeyParam = {
    method: 'inline',
    keySalt,
    ...(oldKey.lifetime === undefined ? {} : { lifetime: oldKey.lifetime }),
    ...(oldKey.mki === undefined ? {} : { mki: oldKey.mki }),
  };
  const crypto: CryptoAttribute = { tag: old.attribute.tag, suite: old.attribute.suite, keyParams: [keyParam], sessionParams: old.attribute.sessionParams };
  const muxed = rtcpMux(section);
  const rtcpPort = muxed ? media.port : (media.rtcpPort ?? media.port + 1);
  if (!Number.isInteger(rtcpPort) || rtcpPort < 1 || rtcpPort > 65535) throw new TakeoverError('TAKEOVER_BAD_MEDIA', 'video RTCP port must be 1..65535');

  const codecs = offeredCodecs(section).map((c) => ({ payloadType: c.payloadType, name: c.name, clockRate: c.clockRate, channels: c.channels, fmtp: c.fmtp?.raw, rtcpFb: c.rtcpFb }));
  const formats = codecs.filter((c) => c.clockRate === 90000 && ['vp8', 'h264'].includes(c.name.toLowerCase())).map(videoFormatOf);
  if (formats.length === 0) throw new TakeoverError('TAKEOVER_NO_STREAM', 'stored video m-line has no VP8 or H.264 payload type');
  return {
    lines: rewriteSection(section, media, addrType, rtcpPort, muxed, serializeCrypto(crypto)),
    offer: {
      mediaIndex: section.index,
      proto: section.mLine.proto,
      suite: suite.name,
      tag: crypto.tag,
      localKey: keyConfig(keySalt, suite.keyLength, keyParam),
      formats,
      feedback: videoFeedbackOf(codecs),
      rtcpMux: muxed,
      previousRemoteKeySalt: previousRemoteVideoKey(remoteSdp, section.index, crypto.tag),
    },
  };
}

/** The peer's key||salt on the video m-line with our tag in the stored remote SDP, or null. */
function previousRemoteVideoKey(remoteSdp: string | null, index: number, tag: number): Uint8Array | null {
  if (remoteSdp === null) return null;
  try {
    const section = parseSdp(remoteSdp).media[index];
    if (section === undefined) return null;
    const line = cryptoLines(section).find((l) => l.ok && l.attribute.tag === tag);
    return line?.ok ? (line.attribute.keyParams[0]?.keySalt ?? null) : null;
  } catch {
    return null; // only decides whether stored SRTP indexes apply
  }
}

/**
 * The video stream from the peer's answer (RFC 3264 6, RFC 4568 7.1.3), or null when the peer
 * refused it (port 0, RFC 3264 8.2: the call goes on with audio). An accepted video m-line the
 * answer keys or addresses wrongly is a broken answer: TakeoverError, as for audio.
 */
export function takeoverVideoPlan(offer: TakeoverVideoOffer, answer: SessionDescription): TakeoverVideoPlan | null {
  const section = answer.media[offer.mediaIndex];
  if (section === undefined || section.mLine.port === 0) return null;
  if (section.mLine.media !== 'video') throw new TakeoverError('TAKEOVER_ANSWER_MLINES', `answer m-line ${offer.mediaIndex} is not the offered video (RFC 3264 6)`);
  if (section.mLine.proto !== offer.proto) throw new TakeoverError('TAKEOVER_ANSWER_PROTO', `answer video proto ${section.mLine.proto} differs from the offered ${offer.proto} (RFC 3264 6)`);
  const crypto = cryptoLines(section).find((l) => l.ok && l.attribute.tag === offer.tag);
  if (crypto === undefined || !crypto.ok) throw new TakeoverError('TAKEOVER_ANSWER_NO_CRYPTO', `answer has no video a=crypto line with the offered tag ${offer.tag} (RFC 4568 7.1.3)`);
  const found = lookupSuite(crypto.attribute.suite);
  if (!found.ok || found.suite.name !== offer.suite) throw new TakeoverError('TAKEOVER_ANSWER_SUITE', `answer video a=crypto suite is not the offered ${offer.suite} (RFC 4568 7.1.3)`);
  const key = crypto.attribute.keyParams[0];
  const suite = srtpSuite(offer.suite);
  const wanted = suite.keyLength + suite.saltLength;
  if (key === undefined || key.keySalt.length !== wanted) throw new TakeoverError('TAKEOVER_ANSWER_KEY_LENGTH', `answer video key||salt must be ${wanted} bytes for ${offer.suite} (RFC 4568 6.1)`);
  const c = connection(answer, section);
  if (c === undefined) throw new TakeoverError('TAKEOVER_ANSWER_NO_CONNECTION', 'answer has no c= for the video stream (RFC 8866 5.7)');
  const muxed = offer.rtcpMux && rtcpMux(section); // RFC 5761 5.1.1
  const rtpPort = section.mLine.port;
  const rtcpPort = muxed ? rtpPort : (rtcp(section)?.port ?? rtpPort + 1);
  const byPt = new Map(offer.formats.map((f) => [f.pt, f]));
  const formats = section.mLine.fmts.flatMap((pt) => {
    const f = byPt.get(Number(pt));
    return f === undefined ? [] : [f];
  });
  if (formats.length === 0) throw new TakeoverError('TAKEOVER_NO_COMMON_CODEC', 'answer lists none of the offered video payload types');
  const prev = offer.previousRemoteKeySalt;
  return {
    index: offer.mediaIndex,
    formats,
    feedback: offer.feedback,
    sdes: {
      mediaIndex: offer.mediaIndex,
      remote: { address: c.address, rtpPort, rtcpPort },
      formats: formats.map((f) => ({ pt: f.pt, name: f.name, clockRate: f.clockRate })),
      rtcpMux: muxed,
      peerDirection: direction(answer, section),
      suite: offer.suite,
      localKey: offer.localKey,
      remoteKey: keyConfig(key.keySalt, suite.keyLength, key),
    },
    remoteKeyUnchanged: prev !== null && equalBytes(prev, key.keySalt),
  };
}
