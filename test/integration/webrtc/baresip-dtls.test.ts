/**
 * baresip with DTLS-SRTP and no ICE (`mediaenc=dtls_srtp`, RFC 5763/5764) calling a DtlsUdpLeg.
 * The SIP side is a stub UAS (test/helpers/sip-uas-stub.ts); the answer comes from the project's
 * own chain: crypto policy + sdp negotiate (src/app/negotiate-offer.ts) -> DtlsUdpLeg ->
 * buildAnswer (a=setup:passive, our sha-256 fingerprint). Checked independently of the leg's
 * own counters: baresip's CALL_MENC event (its view of the negotiated suite) and the audio
 * baresip DECODED from our SRTP (sndfile dump), plus the tone we decrypt from baresip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { buildAnswer, connection, fingerprints, parseSdp, rtcp, rtcpMux } from '../../../sdp/index.ts';
import { negotiateOffer } from '../../../src/app/negotiate-offer.ts';
import { MediaPortAllocator } from '../../../src/adapters/media/port-allocator.ts';
import type { LegSink, PayloadFormat, RoomLeg } from '../../../src/adapters/media/media-types.ts';
import { gatewayDtlsIdentity } from '../../../src/adapters/webrtc/dtls-certificate.ts';
import { createDtlsUdpLeg } from '../../../src/adapters/webrtc/dtls-udp-leg.ts';
import type { DtlsUdpLeg } from '../../../src/adapters/webrtc/dtls-udp-leg.ts';
import { ulawDecode, ulawEncode } from '../../../src/core/codec/g711.ts';
import { RtpHeaderView, parseRtpHeaderInto, serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { Baresip } from '../../helpers/baresip.ts';
import { amplitudeAt, sleep, waitUntil } from '../../helpers/rtp-peer.ts';
import { SipUasStub } from '../../helpers/sip-uas-stub.ts';

const allocator = new MediaPortAllocator({ range: { min: 43000, max: 43999 }, address: '127.0.0.1' });
const policy = createCryptoPolicy();

class ToneSink implements LegSink {
  readonly pcm: number[] = [];
  packets = 0;
  onRtp(_leg: RoomLeg, packet: Buffer, view: RtpHeaderView): void {
    if (view.payloadType !== 0) return;
    this.packets++;
    const out = new Int16Array(view.payloadLength);
    ulawDecode(packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength), out, 0);
    for (const v of out) this.pcm.push(v);
  }
  onKeyFrameRequest(): void {}
  onLatched(): void {}
}

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

/** A UAS answering with a DtlsUdpLeg built from the policy's decision. */
async function gatewayUas(): Promise<{ uas: SipUasStub; leg: () => DtlsUdpLeg | null; answers: string[] }> {
  const identity = await gatewayDtlsIdentity();
  let leg: DtlsUdpLeg | null = null;
  const answers: string[] = [];
  const uas = await SipUasStub.start(async (offerSdp) => {
    const out = negotiateOffer(policy, { sdp: offerSdp, peer: { ip: '127.0.0.1' }, localFingerprints: [identity.fingerprint], supportedKeying: { sdes: false, dtls: true } });
    if (!out.ok) return { status: out.status, reason: out.reason };
    const plan = out.plan.media.find((m) => m.verdict === 'accept' && m.kind === 'audio');
    const decision = out.policy.media.find((m) => m.index === plan?.index);
    const media = out.offer.media[plan?.index ?? -1];
    const sel = decision?.dtls;
    if (plan === undefined || media === undefined || sel === undefined || sel === null) return { status: 488, reason: 'no DTLS audio' };
    const ports = await allocator.allocate({ rtcpMux: plan.rtcpMux });
    const address = connection(out.offer, media)?.address ?? '127.0.0.1';
    const rtpPort = media.mLine.port;
    const rtcpPort = plan.rtcpMux ? rtpPort : (rtcp(media)?.port ?? rtpPort + 1); // RFC 3605 / RFC 3550 11
    const formats: PayloadFormat[] = plan.codecs.map((c) => ({ pt: c.payloadType, name: c.name, clockRate: c.clockRate, channels: c.channels }));
    leg = await createDtlsUdpLeg({
      id: 'baresip',
      ports,
      role: sel.role,
      profiles: sel.useSrtpProfileIds,
      remoteFingerprints: fingerprints(out.offer, media),
      identity,
      remote: { address, rtpPort, rtcpPort },
      formats,
      rtcpIntervalMs: 1000,
    });
    cleanup.push(() => (leg === null ? Promise.resolve() : leg.close()));
    const answer = buildAnswer(out.plan, { origin: { sessionId: '1', sessionVersion: '1' }, address: '127.0.0.1', port: () => ports.rtpPort });
    answers.push(answer);
    return { status: 200, sdp: answer };
  });
  cleanup.push(() => uas.close());
  return { uas, leg: () => leg, answers };
}

