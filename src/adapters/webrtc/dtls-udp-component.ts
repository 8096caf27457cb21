/**
 * One DTLS-SRTP association on one plain UDP socket (RFC 5763/5764, no ICE): the RTP port, and
 * with RTCP on its own port a second association there (RFC 5764 s4.2: "there are two DTLS-SRTP
 * sessions, one of which protects the RTP packets and one of which protects the RTCP packets").
 *
 * werift's DtlsServer / DtlsClient (exported by werift's ESM entry) run the handshake; this
 * adapter only gives them a transport: the leg's socket handler passes DTLS datagrams (first
 * octet 20-63, RFC 7983 s7) to `feed()`, and werift's records go out by `socket.send` to the
 * association's peer. Nothing of werift is copied or subclassed.
 *
 * Peer address: as server, the source of the first ClientHello (in strict latching only if it
 * is the SDP address); as client, the SDP address. Later DTLS datagrams from other sources are
 * ignored, so a stray or hostile sender cannot join an association.
 *
 * After werift reports the handshake complete, before any key is used (fail closed, counted):
 *   1. the peer certificate matches an offered sha-256+ a=fingerprint (RFC 8122 s5);
 *   2. the peer proved possession of its key (dtls-peer-proof.ts; werift does not check);
 *   3. a protection profile our SRTP core implements was negotiated (RFC 5764 s4.1.2).
 * Then the keys are exported per RFC 5764 s4.2 (client key, server key, client salt, server
 * salt; ours are the ones of our role) for the leg's SRTP core sessions.
 */
import type { RemoteInfo } from 'node:dgram';
import { DtlsClient, DtlsServer } from 'werift';
import { GatehouseError } from '../../core/errors.ts';
import { srtpSuiteForDtlsProfile } from '../../core/srtp/index.ts';
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../../core/srtp/index.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import { countHandshake } from '../../metrics/webrtc.ts';
import type { DtlsFailureReason } from '../../metrics/webrtc.ts';
import { matchFingerprint } from './dtls-certificate.ts';
import type { DtlsIdentity } from './dtls-certificate.ts';
import { verifyPeerPossession } from './dtls-peer-proof.ts';
import type { DtlsSocketView } from './dtls-peer-proof.ts';
import type { MediaSocket } from '../media/media-socket.ts';
import { ensureCoreSrtp, peerUseSrtpList, supportedProfiles } from './werift-srtp-hook.ts';

export interface DtlsComponentOptions {
  readonly socket: MediaSocket;
  readonly role: 'server' | 'client';
  /** Where the SDP says the peer receives this component. */
  readonly remote: { readonly address: string; readonly port: number };
  /** use_srtp ids, policy order (crypto-policy DtlsSelection.useSrtpProfileIds). */
  readonly profiles: readonly number[];
  /** The offer's a=fingerprint lines for this m-line. */
  readonly remoteFingerprints: readonly Fingerprint[];
  readonly identity: DtlsIdentity;
  /** Accept a ClientHello only from the SDP address (latching mode 'strict'). */
  readonly strictSource: boolean;
  readonly handshakeTimeoutMs: number;
}

export interface DtlsComponentKeys {
  readonly profile: number;
  readonly suite: SrtpSuiteName;
  /** Our write key (protects what we send). */
  readonly local: SrtpMasterKeyConfig;
  /** The peer's write key (verifies what it sends). */
  readonly remote: SrtpMasterKeyConfig;
  /** The client's use_srtp list when we were server, else undefined. */
  readonly peerProfiles: readonly number[] | undefined;
  /** The address the handshake ran with (authenticated by fingerprint + proof). */
  readonly peerAddress: string;
  readonly peerPort: number;
}

/** A DTLS-SRTP failure, with the reason counted in gatehouse_dtls_handshakes_total. */
export class DtlsLegError extends GatehouseError {
  readonly reason: DtlsFailureReason;

