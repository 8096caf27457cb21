/**
 * The SRTP transform's view of the suite table. The one table (DESIGN.md convention 4) lives in
 * crypto-policy/suites.ts (SDES names, DTLS-SRTP profile ids, lengths, lifetimes, per-mode
 * approval); this module derives the few numbers the per-packet code reads, in the shapes it
 * wants (plain numbers, literal key/salt lengths), and checks the rows once at load.
 *
 * Sources: RFC 3711 s8.2 (AES_CM_128 + HMAC-SHA1; the _32 suites keep an 80-bit SRTCP tag,
 * RFC 4568 s6.2.2), RFC 6188 (AES_256_CM), RFC 7714 s12/s14.2 (AEAD_AES_*_GCM: 96-bit salt,
 * 16-octet tag, profiles 0x0007/0x0008), RFC 5764 s4.1.2 (0x0001/0x0002). Lifetimes: RFC 3711
 * s9.2 and RFC 7714 s14.2 (2^48 SRTP, 2^31 SRTCP packets per master key).
 */
import { SUITES } from '../../../crypto-policy/suites.ts';
import type { SrtpSuite as PolicySuite, SuiteName } from '../../../crypto-policy/suites.ts';
import { GatehouseError } from '../errors.ts';

export type SrtpSuiteName = SuiteName;

export interface SrtpSuite {
  readonly name: SrtpSuiteName;
  /** true: AES-GCM AEAD (RFC 7714); false: AES counter mode + HMAC-SHA1 (RFC 3711/6188). */
  readonly aead: boolean;
  /** Master and session encryption key length in octets. */
  readonly keyLength: 16 | 32;
  /** Master and session salt length in octets (112 bits for AES-CM, 96 bits for GCM). */
  readonly saltLength: 14 | 12;
  /** HMAC-SHA1 session key length in octets; 0 for AEAD. */
  readonly authKeyLength: 20 | 0;
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  /** DTLS-SRTP protection profile id (RFC 5764, RFC 7714), null when none is registered. */
  readonly dtlsProfile: number | null;
  readonly maxSrtpPackets: number;
  readonly maxSrtcpPackets: number;
}

function toTransform(s: PolicySuite): SrtpSuite {
  const { keyLength, saltLength, authKeyLength } = s;
  const fits =
    (keyLength === 16 || keyLength === 32) &&
    (saltLength === (s.aead ? 12 : 14)) &&
    (authKeyLength === (s.aead ? 0 : 20)) &&
    (!s.aead || s.srtpAuthTagLength === 16);
  if (!fits) throw new GatehouseError('internal', 'SRTP_SUITE_TABLE', `suite table row ${s.name} has lengths the SRTP transform does not implement`);
  return Object.freeze({
    name: s.name,
    aead: s.aead,
    keyLength: keyLength as 16 | 32,
    saltLength: saltLength as 14 | 12,
    authKeyLength: authKeyLength as 20 | 0,
    rtpTagLength: s.srtpAuthTagLength,
    rtcpTagLength: s.srtcpAuthTagLength,
    dtlsProfile: s.dtlsProfileId,
    maxSrtpPackets: Number(s.maxLifetimeSrtp),
    maxSrtcpPackets: Number(s.maxLifetimeSrtcp),
  });
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = Object.freeze(
  Object.fromEntries(SUITES.map((s) => [s.name, toTransform(s)])) as Record<SrtpSuiteName, SrtpSuite>,
);

export const SRTP_SUITE_NAMES: readonly SrtpSuiteName[] = Object.freeze(SUITES.map((s) => s.name));

/** Looks a suite up by name; an unknown name is a configuration error, never a fall-through. */
export function srtpSuite(name: string): SrtpSuite {
  const suite = (SRTP_SUITES as Readonly<Record<string, SrtpSuite | undefined>>)[name];
  if (suite === undefined) {
    throw new GatehouseError('config', 'SRTP_UNKNOWN_SUITE', `unknown SRTP suite ${JSON.stringify(name)}; known: ${SRTP_SUITE_NAMES.join(', ')}`);
  }
  return suite;
}

/** The suite for a DTLS-SRTP protection profile id, or undefined when we do not implement it. */
export function srtpSuiteForDtlsProfile(profile: number): SrtpSuite | undefined {
  for (const name of SRTP_SUITE_NAMES) {
    const suite = SRTP_SUITES[name];
    if (suite.dtlsProfile === profile) return suite;
  }
  return undefined;
}
