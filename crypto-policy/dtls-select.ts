/**
 * DTLS-SRTP (RFC 5763/5764) for one m-line: what to put in use_srtp, which a=setup to answer and
 * which fingerprint hashes are good enough. The suite itself is only known after the handshake;
 * `chooseDtlsSrtpProfile` is the server-side pick for the DTLS adapter to call then.
 *
 * Role: as DTLS server the gateway picks the protection profile (RFC 5764 s4.1.1: the server
 * selects from the client's list), so its policy order wins. We therefore answer `passive` to
 * `actpass` and `active` (RFC 5763 s5: the answerer chooses; RFC 4145 s4.1). An offer without
 * a=setup counts as `active` (RFC 4145 s4: default for the offerer) -> passive. Only when the
 * offer is `passive` must we be `active` (DTLS client); then the peer's order wins among the
 * profiles we list, and the explanation says so. `holdconn` has no connection to key: rejected.
 */
import type { MediaOffer } from './media-offer.ts';
import type { Profile } from './profile-schema.ts';
import { printableName, suiteByDtlsProfileId, suiteByName, type SrtpSuite, type SuiteName } from './suites.ts';

/** RFC 8122 s5 hash tokens we accept; sha-1/md5/md2/sha-224 are too weak for the binding. */
export const ACCEPTED_FINGERPRINT_HASHES: readonly string[] = ['sha-256', 'sha-384', 'sha-512'];

export interface DtlsSelection {
  readonly keying: 'dtls';
  readonly answerSetup: 'passive' | 'active';
  readonly role: 'server' | 'client';
  /** Whose preference order decides the protection profile in the handshake. */
  readonly orderWinner: 'gateway' | 'peer';
  /** use_srtp list (RFC 5764 s4.1.1), gateway preference first. */
  readonly useSrtpProfileIds: readonly number[];
  readonly useSrtpSuites: readonly SuiteName[];
  /** Offered fingerprint hash functions that meet the minimum; verify against one of them. */
  readonly fingerprintHashes: readonly string[];
  readonly minimumFingerprintHash: 'sha-256';
}

export interface DtlsOutcome {
  readonly selection: DtlsSelection | null;
  /** When selection is null: why. Otherwise: how the handshake will go. */
  readonly reasons: readonly string[];
}

export function selectDtls(profile: Profile, media: MediaOffer): DtlsOutcome {
  const offered = media.fingerprints.map((f) => f.hash.toLowerCase());
  if (offered.length === 0) return { selection: null, reasons: ['no a=fingerprint for DTLS-SRTP (RFC 8122 s5, RFC 5763 s5)'] };
  const good = [...new Set(offered.filter((h) => ACCEPTED_FINGERPRINT_HASHES.includes(h)))];
  if (good.length === 0) {
    return { selection: null, reasons: [`fingerprint hash ${offered.map(printableName).join(', ')} is below the sha-256 minimum`] };
  }
  if (media.setup === 'holdconn') return { selection: null, reasons: ['a=setup:holdconn: no DTLS connection to key (RFC 4145 s4)'] };
  const ids = profile.dtlsProfiles.map((n) => suiteByName(n).dtlsProfileId).filter((id): id is number => id !== null);
  const order = profile.dtlsProfiles.map((n) => `${n} (0x${(suiteByName(n).dtlsProfileId ?? 0).toString(16).padStart(4, '0')})`).join(' > ');
  const asClient = media.setup === 'passive';
  const reasons = asClient
    ? [
        'offer is a=setup:passive, so we answer active and are the DTLS client',
        `we offer use_srtp ${order}; the peer (DTLS server) picks, so the peer's order wins among these`,
      ]
    : [
        `offer is a=setup:${media.setup ?? 'absent (treated as active, RFC 4145 s4)'}, so we answer passive and are the DTLS server`,
        `we pick the first of ${order} that the client's use_srtp lists, so profile ${profile.name}'s order wins`,
      ];
  reasons.push(`fingerprint ${good.join('/')} accepted (minimum sha-256)`);
  return {
    selection: {
      keying: 'dtls',
      answerSetup: asClient ? 'active' : 'passive',
      role: asClient ? 'client' : 'server',
      orderWinner: asClient ? 'peer' : 'gateway',
      useSrtpProfileIds: ids,
      useSrtpSuites: profile.dtlsProfiles,
      fingerprintHashes: good,
      minimumFingerprintHash: 'sha-256',
    },
    reasons,
  };
}

export interface DtlsProfileChoice {
  readonly suite: SrtpSuite | null;
  readonly reasons: readonly string[];
}

/**
 * Server side of use_srtp (RFC 5764 s4.1.1): the first profile in the policy's order that the
 * client offered. `clientIds` is the client's list in its order. No overlap -> suite null and the
 * handshake must fail (RFC 5764 s4.1.2: server MUST NOT negotiate SRTP then).
 */
export function chooseDtlsSrtpProfile(profile: Profile, clientIds: readonly number[]): DtlsProfileChoice {
  const reasons: string[] = [];
  const clientHex = clientIds.map((id) => `0x${id.toString(16).padStart(4, '0')}`);
  let chosen: SrtpSuite | null = null;
  for (const name of profile.dtlsProfiles) {
    const s = suiteByName(name);
    if (s.dtlsProfileId !== null && clientIds.includes(s.dtlsProfileId)) {
      chosen = s;
      break;
    }
  }
  for (const id of clientIds) {
    const found = suiteByDtlsProfileId(id);
    const hex = `0x${id.toString(16).padStart(4, '0')}`;
    if (!found.ok) reasons.push(`${hex}: ${found.reason}`);
    else if (!profile.dtlsProfiles.includes(found.suite.name)) reasons.push(`${hex} ${found.suite.name}: not allowed by profile ${profile.name}`);
    else if (chosen && found.suite !== chosen) reasons.push(`${hex} ${found.suite.name}: ${chosen.name} comes first in profile ${profile.name}`);
  }
  if (chosen) reasons.unshift(`chose ${chosen.name} (0x${(chosen.dtlsProfileId ?? 0).toString(16).padStart(4, '0')}) from client list [${clientHex.join(', ')}]`);
  else reasons.unshift(`no client profile [${clientHex.join(', ')}] is allowed by profile ${profile.name}`);
  return { suite: chosen, reasons };
}