  constructor(reason: DtlsFailureReason, message: string, cause?: unknown) {
    super(reason === 'timeout' || reason === 'closed' ? 'protocol' : 'policy', `DTLS_${reason.toUpperCase().replace(/-/g, '_')}`, message, {
      sipStatus: 488,
      sipReason: `DTLS-SRTP: ${reason}`,
      ...(cause === undefined ? {} : { cause }),
    });
    this.reason = reason;
  }
}

/** werift's `Transport` as DtlsSocket uses it: it assigns onData and calls send/close. */
interface WeriftTransport {
  readonly type: 'udp';
  readonly address: { address: string; family: string; port: number };
  closed: boolean;
  onData: (data: Buffer, addr: readonly [string, number]) => void;
  send: (data: Buffer) => Promise<void>;
  close: () => Promise<void>;
}

export class DtlsUdpComponent {
  /** Resolves with the keys, or rejects with a DtlsLegError. Never unhandled. */
  readonly done: Promise<DtlsComponentKeys>;
  private readonly o: DtlsComponentOptions;
  private readonly localProfiles: number[];
  private readonly transport: WeriftTransport;
  private readonly socketDtls: DtlsServer | DtlsClient;
  private peer: { address: string; port: number } | null;
  private settled = false;
  private timer: NodeJS.Timeout | null = null;
  private resolveDone: (k: DtlsComponentKeys) => void = () => {};
  private rejectDone: (e: DtlsLegError) => void = () => {};

