/**
 * Puts werift's DTLS-SRTP legs on the Gatehouse SRTP core (DESIGN.md "Media"; issue 4).
 *
 * werift 0.25 constructs RTCDtlsTransport itself (secureTransportManager) with a fixed
 * use_srtp list [AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80], and after the handshake builds its
 * own SrtpSession/SrtcpSession in RTCDtlsTransport.updateSrtpSession() - no AES-256-GCM, no
 * replay protection. A subclass cannot be injected, so we patch two prototype methods of the
 * class werift's ESM entry point exports (the one `import ... from 'werift'` - and therefore
 * every RTCPeerConnection this process creates - uses):
 *
 *   start()              sets `this.srtpProfiles` from the operator's policy before the DTLS
 *                        socket is created; werift copies it into the use_srtp extension
 *                        (RFC 5764 s4.1.1), and as DTLS server picks the first profile of *our*
 *                        list the client also offered (SrtpContext.findMatchingSRTPProfile
 *                        iterates the local list) - so the gateway as server makes the policy
 *                        order win, as DESIGN.md requires. Adds 0x0008 (AEAD_AES_256_GCM).
 *   updateSrtpSession()  first checks that the peer proved possession of its certificate key
 *                        (dtls-peer-proof.ts: werift verifies the fingerprint but never the
 *                        CertificateVerify / ServerKeyExchange signature; fail closed: the
 *                        transport goes 'failed', no keys); then exports keying material for the negotiated profile with our key/salt
 *                        lengths (RFC 5764 s4.2: client key, server key, client salt, server
 *                        salt) and installs CoreSrtpSession/CoreSrtcpSession.
 *
 * Two additions for the legs (src/adapters/webrtc/webrtc-guest-leg.ts, dtls-udp-leg.ts):
 *   - per-transport profile lists (`setTransportSrtpProfiles`), consulted before the global
 *     `profiles` option, so each leg can use the profile order of its own room/peer policy;
 *   - the peer's use_srtp list as the DTLS server saw it (`offeredSrtpProfiles`), for
 *     crypto-policy `dtlsNegotiated` (downgrade events, metrics). werift does not keep it, so
 *     the static `SrtpContext.findMatchingSRTPProfile(remote, local)` (exported by werift's ESM
 *     entry, called by the server's flight 2 with `local === dtls.options.srtpProfiles`, the
 *     very array `start()` below assigns) is wrapped to remember `remote` keyed by `local`.
 *
 * No file of werift is modified, so no patch-package step; the coupling is to these two method
 * names and to `dtls.srtp.srtpProfile` / `dtls.extractSessionKeys()`, checked at install time
 * (a werift upgrade that renames them fails loudly instead of silently using werift's SRTP).
 * The CommonJS build of werift (require('werift')) is a separate copy of the class and is not
 * patched; this project is ESM-only.
 */
import { RTCDtlsTransport, SrtpContext } from 'werift';
import { GatehouseError } from '../../core/errors.ts';
import { createSrtpSession, srtpSuiteForDtlsProfile } from '../../core/srtp/index.ts';
import type { SrtpSessionConfig } from '../../core/srtp/index.ts';
import { countHandshake } from '../../metrics/webrtc.ts';
import { CoreSrtcpSession, CoreSrtpSession } from './core-srtp-session.ts';
import { verifyPeerPossession } from './dtls-peer-proof.ts';
import type { DtlsSocketView } from './dtls-peer-proof.ts';

/** RFC 7714 s14.2 / RFC 5764 s4.1.2 ids, in the DESIGN.md default order. */
export const DEFAULT_DTLS_SRTP_PROFILES: readonly number[] = Object.freeze([0x0008, 0x0007, 0x0001]);

export interface CoreSrtpHookOptions {
  /**
   * The use_srtp profile ids for this transport, most preferred first (from the crypto policy).
   * Ids our core does not implement are dropped; an empty result is a configuration error.
   */
  readonly profiles?: (transport: RTCDtlsTransport) => readonly number[];
  /** Extra session options (replay window, stream limit) for every DTLS-SRTP leg. */
  readonly session?: Pick<SrtpSessionConfig, 'replayWindow' | 'maxStreams'>;
}

interface DtlsSocketLike {
  readonly srtp: { readonly srtpProfile?: number };
  extractSessionKeys(keyLength: number, saltLength: number): { localKey: Buffer; localSalt: Buffer; remoteKey: Buffer; remoteSalt: Buffer };
}

interface PatchableTransport {
  srtpProfiles: number[];
  role: string;
  setState?: (state: string) => void;
  dtls?: DtlsSocketLike;
  srtp: unknown;
  srtcp: unknown;
}

interface PatchableProto {
  start(this: PatchableTransport): Promise<void>;
  updateSrtpSession(this: PatchableTransport): void;
}

let installed: (() => void) | null = null;

/** Per-transport use_srtp lists (setTransportSrtpProfiles). */
const transportProfiles = new WeakMap<RTCDtlsTransport, readonly number[]>();
/** The peer's use_srtp list, keyed by the local list array handed to werift's DTLS socket. */
const peerLists = new WeakMap<object, readonly number[]>();

/** Uses `ids` (policy order) for this transport instead of the hook's global `profiles`. Call before it starts. */
export function setTransportSrtpProfiles(transport: RTCDtlsTransport, ids: readonly number[]): void {
  transportProfiles.set(transport, ids);
}

