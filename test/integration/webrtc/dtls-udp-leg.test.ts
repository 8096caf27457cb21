/**
 * DtlsUdpLeg (DTLS-SRTP over plain UDP, RFC 5763/5764, RFC 7983 demux) against werift DTLS
 * peers on 127.0.0.1: policy order wins as server (RFC 5764 s4.1.1), both roles, with and
 * without rtcp-mux (RFC 5764 s4.2: one association per port), and the fail-closed cases:
 * fingerprint mismatch (RFC 8122 s5), a replayed certificate without its key (proof of
 * possession), no common profile (RFC 5764 s4.1.2).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDtlsUdpLeg } from '../../../src/adapters/webrtc/dtls-udp-leg.ts';
import type { DtlsUdpLeg } from '../../../src/adapters/webrtc/dtls-udp-leg.ts';
import { MediaPortAllocator } from '../../../src/adapters/media/port-allocator.ts';
import type { LegSink, RoomLeg } from '../../../src/adapters/media/media-types.ts';
import { RtpHeaderView, parseRtp, parseRtpHeaderInto, serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { parseRtcp } from '../../../src/core/rtp/rtcp-parse.ts';
import { dtlsHandshakes } from '../../../src/metrics/webrtc.ts';
import { waitUntil } from '../../helpers/rtp-peer.ts';
import { bindUdp, closePeer, newIdentity, peerComponent } from './dtls-peer.ts';
import type { PeerComponent } from './dtls-peer.ts';
import type { Socket } from 'node:dgram';

const allocator = new MediaPortAllocator({ range: { min: 41000, max: 41999 }, address: '127.0.0.1' });
const POLICY = [0x0008, 0x0007, 0x0001];
const CHROMIUM_ORDER = [0x0001, 0x0007, 0x0008];
const PCMU = [{ pt: 0, name: 'PCMU', clockRate: 8000 }];

let legs: DtlsUdpLeg[] = [];
let peers: PeerComponent[] = [];
let sockets: Socket[] = [];
afterEach(async () => {
  for (const l of legs) await l.close();
  for (const p of peers) await closePeer(p);
  for (const s of sockets) s.close();
  legs = [];
  peers = [];
  sockets = [];
});

class Collect implements LegSink {
  readonly payloads: number[] = [];
  onRtp(_leg: RoomLeg, packet: Buffer, view: RtpHeaderView): void {
    this.payloads.push(packet[view.payloadOffset] ?? -1);
  }
  onKeyFrameRequest(): void {}
  onLatched(): void {}
}

function rtp(seq: number, fill: number, ssrc = 0x5150): Buffer {
  return Buffer.from(serializeRtp({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, csrcs: [], extension: null, payload: new Uint8Array(160).fill(fill), paddingLength: 0 }));
}

async function handshakes(result: string): Promise<number> {
  const m = await dtlsHandshakes.get();
  return m.values.filter((v) => v.labels.result === result).reduce((a, v) => a + v.value, 0);
}

async function serverLeg(peerSocket: Socket, opts: { fingerprintOf?: Awaited<ReturnType<typeof newIdentity>>; profiles?: number[] } = {}) {
  const peerId = await newIdentity();
  const ports = await allocator.allocate({ rtcpMux: true });
  const leg = await createDtlsUdpLeg({
    id: 'dtls-a',
    ports,
    role: 'server',
    profiles: opts.profiles ?? POLICY,
    remoteFingerprints: [(opts.fingerprintOf ?? peerId).fingerprint],
    remote: { address: '127.0.0.1', rtpPort: peerSocket.address().port, rtcpPort: peerSocket.address().port },
    formats: PCMU,
    handshakeTimeoutMs: 15_000,
  });
  legs.push(leg);
  return { leg, peerId, port: ports.rtpPort };
}

describe('DtlsUdpLeg: DTLS-SRTP over plain UDP (RFC 5763/5764)', () => {
  it('as DTLS server (answer a=setup:passive) the policy order wins: 0x0008 from a client listing it last; RTP both ways, rtcp-mux', async () => {
    const peerSocket = await bindUdp();
    const { leg, peerId, port } = await serverLeg(peerSocket);
    const sink = new Collect();
    leg.attach(sink);
    const peer = await peerComponent({ role: 'client', identity: peerId, profiles: CHROMIUM_ORDER, remote: { address: '127.0.0.1', port }, socket: peerSocket });
    peers.push(peer);
    const n = await leg.negotiated();
    expect(n).toMatchObject({ suite: 'AEAD_AES_256_GCM', profile: 0x0008, role: 'server' });
    expect(n.peerProfiles).toEqual(CHROMIUM_ORDER);
    await waitUntil(() => peer.srtpOut !== null, 'peer keys');
    expect(peer.profile).toBe(0x0008);
    // peer -> leg
    for (let i = 0; i < 5; i++) {
      const r = peer.srtpOut?.protectRtp(rtp(100 + i, 10 + i));
      if (r?.ok) peerSocket.send(r.out, port, '127.0.0.1');
    }
    await waitUntil(() => sink.payloads.length >= 5, 'RTP at the leg');
    expect(sink.payloads).toEqual([10, 11, 12, 13, 14]);
    // leg -> peer (rewritten into the leg's SSRC)
    const view = new RtpHeaderView();
    for (let i = 0; i < 5; i++) {
      const p = rtp(7 + i, 50 + i, 0x999);
      parseRtpHeaderInto(p, view);
      expect(leg.sendRtp(p, view, performance.now())).toBe(true);
    }
    await waitUntil(() => peer.received.length >= 5, 'RTP at the peer');
    const plain = peer.received.map((b) => peer.srtpIn?.unprotectRtp(b)).map((r) => (r?.ok ? parseRtp(r.out) : null));
    expect(plain.map((p) => (p?.ok ? p.packet.payload[0] : -1))).toEqual([50, 51, 52, 53, 54]);
    expect(plain.every((p) => p?.ok && p.packet.ssrc === leg.ssrc)).toBe(true);
    // SRTCP on the muxed port, same association
    leg.requestKeyFrame(0x5150);
    await waitUntil(() => peer.received.length >= 6, 'SRTCP at the peer');
    const rtcp = peer.srtpIn?.unprotectRtcp(peer.received[5] as Buffer);
    expect(rtcp?.ok && parseRtcp(rtcp.out).ok).toBe(true);
  });

  it('as DTLS client (offer a=setup:passive), without rtcp-mux: a second association keys SRTCP on the RTCP port (RFC 5764 s4.2)', async () => {
    const peerRtp = await bindUdp();
    const peerRtcp = await bindUdp();
    const peerId = await newIdentity();
    const ports = await allocator.allocate({ rtcpMux: false });
    const leg = await createDtlsUdpLeg({
      id: 'dtls-b',
      ports,
      role: 'client',
      profiles: POLICY,
      remoteFingerprints: [peerId.fingerprint],
      remote: { address: '127.0.0.1', rtpPort: peerRtp.address().port, rtcpPort: peerRtcp.address().port },
      formats: PCMU,
      rtcpIntervalMs: 200,
    });
    legs.push(leg);
    const a = await peerComponent({ role: 'server', identity: peerId, profiles: [0x0007, 0x0008], remote: { address: '127.0.0.1', port: ports.rtpPort }, socket: peerRtp });
    const b = await peerComponent({ role: 'server', identity: peerId, profiles: [0x0007, 0x0008], remote: { address: '127.0.0.1', port: ports.rtcpPort }, socket: peerRtcp });
    peers.push(a, b);
    // as client the peer (server) picks: its order wins among ours
    expect(await leg.negotiated()).toMatchObject({ suite: 'AEAD_AES_128_GCM', role: 'client' });
    await waitUntil(() => b.srtpIn !== null && leg.keyed.rtcp, 'RTCP association');
    leg.housekeeping(performance.now() + 1000, Date.now());
    await waitUntil(() => b.received.length >= 1, 'SRTCP on the RTCP port');
    const r = b.srtpIn?.unprotectRtcp(b.received[0] as Buffer);
    expect(r?.ok).toBe(true);
    // the RTP association's keys do not open it: the keys really are per port
    expect(a.srtpIn?.unprotectRtcp(b.received[0] as Buffer).ok).toBe(false);
  });

  it('fails closed when the peer certificate does not match the offered a=fingerprint', async () => {
    const before = await handshakes('fingerprint-mismatch');
    const peerSocket = await bindUdp();
    const other = await newIdentity();
    const { leg, peerId, port } = await serverLeg(peerSocket, { fingerprintOf: other });
    const sink = new Collect();
    leg.attach(sink);
    const peer = await peerComponent({ role: 'client', identity: peerId, profiles: CHROMIUM_ORDER, remote: { address: '127.0.0.1', port }, socket: peerSocket });
    peers.push(peer);
    await expect(leg.negotiated()).rejects.toMatchObject({ code: 'DTLS_FINGERPRINT_MISMATCH', sipStatus: 488 });
    expect(leg.failure?.code).toBe('DTLS_FINGERPRINT_MISMATCH');
    expect(await handshakes('fingerprint-mismatch')).toBe(before + 1);
    // the peer thinks it is connected, but nothing it sends gets in, and nothing goes out
    await waitUntil(() => peer.srtpOut !== null, 'peer keys');
    const r = peer.srtpOut?.protectRtp(rtp(1, 1));
    if (r?.ok) peerSocket.send(r.out, port, '127.0.0.1');
    await waitUntil(() => leg.drops.get('not-rtp') >= 1, 'SRTP dropped without keys');
    expect(sink.payloads).toEqual([]);
    const view = new RtpHeaderView();
    const p = rtp(1, 1);
    parseRtpHeaderInto(p, view);
    expect(leg.sendRtp(p, view, performance.now())).toBe(false);
  });

  it('fails closed when the client replays the offered certificate without its private key (CertificateVerify check)', async () => {
    const peerSocket = await bindUdp();
    const { leg, peerId, port } = await serverLeg(peerSocket);
    const attacker = await newIdentity();
    const peer = await peerComponent({ role: 'client', identity: peerId, keyFrom: attacker, profiles: CHROMIUM_ORDER, remote: { address: '127.0.0.1', port }, socket: peerSocket });
    peers.push(peer);
    await expect(leg.negotiated()).rejects.toMatchObject({ code: 'DTLS_PROOF_FAILED' });
    expect(leg.failure?.message).toMatch(/bad-signature/);
  });

  it('as client, fails closed when the server replays the offered certificate without its key (ServerKeyExchange check)', async () => {
    const peerRtp = await bindUdp();
    const victim = await newIdentity();
    const attacker = await newIdentity();
    const ports = await allocator.allocate({ rtcpMux: true });
    const leg = await createDtlsUdpLeg({
      id: 'dtls-c',
      ports,
      role: 'client',
      profiles: POLICY,
      remoteFingerprints: [victim.fingerprint],
      remote: { address: '127.0.0.1', rtpPort: peerRtp.address().port, rtcpPort: peerRtp.address().port },
      formats: PCMU,
    });
    legs.push(leg);
    peers.push(await peerComponent({ role: 'server', identity: victim, keyFrom: attacker, profiles: POLICY, remote: { address: '127.0.0.1', port: ports.rtpPort }, socket: peerRtp }));
    await expect(leg.negotiated()).rejects.toMatchObject({ code: 'DTLS_PROOF_FAILED' });
  });

  it('fails with no-common-profile when the client lists no profile the policy allows (RFC 5764 s4.1.2)', async () => {
    const peerSocket = await bindUdp();
    const { leg, peerId, port } = await serverLeg(peerSocket, { profiles: [0x0008, 0x0007] });
    peers.push(await peerComponent({ role: 'client', identity: peerId, profiles: [0x0001], remote: { address: '127.0.0.1', port }, socket: peerSocket }));
    await expect(leg.negotiated()).rejects.toMatchObject({ code: 'DTLS_NO_COMMON_PROFILE' });
  });
});
