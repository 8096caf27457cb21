/**
 * Takeover of a DTLS-SRTP SIP leg without ICE (issue 7: "new SDP with new SDES keys or a new
 * DTLS handshake"; DESIGN.md "State and takeover"). Called by adoptCall (call-adoption.ts),
 * which owns the signalling steps (dialog import, fencing, the re-INVITE) and the clean-up.
 *
 * Two modes (offer text: takeover-dtls-offer.ts):
 * - `resume` when the record holds the association the old owner negotiated (its exported SRTP
 *   keys, certificate and role; stored sealed once the leg was keyed): re-offer the same
 *   fingerprint and role with our new address; the new leg is keyed at once with the stored
 *   keys. This is what the peers here need: baresip 1.0 runs one DTLS association per stream
 *   for the life of the call (a new ClientHello gets "dtls already accepted"; as client it
 *   never starts a second one), and linphone 5.1 keeps its DTLS-SRTP context across the
 *   re-INVITE (its answer repeats neither a=fingerprint nor a=setup); both send their SRTP to
 *   the new c=/m= at once and accept ours from there. A peer that starts a new association
 *   anyway is served when we are DTLS server (dtls-udp-leg.ts).
 * - `handshake` when the record has no keys (the old owner died before the handshake ended):
 *   our own certificate, a=setup:actpass (RFC 5763 5), and a new handshake in the role the
 *   answer gives us, with the policy's use_srtp order (the room's profile, else the one the
 *   override rules pick) and the same checks as any DTLS leg (fingerprint, proof of possession,
 *   profile: dtls-udp-component.ts). Neither baresip nor linphone here runs one on a re-INVITE.
 * Either way the new record holds the association's keys again, so a second takeover works.
 */
import { GatehouseError } from '../core/errors.ts';
import type { CallLeg } from '../core/call/call-record.ts';
import type { DialogSnapshot } from '../core/call/dialog-snapshot.ts';
import type { MediaLegHandle, MediaPlane } from '../ports/media-plane.ts';
import type { CryptoPolicy } from '../../crypto-policy/index.ts';
import { fingerprints, parseSdp, type Fingerprint } from '../../sdp/index.ts';
import type { DtlsLegPlan } from './dtls-leg-plan.ts';
import type { LiveCall } from './live-calls.ts';
import type { ResolvedRoom } from './room-directory.ts';
import { buildDtlsTakeoverOffer, legAfterDtlsTakeover, readDtlsTakeoverAnswer } from './takeover-dtls-offer.ts';
import { dtlsKeying, policyDtlsProfiles, storedAssociation } from './takeover-dtls-record.ts';

/** What the signalling part of a takeover needs from one keying method (SDES or DTLS). */
export interface PreparedTakeover {
  /** The re-INVITE offer (application/sdp). SDES: holds our key; never log it. */
  readonly offerSdp: string;
  /** Frees the reserved sockets if no leg was started. */
  release(): Promise<void>;
  /** Starts the leg from the peer's answer (throws when the answer is unusable). */
  start(legId: string, answerSdp: string): StartedTakeover;
}

export interface StartedTakeover {
  readonly leg: MediaLegHandle;
  /** Resolves once media is keyed with what the live call and its new record need. */
  readonly ready: Promise<TakeoverResult>;
}

export interface TakeoverResult {
  readonly call: Pick<LiveCall, 'plan' | 'keying' | 'sdes' | 'answerSdp' | 'version'>;
  /** The leg as the new owner stores it, given the dialog exported after the re-INVITE. */
  newLeg(dialog: DialogSnapshot | null): CallLeg;
  /** Non-secret facts for the 'call adopted' log line. */
  readonly log: Readonly<Record<string, unknown>>;
}

/** A SIP leg whose negotiated SDP is DTLS-SRTP (stored keys or not). */
export function isDtlsSipLeg(leg: CallLeg): boolean {
  if (leg.srtp?.keyExchange === 'dtls-srtp') return true;
  return leg.srtp === null && /^m=audio [1-9][0-9]* UDP\/TLS\/RTP\/SAVPF?[ \r\n]/im.test(leg.localSdp ?? '');
}

export interface DtlsTakeoverDeps {
  readonly media: MediaPlane;
  readonly mediaAddress: string;
  readonly policy: CryptoPolicy;
}

