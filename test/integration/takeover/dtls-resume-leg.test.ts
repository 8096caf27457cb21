/**
 * The media side of a DTLS-SRTP leg's takeover (src/app/takeover-dtls.ts) through the real
 * media plane on 127.0.0.1, against a werift DTLS peer that, like baresip 1.0, keeps its one
 * association for the whole call:
 * 1. the old owner's leg runs the handshake (we are DTLS server) and exposes what the call
 *    record keeps: the RFC 5764 4.2 exported keys, our role, certificate and private key;
 * 2. the stored certificate and key give back the same a=fingerprint (RFC 8122 5);
 * 3. a new leg on NEW sockets resumes the association with those keys and no handshake: the
 *    peer's SRTP stream (same keys, its sequence continued) decrypts there, and what the new
 *    leg sends (a new SSRC, RFC 3711 8) decrypts at the peer with its unchanged session.
 */
import { afterEach, expect, it } from 'vitest';
import type { Socket } from 'node:dgram';
import { MediaPortAllocator } from '../../../src/adapters/media/port-allocator.ts';
import { RoomMediaPlane } from '../../../src/adapters/media/media-plane.ts';
import type { LegSink, RoomLeg } from '../../../src/adapters/media/media-types.ts';
import { identityFromStored } from '../../../src/adapters/webrtc/stored-dtls-identity.ts';
import { RtpHeaderView, parseRtp, parseRtpHeaderInto, serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { MediaLegHandle } from '../../../src/ports/media-plane.ts';
import { waitUntil } from '../../helpers/rtp-peer.ts';
import { bindUdp, closePeer, newIdentity, peerComponent, type PeerComponent } from '../webrtc/dtls-peer.ts';

const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };
const PCMU = [{ pt: 0, name: 'PCMU', clockRate: 8000 }];
const plane = new RoomMediaPlane({
  allocator: new MediaPortAllocator({ range: { min: 42000, max: 42999 }, address: '127.0.0.1' }),
  guestAddress: '127.0.0.1',
  guestPorts: { min: 43000, max: 43099 },
  mediaTimeoutMs: 30_000,
  logger: SILENT,
  onEvent: () => {},
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

class Collect implements LegSink {
  readonly payloads: number[] = [];
  onRtp(_leg: RoomLeg, packet: Buffer, view: RtpHeaderView): void {
    this.payloads.push(packet[view.payloadOffset] ?? -1);
  }
  onKeyFrameRequest(): void {}
  onLatched(): void {}
}

/** The adapter's handle carries its RoomLeg (media-plane.ts); the test attaches a sink to it. */
const roomLeg = (h: MediaLegHandle): RoomLeg => (h as unknown as { readonly leg: RoomLeg }).leg;

function rtp(seq: number, fill: number, ssrc = 0x5150): Buffer {
  return Buffer.from(serializeRtp({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, csrcs: [], extension: null, payload: new Uint8Array(160).fill(fill), paddingLength: 0 }));
}

function sendFromPeer(peer: PeerComponent, socket: Socket, port: number, firstSeq: number, fills: number[]): void {
  fills.forEach((fill, i) => {
    const r = peer.srtpOut?.protectRtp(rtp(firstSeq + i, fill));
    if (r?.ok) socket.send(r.out, port, '127.0.0.1');
  });
}

it('a DTLS-SRTP leg resumed on new sockets with the stored association (keys, certificate) carries SRTP both ways without a new handshake', { timeout: 30_000 }, async () => {
  const peerSocket = await bindUdp();
  const peerId = await newIdentity();
  const endpoint = { mediaIndex: 0, remote: { address: '127.0.0.1', rtpPort: peerSocket.address().port, rtcpPort: peerSocket.address().port }, formats: PCMU, rtcpMux: true, peerDirection: 'sendrecv' as const };
  // 1. the old owner's leg: a real handshake, we are server, the policy order wins
  const opened = await plane.openLeg('old', { kind: 'dtls-udp', plan: { ...endpoint, role: 'server', profiles: [0x0008, 0x0007, 0x0001], remoteFingerprints: [peerId.fingerprint], ice: false } });
  cleanup.push(() => plane.leave('r', opened.leg));
  const peer = await peerComponent({ role: 'client', identity: peerId, profiles: [0x0001, 0x0007, 0x0008], remote: { address: '127.0.0.1', port: opened.localPort ?? 0 }, socket: peerSocket });
  cleanup.push(() => closePeer(peer));
  await opened.keyed;
  await waitUntil(() => peer.srtpOut !== null, 'peer keys');
  const secrets = await opened.leg.dtlsSecrets?.();
  if (!secrets) throw new Error('a keyed DTLS leg must expose its association');
  expect(secrets.suite).toBe('AEAD_AES_256_GCM');
  expect(secrets.role).toBe('server');
  expect(secrets.local.masterKey.length).toBe(32);
  expect(secrets.identity.privateKeyPem).toContain('PRIVATE KEY');
  // 2. the stored certificate + key stand for the same fingerprint
  expect(identityFromStored(secrets.identity).fingerprint).toEqual(secrets.localFingerprint);
  const oldSink = new Collect();
  roomLeg(opened.leg).attach(oldSink);
  sendFromPeer(peer, peerSocket, opened.localPort ?? 0, 100, [1, 2, 3]);
  await waitUntil(() => oldSink.payloads.length >= 3, 'RTP at the old leg');
  const oldSsrc = roomLeg(opened.leg).ssrc;
  await plane.leave('r', opened.leg); // the old owner dies

  // 3. the new owner: new sockets, the stored identity and keys, no handshake
  const reserved = await plane.reserveDtls(true, secrets.identity);
  expect(reserved.fingerprint).toEqual(secrets.localFingerprint);
  expect(reserved.rtpPort).not.toBe(opened.localPort);
  const resumed = reserved.resume('new', { ...endpoint, suite: secrets.suite, localKey: secrets.local, remoteKey: secrets.remote, role: 'server', profiles: [0x0008, 0x0001], remoteFingerprints: [peerId.fingerprint], ice: false });
  cleanup.push(() => plane.leave('r', resumed));
  const sink = new Collect();
  roomLeg(resumed).attach(sink);
  // the peer's stream goes on with the same session, to the new address
  sendFromPeer(peer, peerSocket, reserved.rtpPort, 103, [4, 5, 6, 7]);
  await waitUntil(() => sink.payloads.length >= 4, 'RTP at the resumed leg');
  expect(sink.payloads).toEqual([4, 5, 6, 7]);
  // what the resumed leg sends decrypts at the peer, under a new SSRC
  const before = peer.received.length;
  const view = new RtpHeaderView();
  for (let i = 0; i < 3; i++) {
    const p = rtp(7 + i, 60 + i, 0x999);
    parseRtpHeaderInto(p, view);
    expect(roomLeg(resumed).sendRtp(p, view, performance.now())).toBe(true);
  }
  await waitUntil(() => peer.received.length >= before + 3, 'RTP at the peer');
  const plain = peer.received.slice(before).map((b) => peer.srtpIn?.unprotectRtp(b)).map((r) => (r?.ok ? parseRtp(r.out) : null));
  expect(plain.map((p) => (p?.ok ? p.packet.payload[0] : -1))).toEqual([60, 61, 62]);
  expect(plain.every((p) => p?.ok && p.packet.ssrc === roomLeg(resumed).ssrc && p.packet.ssrc !== oldSsrc)).toBe(true);
  // the resumed leg exposes the same association for the next record (a second takeover)
  const again = await resumed.dtlsSecrets?.();
  expect(again && Buffer.from(again.local.masterKey).equals(Buffer.from(secrets.local.masterKey))).toBe(true);
  expect(again?.localFingerprint).toEqual(secrets.localFingerprint);
});

it('RFC 8842 5: a peer that starts a NEW association after the move is served with the stored certificate (we were DTLS server); its keys replace the stored ones', { timeout: 30_000 }, async () => {
  const peerId = await newIdentity();
  const oldSocket = await bindUdp();
  cleanup.push(() => new Promise<void>((r) => oldSocket.close(() => r())));
  const endpoint = { mediaIndex: 0, remote: { address: '127.0.0.1', rtpPort: oldSocket.address().port, rtcpPort: oldSocket.address().port }, formats: PCMU, rtcpMux: true, peerDirection: 'sendrecv' as const };
  const plan = { ...endpoint, role: 'server' as const, profiles: [0x0008, 0x0001], remoteFingerprints: [peerId.fingerprint], ice: false };
  const opened = await plane.openLeg('old', { kind: 'dtls-udp', plan });
  cleanup.push(() => plane.leave('r', opened.leg));
  const first = await peerComponent({ role: 'client', identity: peerId, profiles: [0x0008], remote: { address: '127.0.0.1', port: opened.localPort ?? 0 }, socket: oldSocket });
  await opened.keyed;
  await waitUntil(() => first.srtpOut !== null, 'first association');
  const secrets = await opened.leg.dtlsSecrets?.();
  if (!secrets) throw new Error('a keyed DTLS leg must expose its association');
  await plane.leave('r', opened.leg);

  const reserved = await plane.reserveDtls(true, secrets.identity);
  const peerSocket = await bindUdp();
  const resumed = reserved.resume('new', { ...plan, remote: { address: '127.0.0.1', rtpPort: peerSocket.address().port, rtcpPort: peerSocket.address().port }, suite: secrets.suite, localKey: secrets.local, remoteKey: secrets.remote });
  cleanup.push(() => plane.leave('r', resumed));
  const sink = new Collect();
  roomLeg(resumed).attach(sink);
  // the peer restarts its DTLS: a ClientHello to our new port; it verifies the stored certificate
  const renewed = await peerComponent({ role: 'client', identity: peerId, profiles: [0x0008], remote: { address: '127.0.0.1', port: reserved.rtpPort }, socket: peerSocket });
  cleanup.push(() => closePeer(renewed));
  await renewed.connected;
  await waitUntil(() => renewed.srtpOut !== null, 'new association at the peer');
  await waitUntil(() => {
    const k = roomLeg(resumed) as unknown as { srtpKeys(): { local: { masterKey: Uint8Array } } | null };
    return !Buffer.from(k.srtpKeys()?.local.masterKey ?? secrets.local.masterKey).equals(Buffer.from(secrets.local.masterKey));
  }, 'the leg re-keyed by the new handshake');
  sendFromPeer(renewed, peerSocket, reserved.rtpPort, 1, [21, 22, 23]);
  await waitUntil(() => sink.payloads.length >= 3, 'RTP under the new keys');
  expect(sink.payloads).toEqual([21, 22, 23]);
  const now = await resumed.dtlsSecrets?.();
  expect(now && Buffer.from(now.remote.masterKey).equals(Buffer.from(secrets.remote.masterKey))).toBe(false);
});
