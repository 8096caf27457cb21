/**
 * WebRtcGuestLeg against a werift peer standing in for a browser (full ICE, controlling,
 * a=setup:actpass, use_srtp in Chromium's order 0x0001, 0x0007, 0x0008) on 127.0.0.1: the
 * gateway answers ICE-lite, a=setup:passive, one host candidate on the media address in the
 * configured port range, video declined; as DTLS server it picks 0x0008 AEAD_AES_256_GCM
 * (RFC 5764 s4.1.1, RFC 7714 s14.2); RTP flows both ways through the RoomLeg contract.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import type { RtpPacket as RtpPacketType } from 'werift';
import { createWebRtcGuestLeg, VIDEO_DECLINED_REASON } from '../../../src/adapters/webrtc/webrtc-guest-leg.ts';
import type { WebRtcGuest } from '../../../src/adapters/webrtc/webrtc-guest-leg.ts';
import { setTransportSrtpProfiles } from '../../../src/adapters/webrtc/werift-srtp-hook.ts';
import type { LegSink, RoomLeg } from '../../../src/adapters/media/media-types.ts';
import { RtpHeaderView, parseRtpHeaderInto, serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { waitUntil } from '../../helpers/rtp-peer.ts';

const BROWSER = {
  iceServers: [],
  iceUseIpv4: true,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
} as unknown as ConstructorParameters<typeof RTCPeerConnection>[0];
const POLICY = [0x0008, 0x0007, 0x0001];
const CHROMIUM_ORDER = [0x0001, 0x0007, 0x0008];

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

class Collect implements LegSink {
  readonly got: { pt: number; first: number; seq: number }[] = [];
  onRtp(_leg: RoomLeg, packet: Buffer, view: RtpHeaderView): void {
    this.got.push({ pt: view.payloadType, first: packet[view.payloadOffset] ?? -1, seq: view.sequenceNumber });
  }
  onKeyFrameRequest(): void {}
  onLatched(): void {}
}

async function browserOffer(): Promise<{ browser: RTCPeerConnection; track: MediaStreamTrack; atBrowser: RtpPacketType[] }> {
  const browser = new RTCPeerConnection(BROWSER);
  const track = new MediaStreamTrack({ kind: 'audio' });
  browser.addTransceiver(track, { direction: 'sendrecv' });
  browser.addTransceiver('video', { direction: 'sendrecv' });
  const atBrowser: RtpPacketType[] = [];
  browser.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((p) => atBrowser.push(p)));
  await browser.setLocalDescription(await browser.createOffer());
  await waitUntil(() => browser.iceGatheringState === 'complete', 'browser ICE gathering');
  for (const t of browser.dtlsTransports) setTransportSrtpProfiles(t, CHROMIUM_ORDER);
  cleanup.push(() => browser.close());
  return { browser, track, atBrowser };
}

describe('WebRtcGuestLeg: browser guest on werift, ICE-lite, DTLS server, SRTP by the core', () => {
  it('answers ICE-lite/passive on the media address, negotiates 0x0008 from a Chromium-ordered offer, RTP both ways', async () => {
    const { browser, track, atBrowser } = await browserOffer();
    const offer = browser.localDescription?.sdp ?? '';
    expect(offer).toMatch(/a=setup:actpass/);
    const guest: WebRtcGuest = await createWebRtcGuestLeg({ id: 'guest-1', offerSdp: offer, mediaAddress: '127.0.0.1', portRange: { min: 42000, max: 42999 }, dtlsProfiles: POLICY });
    cleanup.push(() => guest.leg.close());
    const answer = guest.answerSdp;
    expect(answer).toMatch(/t=0 0\r\na=ice-lite\r\n/); // session level, RFC 8839 s5.3
    expect(answer).toMatch(/a=setup:passive/);
    expect(answer).toMatch(/m=video 0 /);
    expect(guest.videoDeclined).toBe(VIDEO_DECLINED_REASON);
    const cands = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(cands.length).toBeGreaterThan(0);
    for (const c of cands) {
      const [, , , , addr, port] = c.split(' ');
      expect(addr).toBe('127.0.0.1');
      expect(Number(port)).toBeGreaterThanOrEqual(42000);
      expect(Number(port)).toBeLessThanOrEqual(42999);
    }
    expect(answer).toMatch(new RegExp(`a=ssrc:${guest.leg.ssrc} `));

    await browser.setRemoteDescription({ type: 'answer', sdp: answer });
    const n = await guest.negotiated();
    expect(n).toMatchObject({ suite: 'AEAD_AES_256_GCM', profile: 0x0008 });
    expect(n.peerProfiles).toEqual(CHROMIUM_ORDER);
    await waitUntil(() => browser.connectionState === 'connected', 'browser DTLS connected', 20_000);
    expect(browser.dtlsTransports[0]?.dtls?.srtp.srtpProfile).toBe(0x0008);

    const leg = guest.leg;
    expect(leg.sendFormat.name.toLowerCase()).toBe('opus'); // werift spells it OPUS; names are case-insensitive (RFC 8866 6.6)
    expect(leg.sendFormat.clockRate).toBe(48000);
    const opusPt = leg.sendFormat.pt;
    const sink = new Collect();
    leg.attach(sink);
    // browser -> gateway
    for (let i = 0; i < 5; i++) track.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: 300 + i, timestamp: i * 960, payloadType: opusPt, ssrc: 0xabc }), Buffer.alloc(80, 20 + i)));
    await waitUntil(() => sink.got.length >= 5, 'RTP at the leg', 20_000);
    expect(sink.got.map((g) => g.first)).toEqual([20, 21, 22, 23, 24]);
    expect(sink.got.every((g) => g.pt === opusPt)).toBe(true);
    expect(leg.format(opusPt)?.name.toLowerCase()).toBe('opus');
    // gateway -> browser, through the RoomLeg contract (rewritten to the answer's SSRC)
    const view = new RtpHeaderView();
    for (let i = 0; i < 5; i++) {
      const p = Buffer.from(serializeRtp({ marker: false, payloadType: opusPt, sequenceNumber: 9 + i, timestamp: i * 960, ssrc: 0x1234, csrcs: [], extension: null, payload: new Uint8Array(80).fill(60 + i), paddingLength: 0 }));
      parseRtpHeaderInto(p, view);
      expect(leg.sendRtp(p, view, performance.now())).toBe(true);
    }
    await waitUntil(() => atBrowser.length >= 5, 'RTP at the browser', 20_000);
    expect(atBrowser.map((p) => p.payload[0])).toEqual([60, 61, 62, 63, 64]);
    expect(atBrowser.every((p) => p.header.ssrc === leg.ssrc && p.header.payloadType === opusPt)).toBe(true);
  });

  it('rejects an offer without a usable audio codec with a 488 GatehouseError', async () => {
    const { browser } = await browserOffer();
    const offer = (browser.localDescription?.sdp ?? '').replace(/a=rtpmap:(\d+) opus\/48000\/2/gi, 'a=rtpmap:$1 speex/16000').replace(/a=rtpmap:(\d+) (PCMU|PCMA)\/8000/g, 'a=rtpmap:$1 GSM/8000');
    await expect(
      createWebRtcGuestLeg({ id: 'guest-2', offerSdp: offer, mediaAddress: '127.0.0.1', portRange: { min: 42000, max: 42999 }, dtlsProfiles: POLICY, audioCodecs: [{ name: 'opus', clockRate: 48000, channels: 2, payloadType: 111 }] }),
    ).rejects.toMatchObject({ code: 'WEBRTC_NO_AUDIO', sipStatus: 488 });
  });
});
