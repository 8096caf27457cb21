/** Public surface of the SRTP core. */
export { createSrtpSession, SrtpSession } from './session.ts';
export type { SrtpMasterKeyConfig, SrtpSessionConfig } from './config.ts';
export type { SrtpDrop, SrtpDropReason, SrtpOk, SrtpResult } from './result.ts';
export { SRTP_DROP_REASONS } from './result.ts';
export { SRTP_SUITES, SRTP_SUITE_NAMES, srtpSuite, srtpSuiteForDtlsProfile } from './suites.ts';
export type { SrtpSuite, SrtpSuiteName } from './suites.ts';
