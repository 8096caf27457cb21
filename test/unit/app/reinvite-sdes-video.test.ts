/**
 * answerSdesReinvite (src/app/reinvite-sdes.ts) end to end on a call with SDES video: the
 * re-offer is decided (reinvite.ts, reinvite-video.ts), the REAL media leg (RoomMediaPlane on
 * 127.0.0.1) switches its video stream before the 200, the answer carries the right video
 * a=crypto, and what the record stores is this request's SDP and our new answer. The signalling
 * backend is the only stand-in: it records what would go on the wire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildAnswer, cryptoLines, parseSdp } from '../../../sdp/index.ts';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { RoomMediaPlane } from '../../../src/adapters/media/media-plane.ts';
import type { SdesMediaLeg } from '../../../src/adapters/media/media-leg.ts';
import { SdesVideo } from '../../../src/adapters/media/sdes-video.ts';
import type { RoomLeg } from '../../../src/adapters/media/media-types.ts';
import { negotiateOffer } from '../../../src/app/negotiate-offer.ts';
import { answerSdesReinvite, type SdesReinviteContext } from '../../../src/app/reinvite-sdes.ts';
import type { LiveCall } from '../../../src/app/live-calls.ts';
import { sdesLegPlan } from '../../../src/app/sdes-leg-plan.ts';
import { planVideo } from '../../../src/app/video-plan.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import type { IncomingDialogRequest } from '../../../src/ports/signalling-backend.ts';
import { testAllocator } from '../../helpers/media-fixture.ts';
import { RtpPeer, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };
const policy = createCryptoPolicy();
const plane = new RoomMediaPlane({ allocator: testAllocator(), guestAddress: '127.0.0.1', guestPorts: { min: 45200, max: 45299 }, mediaTimeoutMs: 30_000, logger: SILENT, onEvent: () => {} });
const KEY = Buffer.from(Array.from({ length: 30 }, (_, i) => i + 1));
const VKEY = Buffer.alloc(30, 3);
const VKEY2 = Buffer.alloc(30, 5);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

function offer(phonePort: number, cameraPort: number, vkey: Buffer): string {
  return [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${phonePort} RTP/SAVP 0`, 'a=rtpmap:0 PCMU/8000', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY.toString('base64')}`, 'a=rtcp-mux', 'a=sendrecv',
    `m=video ${cameraPort} RTP/SAVPF 96`, 'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack pli', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${vkey.toString('base64')}`, 'a=rtcp-mux', 'a=sendrecv',
    '',
  ].join('\r\n');
}

interface Sent {
  readonly answers: string[];
  readonly rejects: number[];
}

/** A call as call-service sets it up from `initial`, on a real media leg; the camera peer sends video. */
async function setUp(): Promise<{ call: LiveCall; ctx: SdesReinviteContext; sent: Sent; camera: RtpPeer; phonePort: number; video: () => SdesVideo | null }> {
  const phone = await RtpPeer.open({ suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: { masterKey: KEY.subarray(0, 16), masterSalt: KEY.subarray(16) }, recvKey: { masterKey: KEY.subarray(0, 16), masterSalt: KEY.subarray(16) }, codec: 'PCMU', pt: 0 });
  const camera = await RtpPeer.open({ suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: { masterKey: VKEY.subarray(0, 16), masterSalt: VKEY.subarray(16) }, recvKey: { masterKey: VKEY.subarray(0, 16), masterSalt: VKEY.subarray(16) }, codec: 'PCMU', pt: 96 });
  cleanup.push(() => phone.close(), () => camera.close());
  const initial = offer(phone.port, camera.port, VKEY);
  const n = negotiateOffer(policy, { sdp: initial, peer: { ip: '127.0.0.1' }, localFingerprints: [], supportedKeying: { sdes: true, dtls: false } });
  if (!n.ok) throw new Error(n.warning);
  const audio = n.plan.media[0];
  const decision = n.policy.media[0];
  if (!audio || !decision?.sdes) throw new Error('no SDES audio');
  const plan = sdesLegPlan(n.offer, audio, decision);
  const v = planVideo(n.offer, n.plan, n.policy, audio, 'sdes');
  if (v.video === null) throw new Error(v.declined ?? 'no video');
  const opened = await plane.openLeg('call-1', { kind: 'sdes', plan, video: v.video });
  cleanup.push(() => plane.leave('r', opened.leg));
  camera.target = { address: '127.0.0.1', port: opened.videoPort ?? 0 };
  const answerSdp = buildAnswer(v.negotiation, { origin: { username: 'gatehouse', sessionId: '1', sessionVersion: '1' }, address: '127.0.0.1', port: (m) => (m.kind === 'video' ? (opened.videoPort ?? 0) : (opened.localPort ?? 0)), ptime: 20 });
  const call: LiveCall = {
    dialogId: 'd1', callId: 'c1', room: { id: 'r', name: 'r', profile: undefined, maxParticipants: 10 }, leg: opened.leg, plan, keying: 'sdes',
    sdes: { tag: decision.sdes.tag, remoteKeySalt: decision.sdes.remote.keys[0]?.keySalt ?? new Uint8Array() },
    answerSdp, version: 1, epoch: 1, record: null, frozen: false, unstored: { remoteSdp: initial, localPort: opened.localPort },
  };
  const sent: Sent = { answers: [], rejects: [] };
  const backend = {
    answer: (_id: string, o?: { readonly sdp?: string }) => {
      sent.answers.push(o?.sdp ?? '');
      return Promise.resolve();
    },
    reject: (_id: string, status: number) => {
      sent.rejects.push(status);
      return Promise.resolve();
    },
  };
  const ctx = { deps: { backend, logger: SILENT, policy } } as unknown as SdesReinviteContext;
  const leg = (opened.leg as unknown as { readonly leg: RoomLeg }).leg;
  const video = (): SdesVideo | null => (leg.video instanceof SdesVideo ? leg.video : null);
  return { call, ctx, sent, camera, phonePort: phone.port, video };
}