function toneFrame(seq: number, freq: number): Buffer {
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * (seq * 160 + i)) / 8000));
  const payload = new Uint8Array(160);
  ulawEncode(pcm, payload, 0);
  return Buffer.from(serializeRtp({ marker: false, payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc: 0x7777, csrcs: [], extension: null, payload, paddingLength: 0 }));
}

async function callAndCheck(mux: boolean): Promise<void> {
  const gw = await gatewayUas();
  const b = await Baresip.start({ mediaenc: 'dtls_srtp', source: { sine: 440 }, rtcpMux: mux });
  cleanup.push(() => b.stop());
  const dial = await b.command('dial', `sip:room@127.0.0.1:${gw.uas.port}`);
  expect(dial.ok).toBe(true);
  await waitUntil(() => gw.leg() !== null, 'INVITE answered with a DtlsUdpLeg', 20_000);
  const leg = gw.leg() as DtlsUdpLeg;
  const offer = gw.uas.invites[0]?.sdp ?? '';
  expect(offer).toMatch(/UDP\/TLS\/RTP\/SAVPF? /);
  expect(offer).toMatch(/a=setup:actpass/);
  expect(gw.answers[0]).toMatch(/a=setup:passive/);
  expect(gw.answers[0]).toMatch(/a=fingerprint:sha-256 /);
  const m0 = parseSdp(offer).media[0];
  expect(m0 !== undefined && rtcpMux(m0)).toBe(mux);

  const n = await leg.negotiated();
  // baresip offers all four DTLS-SRTP profiles; as server we pick the policy's first
  expect(n.role).toBe('server');
  expect(n.suite).toBe('AEAD_AES_256_GCM');
  expect(n.peerProfiles).toEqual(expect.arrayContaining([0x0001, 0x0002, 0x0007, 0x0008]));
  // baresip's own view: media secure (CALL_MENC) and the profile its DTLS stack negotiated
  await b.waitEvent('CALL_MENC');
  await waitUntil(() => b.dtlsProfiles().some((p) => p.component === 'audio/RTP'), 'baresip DTLS-SRTP complete on the RTP component', 10_000);
  // without rtcp-mux the RTP and RTCP handshakes run at once: either may finish first
  expect(b.dtlsProfiles()).toContainEqual({ component: 'audio/RTP', profile: 'AEAD_AES_256_GCM' });
  expect(b.output).toMatch(/verified sha-256 fingerprint OK/);

  const sink = new ToneSink();
  leg.attach(sink);
  const view = new RtpHeaderView();
  for (let seq = 0; seq < 150; seq++) {
    const p = toneFrame(seq, 1000);
    parseRtpHeaderInto(p, view);
    leg.sendRtp(p, view, performance.now());
    leg.housekeeping(performance.now(), Date.now());
    await sleep(20);
  }
  // baresip -> gateway: its 440 Hz sine, decrypted by the leg
  expect(sink.packets).toBeGreaterThan(50);
  const heard = Int16Array.from(sink.pcm.slice(800));
  expect(amplitudeAt(heard, 440, 8000)).toBeGreaterThan(10 * amplitudeAt(heard, 1000, 8000) + 100);
  // gateway -> baresip: our 1000 Hz tone, decrypted and decoded by baresip itself
  await waitUntil(() => b.decodedAudio().length > 8000, 'baresip decoded audio', 10_000);
  const dec = b.decodedAudio().subarray(1600);
  expect(amplitudeAt(dec, 1000, 8000)).toBeGreaterThan(10 * amplitudeAt(dec, 440, 8000) + 100);
  expect(leg.rtpIn).toBeGreaterThanOrEqual(sink.packets); // packets before attach() count too
  if (!mux) {
    await waitUntil(() => leg.keyed.rtcp && b.dtlsProfiles().length >= 2, 'DTLS on the RTCP port', 10_000);
    expect(b.dtlsProfiles()).toContainEqual({ component: 'audio/RTCP', profile: 'AEAD_AES_256_GCM' });
  }
  await b.command('hangup');
}

describe('baresip DTLS-SRTP without ICE -> DtlsUdpLeg (RFC 5763/5764)', () => {
  it('rtcp-mux: DTLS completes, AEAD_AES_256_GCM by policy order, audio decrypts both ways', async () => {
    await callAndCheck(true);
  });

  it('no rtcp-mux: RTP association plus a separate RTCP association, audio both ways', async () => {
    await callAndCheck(false);
  });
});
