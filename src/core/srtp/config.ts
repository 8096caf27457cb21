/**
 * Session configuration and its one-time validation. Bad configuration is the only thing this
 * core throws for (GatehouseError category 'config'); bad packets are results.
 */
import { GatehouseError } from '../errors.ts';
import { srtpSuite } from './suites.ts';
import type { SrtpSuite, SrtpSuiteName } from './suites.ts';

export interface SrtpMasterKeyConfig {
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
  /** Master Key Identifier carried in every packet of the session (RFC 3711 s3.1); 1..128 octets. */
  readonly mki?: Uint8Array;
  /** Signalled key lifetime in packets (RFC 4568 s6.1 `|2^31`); capped by the suite maximum. */
  readonly lifetime?: number;
}

export interface SrtpSessionConfig extends SrtpMasterKeyConfig {
  readonly suite: SrtpSuiteName;
  /**
   * More master keys accepted on unprotect, told apart by MKI (RFC 3711 s8.1 re-keying, RFC
   * 4568 several a=crypto keys). Requires `mki` on every key, all of the same length.
   */
  readonly additionalKeys?: readonly SrtpMasterKeyConfig[];
  /** Replay window size in packets (RFC 3711 s3.3.2: at least 64). Default 128. */
  readonly replayWindow?: number;
  /** Key derivation rate (RFC 3711 s4.3.1): 0 or a power of two up to 2^24. Default 0. */
  readonly kdr?: number;
  /**
   * Maximum SSRCs per direction and protocol (memory bound; inbound streams are only created by
   * authenticated packets). Default 256: a guest receiving a room as tracks (audio, video, RTX
   * per participant) easily needs more than 64.
   */
  readonly maxStreams?: number;
  /**
   * Allow protect() to reuse an SRTP index (libsrtp `allow_repeat_tx`). Off by default: with
   * GCM a repeated IV under the same key reveals the XOR of plaintexts and the GHASH key.
   */
  readonly allowRepeatTx?: boolean;
  /** Rollover counter a new stream starts with (RFC 3711 s3.3.1; e.g. after a restart). Default 0. */
  readonly initialRoc?: number;
}

export interface ValidatedKey {
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
  readonly mki: Uint8Array | null;
  readonly lifetime: number;
}

export interface ValidatedConfig {
  readonly suite: SrtpSuite;
  readonly keys: readonly ValidatedKey[];
  readonly mkiLength: number;
  readonly replayWindow: number;
  readonly kdr: number;
  readonly maxStreams: number;
  readonly allowRepeatTx: boolean;
  readonly initialRoc: number;
}

function bad(code: string, message: string): GatehouseError {
  return new GatehouseError('config', code, message);
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function validateKey(suite: SrtpSuite, k: SrtpMasterKeyConfig, what: string): ValidatedKey {
  // Messages state lengths, never key material (DESIGN.md: no key in a log).
  if (!isBytes(k.masterKey) || k.masterKey.length !== suite.keyLength) {
    throw bad('SRTP_BAD_KEY_LENGTH', `${what}: ${suite.name} needs a ${suite.keyLength}-octet master key`);
  }
  if (!isBytes(k.masterSalt) || k.masterSalt.length !== suite.saltLength) {
    throw bad('SRTP_BAD_SALT_LENGTH', `${what}: ${suite.name} needs a ${suite.saltLength}-octet master salt`);
  }
  if (k.mki !== undefined && (!isBytes(k.mki) || k.mki.length < 1 || k.mki.length > 128)) {
    throw bad('SRTP_BAD_MKI', `${what}: MKI must be 1..128 octets`);
  }
  const max = Math.min(suite.maxSrtpPackets, 2 ** 48);
  const lifetime = k.lifetime ?? max;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1) throw bad('SRTP_BAD_LIFETIME', `${what}: lifetime must be a positive integer`);
  return { masterKey: k.masterKey, masterSalt: k.masterSalt, mki: k.mki ?? null, lifetime: Math.min(lifetime, max) };
}

export function validateConfig(c: SrtpSessionConfig): ValidatedConfig {
  const suite = srtpSuite(c.suite);
  const keys = [validateKey(suite, c, 'master key'), ...(c.additionalKeys ?? []).map((k, i) => validateKey(suite, k, `additional key ${i}`))];
  const first = keys[0];
  const mkiLength = first?.mki?.length ?? 0;
  if (keys.length > 1 && mkiLength === 0) throw bad('SRTP_MKI_REQUIRED', 'several master keys need an MKI on each');
  for (const k of keys) {
    if ((k.mki?.length ?? 0) !== mkiLength) throw bad('SRTP_BAD_MKI', 'all master keys of a session need MKIs of the same length');
  }
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = keys[i]?.mki;
      const b = keys[j]?.mki;
      if (a && b && Buffer.compare(a, b) === 0) throw bad('SRTP_DUPLICATE_MKI', `master keys ${i} and ${j} share an MKI`);
    }
  }
  const replayWindow = c.replayWindow ?? 128;
  if (!Number.isSafeInteger(replayWindow) || replayWindow < 64 || replayWindow > 32768) {
    throw bad('SRTP_BAD_REPLAY_WINDOW', 'replayWindow must be an integer in 64..32768 (RFC 3711 s3.3.2)');
  }
  const kdr = c.kdr ?? 0;
  if (!(kdr === 0 || (Number.isSafeInteger(kdr) && kdr > 0 && kdr <= 2 ** 24 && (kdr & (kdr - 1)) === 0))) {
    throw bad('SRTP_BAD_KDR', 'kdr must be 0 or a power of two up to 2^24 (RFC 3711 s4.3.1)');
  }
  const maxStreams = c.maxStreams ?? 256;
  if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) throw bad('SRTP_BAD_MAX_STREAMS', 'maxStreams must be a positive integer');
  const initialRoc = c.initialRoc ?? 0;
  if (!Number.isSafeInteger(initialRoc) || initialRoc < 0 || initialRoc > 0xffffffff) throw bad('SRTP_BAD_ROC', 'initialRoc must be a 32-bit unsigned integer');
  return { suite, keys, mkiLength, replayWindow, kdr, maxStreams, allowRepeatTx: c.allowRepeatTx ?? false, initialRoc };
}