/** Binds the new sockets and builds the re-INVITE offer for a DTLS leg. */
export async function prepareDtlsTakeover(deps: DtlsTakeoverDeps, leg: CallLeg, room: ResolvedRoom): Promise<PreparedTakeover> {
  const assoc = storedAssociation(leg);
  // a (new) handshake runs with the policy's profile order: resolved before any socket is bound
  const profiles = policyDtlsProfiles(deps.policy, room.profile, { ip: leg.media.remote?.address ?? leg.media.local.address });
  const previous = assoc?.remoteFingerprint ? [assoc.remoteFingerprint] : previousFingerprints(leg.remoteSdp);
  const reserved = await deps.media.reserveDtls(leg.media.rtcpMux, assoc?.identity);
  try {
    if (assoc !== null && !fingerprintsEqual(reserved.fingerprint, assoc.localFingerprint)) {
      throw new GatehouseError('state', 'TAKEOVER_DTLS_RECORD', 'the stored certificate does not match the stored fingerprint');
    }
    const where = { address: deps.mediaAddress, port: reserved.rtpPort, rtcpPort: reserved.rtcpPort };
    const offer = buildDtlsTakeoverOffer(leg, where, assoc === null ? { mode: 'handshake', fingerprint: reserved.fingerprint } : { mode: 'resume', fingerprint: assoc.localFingerprint, role: assoc.role });
    return {
      offerSdp: offer.sdp,
      release: () => reserved.release(),
      start: (legId, answerSdp) => {
        const answer = readDtlsTakeoverAnswer(offer, answerSdp, { resumeRole: assoc?.role ?? null, previous });
        if (answer.rtcpMux !== (reserved.rtcpPort === null)) throw new GatehouseError('protocol', 'TAKEOVER_RTCP_MUX', 'the peer changed rtcp-mux in its answer');
        const plan: DtlsLegPlan = { ...answer, profiles, ice: false };
        const call = { plan, keying: 'dtls-udp' as const, sdes: null, answerSdp: offer.sdp, version: Number(offer.sessionVersion) };
        const result = (keying: Pick<CallLeg, 'srtp' | 'dtls'>, suite: string): TakeoverResult => ({
          call,
          newLeg: (dialog) => legAfterDtlsTakeover(leg, offer, answerSdp, answer, where, dialog, keying),
          log: { keying: 'dtls-udp', mode: offer.mode, suite, role: answer.role, peerCertificateChanged: answer.peerCertificateChanged },
        });
        if (assoc !== null) {
          const h = reserved.resume(legId, { ...plan, suite: assoc.suite, localKey: assoc.local, remoteKey: assoc.remote });
          // the same association: the peer's streams go on with their ROC (RFC 3711 3.3.1)
          if (leg.inbound !== undefined) h.primeInbound?.(leg.inbound);
          const keying = dtlsKeying(assoc, answer.remoteFingerprints);
          return { leg: h, ready: Promise.resolve(result(keying, assoc.suite)) };
        }
        const { leg: h, keyed } = reserved.handshake(legId, plan);
        const ready = keyed.then(async (k) => {
          const secrets = (await h.dtlsSecrets?.()) ?? null;
          if (secrets === null) throw new GatehouseError('internal', 'TAKEOVER_DTLS_NO_KEYS', 'the DTLS leg was keyed but exposes no keys');
          const r = result(dtlsKeying(secrets, answer.remoteFingerprints), k.suite);
          // a new association: new keys, the peer's streams start new contexts (no stored ROC)
          return { ...r, newLeg: (dialog: DialogSnapshot | null) => ({ ...r.newLeg(dialog), inbound: [] }) };
        });
        ready.catch(() => undefined); // awaited by adoptCall
        return { leg: h, ready };
      },
    };
  } catch (err) {
    await reserved.release();
    throw err;
  }
}

function fingerprintsEqual(a: Fingerprint, b: Fingerprint): boolean {
  return a.hash.toLowerCase() === b.hash.toLowerCase() && a.value.toUpperCase() === b.value.toUpperCase();
}

/** The peer's fingerprints in its last SDP (for an answer that repeats none); [] if unknown. */
function previousFingerprints(remoteSdp: string | null): Fingerprint[] {
  if (remoteSdp === null) return [];
  try {
    const sdp = parseSdp(remoteSdp);
    const audio = sdp.media.find((m) => m.mLine.media === 'audio' && m.mLine.port !== 0);
    return audio === undefined ? [] : fingerprints(sdp, audio);
  } catch {
    return [];
  }
}
