/**
 * What a call record keeps of a DTLS-SRTP SIP leg's association so that a new owner can
 * continue it (issue 7; src/app/takeover-dtls.ts): the SRTP master keys and salts the
 * handshake exported (RFC 5764 4.2, `srtp` with keyExchange 'dtls-srtp'), our certificate and
 * private key, our role and both fingerprints (`dtls`). Keys, salts and the private key are
 * sealed before they reach the store (CALL_SECRET_PATHS). Pure.
 */
import { ACCEPTED_FINGERPRINT_HASHES, type CryptoPolicy, type PeerContext } from '../../crypto-policy/index.ts';
import { suiteByName } from '../../crypto-policy/index.ts';
import { parseFingerprint, serializeFingerprint, type Fingerprint } from '../../sdp/index.ts';
import type { CallLeg } from '../core/call/call-record.ts';
import { GatehouseError } from '../core/errors.ts';
import { srtpSuite, type SrtpMasterKeyConfig, type SrtpSuiteName } from '../core/srtp/index.ts';
import type { DtlsLegSecrets, StoredDtlsIdentity } from '../ports/media-plane.ts';

/** A stored association, ready to resume. Secret. */
export interface StoredAssociation {
  readonly suite: SrtpSuiteName;
  readonly role: 'server' | 'client';
  readonly local: SrtpMasterKeyConfig;
  readonly remote: SrtpMasterKeyConfig;
  readonly identity: StoredDtlsIdentity;
  readonly localFingerprint: Fingerprint;
  readonly remoteFingerprint: Fingerprint | null;
}

/** The record fields for a keyed DTLS leg. `remoteFingerprints`: the peer's a=fingerprint lines. */
export function dtlsKeying(s: DtlsLegSecrets, remoteFingerprints: readonly Fingerprint[]): Pick<CallLeg, 'srtp' | 'dtls'> {
  const remote = remoteFingerprints.find((f) => ACCEPTED_FINGERPRINT_HASHES.includes(f.hash.toLowerCase())) ?? null;
  return {
    srtp: {
      suite: s.suite,
      keyExchange: 'dtls-srtp',
      local: { masterKey: s.local.masterKey, masterSalt: s.local.masterSalt },
      remote: { masterKey: s.remote.masterKey, masterSalt: s.remote.masterSalt },
    },
    dtls: {
      role: s.role,
      certificatePem: s.identity.certificatePem,
      privateKeyPem: s.identity.privateKeyPem,
      localFingerprint: serializeFingerprint(s.localFingerprint),
      remoteFingerprint: remote === null ? null : serializeFingerprint(remote),
    },
  };
}

/**
 * The stored association of a DTLS leg, or null when the record has none (the owner died
 * before the handshake finished, or the record predates stored DTLS keys): then the new owner
 * runs a new handshake. Throws when the stored material is inconsistent.
 */
export function storedAssociation(leg: CallLeg): StoredAssociation | null {
  const { srtp, dtls } = leg;
  if (srtp === null || dtls === null || srtp.keyExchange !== 'dtls-srtp') return null;
  let suite;
  let localFingerprint: Fingerprint;
  let remoteFingerprint: Fingerprint | null;
  try {
    suite = srtpSuite(srtp.suite);
    localFingerprint = parseFingerprint(dtls.localFingerprint);
    remoteFingerprint = dtls.remoteFingerprint === null ? null : parseFingerprint(dtls.remoteFingerprint);
  } catch (err) {
    throw new GatehouseError('state', 'TAKEOVER_DTLS_RECORD', `stored DTLS material of leg ${leg.legId} is unusable`, { cause: err });
  }
  const keyLen = (k: { readonly masterKey: Uint8Array; readonly masterSalt: Uint8Array }): boolean => k.masterKey.length === suite.keyLength && k.masterSalt.length === suite.saltLength;
  if (!keyLen(srtp.local) || !keyLen(srtp.remote)) throw new GatehouseError('state', 'TAKEOVER_DTLS_RECORD', `stored DTLS-SRTP keys of leg ${leg.legId} do not fit ${suite.name}`);
  return {
    suite: suite.name,
    role: dtls.role,
    local: { masterKey: srtp.local.masterKey, masterSalt: srtp.local.masterSalt },
    remote: { masterKey: srtp.remote.masterKey, masterSalt: srtp.remote.masterSalt },
    identity: { certificatePem: dtls.certificatePem, privateKeyPem: dtls.privateKeyPem },
    localFingerprint,
    remoteFingerprint,
  };
}

/**
 * use_srtp profile ids in policy order (RFC 5764 4.1.1) for a new handshake: the room's
 * profile, else the one the policy's override rules pick for the peer (as selectDtls does at
 * call set-up).
 */
export function policyDtlsProfiles(policy: CryptoPolicy, roomProfile: string | undefined, peer: PeerContext): readonly number[] {
  const found = roomProfile === undefined ? { ok: true as const, profile: policy.selectProfile(peer).profile } : policy.findProfile(roomProfile);
  if (!found.ok) throw new GatehouseError('config', 'TAKEOVER_NO_PROFILE', found.reason);
  return found.profile.dtlsProfiles.map((n) => suiteByName(n).dtlsProfileId).filter((id): id is number => id !== null);
}
