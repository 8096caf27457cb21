/** Public surface of the SDP library (pure: no I/O, no clock). */
export { SdpParseError } from './errors.ts';
export type { SdpErrorCode } from './errors.ts';
export { DEFAULT_SDP_LIMITS } from './model.ts';
export type { Connection, Direction, MediaLine, MediaSection, Origin, SdpLimits, SdpLine, SdpSection, SessionDescription } from './model.ts';
export { parseSdp } from './parse.ts';
export { serializeSdp } from './serialize.ts';
export {
  attributes,
  bundleGroups,
  connection,
  direction,
  firstAttribute,
  fmtps,
  groups,
  hasAttribute,
  mid,
  ptime,
  rtcp,
  rtcpFbs,
  rtcpMux,
  rtpMaps,
  ssrcGroups,
  ssrcs,
} from './attributes.ts';
export type { AttributeLine, Fmtp, Group, RtcpAttribute, RtcpFb, RtpMap, SsrcAttribute, SsrcGroup } from './attributes.ts';
export { candidates, endOfCandidates, iceLite, iceOptions, icePwd, iceUfrag, parseCandidate, serializeCandidate } from './ice.ts';
export type { IceCandidate } from './ice.ts';
export { fingerprints, parseFingerprint, serializeFingerprint, setup } from './dtls.ts';
export type { Fingerprint, SetupRole } from './dtls.ts';
export { cryptoLines, parseCrypto, serializeCrypto } from './crypto.ts';
export type { CryptoLine } from './crypto.ts';
export type { CryptoAttribute, CryptoKeyParam, CryptoSessionParam } from './crypto-attribute.ts';
export { offeredCodecs } from './codecs.ts';
export type { OfferedCodec } from './codecs.ts';
export { classifyProto, findDualPairs, securityOffers } from './security-offer.ts';
export type { KeyingMethod, MediaSecurityOffer, TransportClass } from './security-offer.ts';
export { answerDirection, negotiate, offeredDirection } from './offer-answer.ts';
export type { KeyingDecider, KeyingDecision, LocalCapabilities, LocalCodec, MediaAnswerPlan, NegotiatedCodec, Negotiation } from './offer-answer-types.ts';
export { buildAnswer } from './answer-builder.ts';
export type { AnswerIce, AnswerParams } from './answer-builder.ts';