/** The use_srtp list the DTLS client sent, when this transport was the DTLS server and the handshake got that far. */
export function offeredSrtpProfiles(transport: RTCDtlsTransport): readonly number[] | undefined {
  return peerUseSrtpList((transport as unknown as PatchableTransport).srtpProfiles);
}

/**
 * The use_srtp list a DTLS client sent to a werift DtlsServer whose `srtpProfiles` option is
 * `localList` (the same array object). Needs the hook installed (ensureCoreSrtp).
 */
export function peerUseSrtpList(localList: readonly number[]): readonly number[] | undefined {
  return peerLists.get(localList);
}

interface PatchableSrtpContext {
  findMatchingSRTPProfile(remote: number[], local: number[]): number | undefined;
}

/** Installs the hook with default options unless one is installed already (legs call this). */
export function ensureCoreSrtp(): void {
  if (installed === null) installCoreSrtp();
}

/** Supported, de-duplicated profile ids in the given order. */
export function supportedProfiles(ids: readonly number[]): number[] {
  const out: number[] = [];
  for (const id of ids) if (srtpSuiteForDtlsProfile(id) !== undefined && !out.includes(id)) out.push(id);
  return out;
}

/**
 * Installs the hook (once per process; a second call replaces the options). Returns a function
 * that restores werift's original methods (tests).
 */
export function installCoreSrtp(options: CoreSrtpHookOptions = {}): () => void {
  if (installed !== null) installed();
  const proto = RTCDtlsTransport.prototype as unknown as PatchableProto;
  const originalStart = proto.start;
  const originalUpdate = proto.updateSrtpSession;
  if (typeof originalStart !== 'function' || typeof originalUpdate !== 'function') {
    throw new GatehouseError('internal', 'WERIFT_HOOK_MISSING', 'werift RTCDtlsTransport has no start()/updateSrtpSession(): the SRTP hook needs updating for this werift version');
  }
  const globalProfiles = options.profiles ?? ((): readonly number[] => DEFAULT_DTLS_SRTP_PROFILES);
  const profilesFor = (t: RTCDtlsTransport): readonly number[] => transportProfiles.get(t) ?? globalProfiles(t);
  const sessionExtra = options.session ?? {};
  const ctx = SrtpContext as unknown as PatchableSrtpContext;
  const originalMatch = ctx.findMatchingSRTPProfile;
  if (typeof originalMatch !== 'function') {
    throw new GatehouseError('internal', 'WERIFT_HOOK_MISSING', 'werift SrtpContext has no findMatchingSRTPProfile(): the SRTP hook needs updating for this werift version');
  }
  ctx.findMatchingSRTPProfile = function findMatchingSRTPProfile(remote: number[], local: number[]): number | undefined {
    if (Array.isArray(remote) && Array.isArray(local)) peerLists.set(local, [...remote]);
    return originalMatch.call(this, remote, local);
  };

  proto.start = function start(this: PatchableTransport): Promise<void> {
    const ids = supportedProfiles(profilesFor(this as unknown as RTCDtlsTransport));
    if (ids.length === 0) {
      return Promise.reject(new GatehouseError('config', 'DTLS_SRTP_NO_PROFILE', 'the policy allows no DTLS-SRTP profile the SRTP core implements'));
    }
    this.srtpProfiles = ids;
    return originalStart.call(this);
  };

  proto.updateSrtpSession = function updateSrtpSession(this: PatchableTransport): void {
    const dtls = this.dtls;
    if (dtls === undefined || typeof dtls.extractSessionKeys !== 'function') {
      throw new GatehouseError('internal', 'WERIFT_HOOK_MISSING', 'werift DTLS socket has no extractSessionKeys()');
    }
    const role = this.role === 'client' ? 'client' : 'server';
    const proof = verifyPeerPossession(dtls as unknown as DtlsSocketView, role);
    if (proof !== null) {
      countHandshake('webrtc', role, 'proof-failed');
      this.setState?.('failed');
      throw new GatehouseError('policy', 'DTLS_PROOF_FAILED', `the DTLS peer did not prove possession of its certificate key: ${proof}`, { sipStatus: 488 });
    }
    const profile = dtls.srtp.srtpProfile;
    const suite = profile === undefined ? undefined : srtpSuiteForDtlsProfile(profile);
    if (suite === undefined) {
      throw new GatehouseError('protocol', 'DTLS_SRTP_PROFILE', `DTLS-SRTP negotiated no profile the SRTP core implements (${String(profile)})`);
    }
    const k = dtls.extractSessionKeys(suite.keyLength, suite.saltLength);
    const outbound = createSrtpSession({ suite: suite.name, masterKey: k.localKey, masterSalt: k.localSalt, ...sessionExtra });
    const inbound = createSrtpSession({ suite: suite.name, masterKey: k.remoteKey, masterSalt: k.remoteSalt, ...sessionExtra });
    this.srtp = new CoreSrtpSession(outbound, inbound);
    this.srtcp = new CoreSrtcpSession(outbound, inbound);
  };

  const uninstall = (): void => {
    proto.start = originalStart;
    proto.updateSrtpSession = originalUpdate;
    ctx.findMatchingSRTPProfile = originalMatch;
    if (installed === uninstall) installed = null;
  };
  installed = uninstall;
  return uninstall;
}