  constructor(o: DtlsComponentOptions) {
    ensureCoreSrtp(); // records the client's use_srtp list (werift-srtp-hook.ts)
    this.o = o;
    this.localProfiles = supportedProfiles(o.profiles);
    this.peer = o.role === 'client' ? { address: o.remote.address, port: o.remote.port } : null;
    this.done = new Promise<DtlsComponentKeys>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {}); // observed by the leg; never an unhandled rejection
    const local = o.socket.address();
    this.transport = {
      type: 'udp',
      address: local,
      closed: false,
      onData: () => {},
      send: (data) => this.send(data),
      close: () => Promise.resolve(), // the leg owns the socket
    };
    const cert = o.identity.certificate;
    const common = {
      cert: cert.certPem,
      key: cert.privateKey,
      signatureHash: cert.signatureHash,
      transport: this.transport,
      srtpProfiles: this.localProfiles,
      extendedMasterSecret: true,
    } as unknown as ConstructorParameters<typeof DtlsServer>[0];
    if (this.localProfiles.length === 0) {
      this.socketDtls = new DtlsServer(common);
      this.fail('no-common-profile', 'the policy allows no DTLS-SRTP profile the SRTP core implements');
      return;
    }
    // RFC 5763 s5: the server requests the client's certificate (its fingerprint is in the SDP)
    this.socketDtls = o.role === 'server' ? new DtlsServer({ ...common, certificateRequest: true }) : new DtlsClient(common);
    this.socketDtls.onConnect.once(() => this.onConnected());
    this.socketDtls.onError.subscribe((err: Error) => this.onWeriftError(err));
    this.socketDtls.onClose.subscribe(() => {
      if (!this.settled) this.fail('handshake-failed', 'the peer closed the DTLS association (alert) during the handshake');
    });
    this.timer = setTimeout(() => this.fail('timeout', `no DTLS handshake within ${o.handshakeTimeoutMs} ms`), o.handshakeTimeoutMs);
    this.timer.unref();
    if (this.socketDtls instanceof DtlsClient) {
      this.socketDtls.connect().catch((err: unknown) => this.onWeriftError(err));
    }
  }

  get role(): 'server' | 'client' {
    return this.o.role;
  }

  /** A DTLS datagram (RFC 7983 s7: first octet 20-63) arrived on this component's socket. */
  feed(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.peer === null) {
      if (this.o.strictSource && (rinfo.address !== this.o.remote.address || rinfo.port !== this.o.remote.port)) return;
      this.peer = { address: rinfo.address, port: rinfo.port };
    } else if (rinfo.address !== this.peer.address || rinfo.port !== this.peer.port) {
      return;
    }
    // a copy: werift may keep a record past this call, and the socket engine reuses its bytes (media-socket.ts)
    this.transport.onData(Buffer.from(msg), [rinfo.address, rinfo.port]);
  }

  private send(data: Buffer): Promise<void> {
    const peer = this.peer;
    if (this.transport.closed || peer === null) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        this.o.socket.send(data, data.length, peer.port, peer.address, () => resolve());
      } catch {
        resolve(); // socket closed under us: the leg is going away
      }
    });
  }

  private onWeriftError(err: unknown): void {
    if (this.settled) return;
    const peerList = peerUseSrtpList(this.localProfiles);
    if (peerList !== undefined && !peerList.some((id) => this.localProfiles.includes(id))) {
      return this.fail('no-common-profile', `the client's use_srtp [${hexList(peerList)}] shares no profile with [${hexList(this.localProfiles)}]`, err);
    }
    this.fail('handshake-failed', `DTLS handshake failed: ${err instanceof Error ? err.message || err.name : String(err)}`, err);
  }

  private onConnected(): void {
    if (this.settled) return;
    const dtls = this.socketDtls;
    const der = dtls.remoteCertificate;
    if (der === undefined) return this.fail('no-peer-certificate', 'the DTLS peer presented no certificate');
    const verdict = matchFingerprint(der, this.o.remoteFingerprints);
    if (verdict === 'no-acceptable-fingerprint') return this.fail('no-acceptable-fingerprint', 'the offer has no sha-256 or stronger a=fingerprint');
    if (verdict === 'mismatch') return this.fail('fingerprint-mismatch', "the DTLS peer's certificate does not match the offer's a=fingerprint (RFC 8122 s5)");
    const proof = verifyPeerPossession(dtls as unknown as DtlsSocketView, this.o.role);
    if (proof !== null) return this.fail('proof-failed', `the DTLS peer did not prove possession of its certificate key: ${proof}`);
    const profile = dtls.srtp.srtpProfile;
    const suite = profile === undefined ? undefined : srtpSuiteForDtlsProfile(profile);
    if (profile === undefined || suite === undefined || !this.localProfiles.includes(profile)) {
      return this.fail('no-common-profile', `no usable DTLS-SRTP profile negotiated (${String(profile)})`);
    }
    const k = dtls.extractSessionKeys(suite.keyLength, suite.saltLength);
    const peer = this.peer ?? { address: this.o.remote.address, port: this.o.remote.port };
    this.settle();
    countHandshake('sip-dtls', this.o.role, 'ok');
    this.resolveDone({
      profile,
      suite: suite.name,
      local: { masterKey: k.localKey, masterSalt: k.localSalt },
      remote: { masterKey: k.remoteKey, masterSalt: k.remoteSalt },
      peerProfiles: this.o.role === 'server' ? peerUseSrtpList(this.localProfiles) : undefined,
      peerAddress: peer.address,
      peerPort: peer.port,
    });
  }

  private settle(): void {
    this.settled = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private fail(reason: DtlsFailureReason, message: string, cause?: unknown): void {
    if (this.settled) return;
    this.settle();
    this.transport.closed = true;
    countHandshake('sip-dtls', this.o.role, reason);
    this.rejectDone(new DtlsLegError(reason, message, cause));
  }

  /** Stops the association (no more sends); a pending handshake fails with 'closed'. */
  close(): void {
    this.fail('closed', 'the leg was closed before the DTLS handshake completed');
    this.transport.closed = true;
  }
}

function hexList(ids: readonly number[]): string {
  return ids.map((id) => `0x${id.toString(16).padStart(4, '0')}`).join(', ');
}
