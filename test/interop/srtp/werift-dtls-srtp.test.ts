/**
 * werift DTLS-SRTP legs on the Gatehouse SRTP core: a werift DTLS server (the gateway) and a
 * werift DTLS client (standing in for a browser, offering AES_CM_128_HMAC_SHA1_80 first like
 * Chromium) connect over loopback ICE. The server's policy order must win (RFC 5764 s4.1.1: the
 * server selects), AEAD_AES_256_GCM (0x0008) must be negotiated, and media both ways must be
 * protected by our core with keys from the DTLS exporter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, RtcpRrPacket, RtpHeader, RtpPacket } from 'werift';
import type { RTCDtlsTransport, RtpPacket as RtpPacketType } from 'werift';
import { createSrtpSession } from '../../../src/core/srtp/index.ts';
import { CoreSrtpSession } from '../../../src/adapters/webrtc/core-srtp-session.ts';
import { answerAsDtlsServer } from '../../../src/adapters/webrtc/dtls-server-role.ts';
import { installCoreSrtp } from '../../../src/adapters/webrtc/werift-srtp-hook.ts';

const LOOPBACK = {
  iceUseIpv4: true,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceFilterCandidatePair: (p: { localCandidate: { host: string }; remoteCandidate: { host: string } }) =>
    p.localCandidate.host === '127.0.0.1' && p.remoteCandidate.host === '127.0.0.1',
};
const BROWSER_ORDER = [0x0001, 0x0007, 0x0008];

interface Leg {
  readonly gateway: RTCPeerConnection;
  readonly browser: RTCPeerConnection;
  readonly gatewayTrack: MediaStreamTrack;
  readonly browserTrack: MediaStreamTrack;
  readonly atBrowser: RtpPacketType[];
  readonly atGateway: RtpPacketType[];
}

let gatewayTransports = new Set<RTCDtlsTransport>();
let policy: readonly number[] = [];
let uninstall: () => void = () => undefined;

beforeAll(() => {
  uninstall = installCoreSrtp({ profiles: (t) => (gatewayTransports.has(t) ? policy : BROWSER_ORDER) });
});
afterAll(() => uninstall());

const until = (pred: () => boolean, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const tick = (): void => {
      if (pred()) return resolve();
      if (performance.now() - started > 20_000) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });

async function connect(gatewayAnswers = false): Promise<Leg> {
  const gateway = new RTCPeerConnection(LOOPBACK as ConstructorParameters<typeof RTCPeerConnection>[0]);
  const browser = new RTCPeerConnection(LOOPBACK as ConstructorParameters<typeof RTCPeerConnection>[0]);
  const gatewayTrack = new MediaStreamTrack({ kind: 'audio' });
  const browserTrack = new MediaStreamTrack({ kind: 'audio' });
  gateway.addTransceiver(gatewayTrack, { direction: 'sendrecv' });
  browser.addTransceiver(browserTrack, { direction: 'sendrecv' });
  const atBrowser: RtpPacketType[] = [];
  const atGateway: RtpPacketType[] = [];
  browser.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((p) => atBrowser.push(p)));
  gateway.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((p) => atGateway.push(p)));
  const [offerer, answerer] = gatewayAnswers ? [browser, gateway] : [gateway, browser];
  await offerer.setLocalDescription(await offerer.createOffer());
  await until(() => offerer.iceGatheringState === 'complete', 'offerer ICE gathering');
  await answerer.setRemoteDescription(offerer.localDescription as NonNullable<typeof offerer.localDescription>);
  // as offerer the gateway ends up DTLS server because werift answers setup:active;
  // as answerer it must say setup:passive itself
  if (gatewayAnswers) answerAsDtlsServer(gateway);
  for (const t of gateway.dtlsTransports) gatewayTransports.add(t);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await until(() => answerer.iceGatheringState === 'complete', 'answerer ICE gathering');
  await offerer.setRemoteDescription(answerer.localDescription as NonNullable<typeof answerer.localDescription>);
  await until(() => gateway.connectionState === 'connected' && browser.connectionState === 'connected', 'DTLS-SRTP connection');
  return { gateway, browser, gatewayTrack, browserTrack, atBrowser, atGateway };
}

function only<T>(xs: readonly T[]): T {
  expect(xs.length).toBe(1);
  return xs[0] as T;
}

describe('werift DTLS-SRTP on the Gatehouse SRTP core', () => {
  it('negotiates AEAD_AES_256_GCM (0x0008) with the gateway as DTLS server and carries SRTP/SRTCP both ways', async () => {
    policy = [0x0008, 0x0007, 0x0001];
    gatewayTransports = new Set();
    const leg = await connect();
    try {
      const gw = only(leg.gateway.dtlsTransports);
      const br = only(leg.browser.dtlsTransports);
      expect(gw.role).toBe('server');
      expect(br.role).toBe('client');
      expect(gw.dtls?.srtp.srtpProfile).toBe(0x0008);
      expect(br.dtls?.srtp.srtpProfile).toBe(0x0008);
      expect(gw.srtp).toBeInstanceOf(CoreSrtpSession);
      expect(br.srtp).toBeInstanceOf(CoreSrtpSession);

      // capture what the gateway puts on the wire
      const wire: Buffer[] = [];
      const conn = gw.iceTransport.connection as unknown as { send(b: Buffer): Promise<void> };
      const send = conn.send.bind(conn);
      conn.send = (b: Buffer): Promise<void> => {
        wire.push(Buffer.from(b));
        return send(b);
      };

      for (let i = 0; i < 5; i++) {
        leg.gatewayTrack.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: 1000 + i, timestamp: i * 160, payloadType: 111, ssrc: 0x1111 }), Buffer.alloc(160, i)));
        leg.browserTrack.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: 2000 + i, timestamp: i * 160, payloadType: 111, ssrc: 0x2222 }), Buffer.alloc(160, 0x80 + i)));
      }
      await until(() => leg.atBrowser.length >= 5 && leg.atGateway.length >= 5, 'RTP both ways');
      expect(leg.atBrowser.map((p) => p.payload[0])).toEqual([0, 1, 2, 3, 4]);
      expect(leg.atGateway.map((p) => p.payload[0])).toEqual([0x80, 0x81, 0x82, 0x83, 0x84]);

      // independent check: the wire bytes are AES-256-GCM SRTP under the DTLS-exported key
      const rtpOnWire = wire.filter((b) => b.length === 12 + 160 + 16 && (b[1] ?? 0) < 192);
      expect(rtpOnWire.length).toBeGreaterThanOrEqual(5);
      const keys = gw.dtls?.extractSessionKeys(32, 12);
      if (keys === undefined) throw new Error('no DTLS keys');
      const observer = createSrtpSession({ suite: 'AEAD_AES_256_GCM', masterKey: keys.localKey, masterSalt: keys.localSalt });
      const seen = rtpOnWire.map((b) => observer.unprotectRtp(b)).filter((r) => r.ok);
      expect(seen.length).toBe(rtpOnWire.length);

      // replay protection (werift's own SRTP has none): a packet already received is refused
      const first = rtpOnWire[0] as Buffer;
      expect(() => (br.srtp as unknown as CoreSrtpSession).decrypt(first)).toThrow(/replay/);

      // SRTCP
      const rtcpAtBrowser: unknown[] = [];
      br.onRtcp.subscribe((p) => rtcpAtBrowser.push(p));
      await gw.sendRtcp([new RtcpRrPacket({ ssrc: 0x1111, reports: [] })]);
      await until(() => rtcpAtBrowser.some((p) => p instanceof RtcpRrPacket && p.ssrc === 0x1111), 'SRTCP receiver report');
    } finally {
      await leg.gateway.close();
      await leg.browser.close();
    }
  });

  it('the server policy order wins: without AES-256 in the policy, AEAD_AES_128_GCM is chosen over the client first choice', async () => {
    policy = [0x0007, 0x0001];
    gatewayTransports = new Set();
    const leg = await connect();
    try {
      expect(only(leg.gateway.dtlsTransports).srtp).toBeInstanceOf(CoreSrtpSession);
      expect(only(leg.gateway.dtlsTransports).dtls?.srtp.srtpProfile).toBe(0x0007);
      expect(only(leg.browser.dtlsTransports).dtls?.srtp.srtpProfile).toBe(0x0007);
      leg.gatewayTrack.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: 7, timestamp: 0, payloadType: 111, ssrc: 0x3333 }), Buffer.alloc(160, 7)));
      await until(() => leg.atBrowser.length >= 1, 'RTP');
      expect(leg.atBrowser[0]?.payload[0]).toBe(7);
    } finally {
      await leg.gateway.close();
      await leg.browser.close();
    }
  });

  it('answering a browser offer with setup:passive, the gateway is DTLS server and its order wins (0x0008)', async () => {
    policy = [0x0008, 0x0007, 0x0001];
    gatewayTransports = new Set();
    const leg = await connect(true);
    try {
      const gw = only(leg.gateway.dtlsTransports);
      expect(leg.gateway.localDescription?.sdp).toMatch(/a=setup:passive/);
      expect(gw.role).toBe('server');
      expect(only(leg.browser.dtlsTransports).role).toBe('client');
      expect(gw.dtls?.srtp.srtpProfile).toBe(0x0008);
      leg.browserTrack.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: 65535, timestamp: 0, payloadType: 111, ssrc: 0x4444 }), Buffer.alloc(160, 9)));
      leg.browserTrack.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: 0, timestamp: 160, payloadType: 111, ssrc: 0x4444 }), Buffer.alloc(160, 10)));
      await until(() => leg.atGateway.length >= 2, 'RTP across a sequence wrap');
      expect(leg.atGateway.map((p) => p.payload[0])).toEqual([9, 10]);
    } finally {
      await leg.gateway.close();
      await leg.browser.close();
    }
  });
});