function reinvite(body: string): IncomingDialogRequest {
  return { requestId: 'r1', dialogId: 'd1', method: 'INVITE', contentType: 'application/sdp', body, source: { transport: 'udp', remote: { address: '127.0.0.1', port: 5060 }, local: { address: '127.0.0.1', port: 5060 }, tlsPeer: undefined } } as IncomingDialogRequest;
}

const vp8 = (): Buffer => Buffer.from([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]);

describe('answerSdesReinvite on a call with SDES video (RFC 4568 7.1.4, RFC 3264 8.2)', () => {
  it('RFC 4568 7.1.4: a new video key re-keys the real video stream before the 200; the answer keeps our video a=crypto; the record gets the new SDPs', async () => {
    const s = await setUp();
    const stream = (): SdesMediaLeg => {
      const v = s.video();
      if (v === null) throw new Error('video stopped');
      return v.stream;
    };
    await s.camera.sendRaw(s.camera.protect(s.camera.nextPacket(vp8(), 96, true, 3000)));
    await waitUntil(() => stream().counters().rtpIn === 1, 'first video packet');
    const body = offer(s.phonePort, s.camera.port, VKEY2);
    const before = parseSdp(s.call.answerSdp).media[1];
    const change = await answerSdesReinvite(s.ctx, s.call, reinvite(body));
    expect(s.sent.rejects).toEqual([]);
    expect(change).toMatchObject({ remoteSdp: body });
    const answered = parseSdp(s.sent.answers[0] ?? '').media[1];
    if (!answered || !before) throw new Error('no video section');
    expect(cryptoLines(answered)).toEqual(cryptoLines(before));
    expect(s.call.answerSdp).toBe(s.sent.answers[0]);
    // the camera switches to its new key: decrypted (not counted as an auth failure)
    s.camera.useSendKey({ masterKey: VKEY2.subarray(0, 16), masterSalt: VKEY2.subarray(16) });
    for (let i = 0; i < 3; i++) {
      await s.camera.sendRaw(s.camera.protect(s.camera.nextPacket(vp8(), 96, true, 3000)));
      await sleep(2);
    }
    await waitUntil(() => stream().counters().rtpIn === 4, 'video under the new key');
    expect(stream().counters().drops).toEqual({});
  });

  it('RFC 3264 8.2: video m-line with port 0 -> the video stream is stopped and our answer\'s video m-line has port 0', async () => {
    const s = await setUp();
    const body = offer(s.phonePort, 0, VKEY);
    const change = await answerSdesReinvite(s.ctx, s.call, reinvite(body));
    expect(change).not.toBeNull();
    expect(s.video()).toBeNull();
    expect(parseSdp(s.sent.answers[0] ?? '').media[1]?.mLine.port).toBe(0);
  });
});
