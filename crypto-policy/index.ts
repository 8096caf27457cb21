/**
 * Public surface of the crypto policy (pure: no I/O, no clock). See crypto-policy/README.md.
 */
export { SUITES, SUITE_ALIASES, SUITE_NAMES, POLICY_MODES, lookupSuite, suiteByName, suiteByDtlsProfileId, isSuiteName, masterKeySaltLength } from './suites.ts';
export type { SrtpSuite, SuiteName, PolicyMode, SuiteAlias, SuiteLookup, DtlsProfileLookup } from './suites.ts';
export { profileSchema, tlsSettingsSchema, checkProfile, parseProfile, TLS_GROUPS } from './profile-schema.ts';
export type { Profile, ProfileCheck, TlsGroup } from './profile-schema.ts';
export { BUILTIN_PROFILES, DEFAULT_PROFILE_NAME } from './builtin-profiles.ts';
export { PolicyConfigError, PolicyRejectError, warningText } from './errors.ts';
export type { ConfigIssue, PolicyRejectCode } from './errors.ts';
export { parseIp, parseCidr, cidrContains } from './cidr.ts';
export type { IpAddress, Cidr } from './cidr.ts';
export { overrideRuleSchema, checkOverrideRules, matchOverride, parseSubject } from './peer-overrides.ts';
export type { PeerContext, OverrideRule, OverrideMatch } from './peer-overrides.ts';
export type { MediaOffer, OfferedFingerprint, SetupRole } from './media-offer.ts';
export { selectSdes, MAX_CRYPTO_LINES, MAX_KEY_PARAMS, MAX_MKI_LENGTH } from './sdes-select.ts';
export type { Rng, SdesSelection, SdesOutcome, CryptoLineVerdict, LineStatus, RemoteSdesParams } from './sdes-select.ts';
export { selectDtls, chooseDtlsSrtpProfile, ACCEPTED_FINGERPRINT_HASHES } from './dtls-select.ts';
export type { DtlsSelection, DtlsOutcome, DtlsProfileChoice } from './dtls-select.ts';
export { decideMedia, classifyTransport } from './media-decision.ts';
export type { MediaDecision, MediaKeying, TransportClass } from './media-decision.ts';
export { negotiate, negotiateOrThrow, dtlsNegotiated, cryptoRng } from './negotiate.ts';
export type { Negotiation, NegotiateInput, ProfileChoice, SrtpDowngradeEvent, NegotiationMetricLabels, DtlsNegotiated } from './negotiate.ts';
export { CryptoPolicy, createCryptoPolicy } from './policy.ts';
export type { CryptoPolicyConfig, ProfileLookup } from './policy.ts';
export { mediaOffersFromSdp, keyingDecision, keyingDeciderFor } from './sdp-bridge.ts';
export { explanationJson, explanationText } from './explanation.ts';
export type { ExplanationJson } from './explanation.ts';
