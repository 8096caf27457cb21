/**
 * A DTLS-SRTP peer without ICE for the DtlsUdpLeg tests: werift's DtlsClient/DtlsServer on
 * its own UDP socket(s) with its own certificate, keys exported per RFC 5764 s4.2 into SRTP
 * sessions. `certFrom` lets a test present one certificate while signing with another key
 * (a replayed certificate without its private key).
 */
import { createSocket, type Socket } from 'node:dgram';
import { CipherContext, DtlsClient, DtlsServer, HashAlgorithm, NamedCurveAlgorithm, RTCCertificate, SignatureAlgorithm } from 'werift';
import { createSrtpSession, srtpSuiteForDtlsProfile } from '../../../src/core/srtp/index.ts';
import type { SrtpSession } from '../../../src/core/srtp/index.ts';
import { identityOf } from '../../../src/adapters/webrtc/dtls-certificate.ts';
import type { DtlsIdentity } from '../../../src/adapters/webrtc/dtls-certificate.ts';

export async function newIdentity(): Promise<DtlsIdentity> {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  return identityOf(new RTCCertificate(keyPem, certPem, signatureHash));
}

export function bindUdp(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

export interface PeerComponent {
  readonly socket: Socket;
  readonly dtls: DtlsServer | DtlsClient;
  srtpIn: SrtpSession | null;
  srtpOut: SrtpSession | null;
  profile: number | undefined;
  readonly received: Buffer[];
  readonly connected: Promise<void>;
}

export interface PeerOptions {
  readonly role: 'client' | 'server';
  readonly identity: DtlsIdentity;
  /** Sign with this identity's key while presenting `identity`'s certificate. */
  readonly keyFrom?: DtlsIdentity;
  readonly profiles: number[];
  readonly remote: { readonly address: string; readonly port: number };
  /** Use this bound socket (its port may already be in an SDP). */
  readonly socket?: Socket;
}

/** One DTLS association on a fresh socket toward `remote`. */
export async function peerComponent(o: PeerOptions): Promise<PeerComponent> {
  const socket = o.socket ?? (await bindUdp());
  const transport = {
    type: 'udp',
    address: socket.address(),
    closed: false,
    onData: (_d: Buffer, _a: readonly [string, number]): void => {},
    send: (data: Buffer): Promise<void> => new Promise<void>((r) => socket.send(data, o.remote.port, o.remote.address, () => r())),
    close: (): Promise<void> => Promise.resolve(),
  };
  const key = (o.keyFrom ?? o.identity).certificate;
  const opts = {
    cert: o.identity.certificate.certPem,
    key: key.privateKey,
    signatureHash: key.signatureHash,
    transport,
    srtpProfiles: o.profiles,
    extendedMasterSecret: true,
  } as unknown as ConstructorParameters<typeof DtlsServer>[0];
  const dtls = o.role === 'server' ? new DtlsServer({ ...opts, certificateRequest: true }) : new DtlsClient(opts);
  const c: PeerComponent = {
    socket,
    dtls,
    srtpIn: null,
    srtpOut: null,
    profile: undefined,
    received: [],
    connected: new Promise<void>((resolve) => dtls.onConnect.once(() => resolve())),
  };
  socket.on('message', (msg) => {
    const b = msg[0] ?? 0;
    if (b >= 20 && b <= 63) transport.onData(msg, [o.remote.address, o.remote.port]);
    else if (b >= 128 && b <= 191) c.received.push(Buffer.from(msg));
  });
  void c.connected.then(() => {
    const profile = dtls.srtp.srtpProfile;
    const suite = profile === undefined ? undefined : srtpSuiteForDtlsProfile(profile);
    if (suite === undefined) return;
    const k = dtls.extractSessionKeys(suite.keyLength, suite.saltLength);
    c.profile = profile;
    c.srtpIn = createSrtpSession({ suite: suite.name, masterKey: k.remoteKey, masterSalt: k.remoteSalt });
    c.srtpOut = createSrtpSession({ suite: suite.name, masterKey: k.localKey, masterSalt: k.localSalt });
  });
  if (dtls instanceof DtlsClient) dtls.connect().catch(() => {});
  return c;
}

export function closePeer(c: PeerComponent): Promise<void> {
  return new Promise((r) => c.socket.close(() => r()));
}
