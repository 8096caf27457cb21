/**
 * answerReinvite on a call with an SDES video m-line (src/app/reinvite-video.ts): the video
 * stream's own a=crypto and address follow the audio rules (RFC 4568 7.1.4, RFC 3264 8.3.1),
 * port 0 stops it (RFC 3264 8.2), and nothing about audio changes.
 */
import { describe, expect, it } from 'vitest';
import { buildAnswer, cryptoLines, parseSdp } from '../../../sdp/index.ts';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { negotiateOffer } from '../../../src/app/negotiate-offer.ts';
import { answerReinvite, reofferNegotiator, type ReinviteContext } from '../../../src/app/reinvite.ts';
import { sdesLegPlan } from '../../../src/app/sdes-leg-plan.ts';

const policy = createCryptoPolicy();
const KEY = Buffer.from(Array.from({ length: 30 }, (_, i) => i + 1));
const KEY2 = Buffer.alloc(30, 9);
const VKEY = Buffer.alloc(30, 3);
const VKEY2 = Buffer.alloc(30, 5);
const GCM256 = Buffer.alloc(44, 7);
const peer = { ip: '127.0.0.1' };

interface VideoOpts {
  readonly akey?: Buffer;
  readonly vcrypto?: readonly string[];
  readonly vaddr?: string;
  readonly vport?: number;
  readonly vmux?: boolean;
}

const vline = (key: Buffer, tag = 1, suite = 'AES_CM_128_HMAC_SHA1_80'): string => `a=crypto:${tag} ${suite} inline:${key.toString('base64')}`;

function offer(o: VideoOpts = {}): string {
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 4000 RTP/SAVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    vline(o.akey ?? KEY),
    'a=sendrecv',
    `m=video ${o.vport ?? 4002} RTP/SAVPF 96`,
    ...(o.vaddr === undefined ? [] : [`c=IN IP4 ${o.vaddr}`]),
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 nack pli',
    ...(o.vcrypto ?? [vline(VKEY)]),
    ...(o.vmux === true ? ['a=rtcp-mux'] : []),
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** The call as set up from `initial` (audio as call-service #onInvite; video answered alongside). */
function callFrom(initial: string, withPreviousOffer = true): ReinviteContext {
  const n = negotiateOffer(policy, { sdp: initial, peer, localFingerprints: [], supportedKeying: { sdes: true, dtls: false } });
  if (!n.ok) throw new Error(n.warning);
  const audio = n.plan.media[0];
  const decision = n.policy.media[0];
  if (!audio || !decision?.sdes) throw new Error('no SDES audio');
  if (n.plan.media[1]?.verdict !== 'accept') throw new Error('video not accepted');
  const plan = sdesLegPlan(n.offer, audio, decision);
  const previousAnswer = buildAnswer(n.plan, { origin: { username: 'gatehouse', sessionId: '1', sessionVersion: '1' }, address: '127.0.0.1', port: (m) => (m.kind === 'video' ? 40002 : 40000), ptime: 20 });
  return {
    previousAnswer,
    version: 2,
    plan,
    tag: decision.sdes.tag,
    remoteKeySalt: decision.sdes.remote.keys[0]?.keySalt ?? new Uint8Array(),
    negotiate: reofferNegotiator(policy, peer, undefined),
    ...(withPreviousOffer ? { previousOffer: initial } : {}),
  };
}

const ctx = callFrom(offer());
const neverNegotiates: ReinviteContext = { ...ctx, negotiate: () => { throw new Error('the policy must not run for unchanged keys'); } };

/** `tag suite key-hex` of each a=crypto line of the answer's `index`-th m-line. */
function cryptoOf(answer: string, index: number): string[] {
  const m = parseSdp(answer).media[index];
  return m ? cryptoLines(m).flatMap((l) => (l.ok ? [`${l.attribute.tag} ${l.attribute.suite} ${Buffer.from(l.attribute.keyParams[0]?.keySalt ?? []).toString('hex')}`] : [])) : [];
}

/** The answer's audio section text (everything from m=audio up to the next m=). */
function audioSection(answer: string): string {
  const from = answer.indexOf('m=audio ');
  return answer.slice(from, answer.indexOf('m=video ', from));
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

describe('re-INVITE on a call with SDES video: keys (RFC 4568 7.1.4)', () => {
  it('the same video key and address: no change, the policy is not asked, the video answer is kept', () => {
    const r = answerReinvite(neverNegotiates, offer());
    expect(r).toMatchObject({ ok: true, change: null });
    if (r.ok) expect(cryptoOf(r.answer, 1)).toEqual(cryptoOf(ctx.previousAnswer, 1));
  });

  it('RFC 4568 7.1.4: a new video key with the same tag and suite -> the video stream gets the new receive key only; audio untouched', () => {
    const r = answerReinvite(ctx, offer({ vcrypto: [vline(VKEY2)] }));
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(Object.keys(r.change.rekey)).toEqual(['video']);
    const v = r.change.rekey.video;
    if (v === undefined || v === 'stop') throw new Error('expected a video re-key');
    expect(Object.keys(v)).toEqual(['remoteKey']);
    expect(hex(v.remoteKey?.masterKey)).toBe(hex(VKEY2.subarray(0, 16)));
    expect(hex(v.remoteKey?.masterSalt)).toBe(hex(VKEY2.subarray(16)));
    expect(r.change.plan).toEqual(ctx.plan);
    expect(r.change.what).toMatchObject({ peerRekeyed: false, weRekeyed: false, moved: false, videoPeerRekeyed: true, videoWeRekeyed: false, videoMoved: false, videoStopped: false });
    expect(cryptoOf(r.answer, 1)).toEqual(cryptoOf(ctx.previousAnswer, 1));
    expect(audioSection(r.answer)).toBe(audioSection(ctx.previousAnswer));
  });

  it('RFC 4568 7.1.4 + policy: a new video suite the policy prefers -> new video keys both ways and a new video a=crypto; audio a=crypto kept', () => {
    const r = answerReinvite(ctx, offer({ vcrypto: [vline(VKEY2), vline(GCM256, 2, 'AEAD_AES_256_GCM')] }));
    if (!r.ok || !r.change) throw new Error('expected a change');
    const v = r.change.rekey.video;
    if (v === undefined || v === 'stop') throw new Error('expected a video re-key');
    expect(v.suite).toBe('AEAD_AES_256_GCM');
    expect(hex(v.remoteKey?.masterKey)).toBe(hex(GCM256.subarray(0, 32)));
    expect(v.localKey?.masterKey.length).toBe(32);
    expect(v.localKey?.masterSalt.length).toBe(12);
    expect(r.change.rekey.remoteKey).toBeUndefined();
    expect(r.change.what).toMatchObject({ videoPeerRekeyed: true, videoWeRekeyed: true, videoSuiteChanged: true });
    const ourNew = hex(Buffer.concat([Buffer.from(v.localKey?.masterKey ?? []), Buffer.from(v.localKey?.masterSalt ?? [])]));
    expect(cryptoOf(r.answer, 1)).toEqual([`2 AEAD_AES_256_GCM ${ourNew}`]);
    expect(cryptoOf(r.answer, 0)).toEqual(cryptoOf(ctx.previousAnswer, 0));
    expect(r.answer).not.toContain(hex(VKEY2));
  });

  it('RFC 4568 7.1.4 + policy: a video re-offer with only a suite the policy refuses -> 488 with the reason; nothing changes', () => {
    const bad = offer({ vcrypto: [vline(VKEY2, 1, 'AES_CM_128_HMAC_SHA1_32')] });
    const initially = negotiateOffer(policy, { sdp: bad, peer, localFingerprints: [], supportedKeying: { sdes: true, dtls: false } });
    const r = answerReinvite(ctx, bad);
    expect(r).toMatchObject({ ok: false, status: 488 });
    if (r.ok) return;
    expect(r.warning).not.toContain(VKEY2.toString('base64'));
    // initially this offer's video would be declined (audio accepted): mid-call it is refused
    // with that reason and the call stays as it was
    expect(initially.ok && initially.plan.media[1]?.verdict).toBe('reject');
    expect(r.warning).toBe('399 gatehouse "video re-offer not acceptable: no acceptable SRTP suite offered (offered: AES_CM_128_HMAC_SHA1_32)"');
  });

  it('a new audio key with the video unchanged: the re-key has no video part (audio exactly as before)', () => {
    const r = answerReinvite(ctx, offer({ akey: KEY2 }));
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(Object.keys(r.change.rekey)).toEqual(['remoteKey']);
    expect(r.change.what).toEqual({ peerRekeyed: true, weRekeyed: false, suiteChanged: false, moved: false });
  });

  it('new audio and video keys together: one re-key with both parts', () => {
    const r = answerReinvite(ctx, offer({ akey: KEY2, vcrypto: [vline(VKEY2)] }));
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(Object.keys(r.change.rekey).sort()).toEqual(['remoteKey', 'video']);
  });

  it('without the peer\'s previous SDP a video change is not detected (left as it was)', () => {
    const blind = callFrom(offer(), false);
    expect(answerReinvite({ ...blind, negotiate: neverNegotiates.negotiate }, offer({ vcrypto: [vline(VKEY2)] }))).toMatchObject({ ok: true, change: null });
  });
});

describe('re-INVITE on a call with SDES video: address and port 0 (RFC 3264 8.3.1, 8.2)', () => {
  it('RFC 3264 8.3.1: a new video address and port with the same key -> the video stream moves; no policy, no audio change', () => {
    const r = answerReinvite(neverNegotiates, offer({ vaddr: '127.0.0.2', vport: 5002 }));
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(r.change.rekey).toEqual({ video: { remote: { address: '127.0.0.2', rtpPort: 5002, rtcpPort: 5003 } } });
    expect(r.change.what).toMatchObject({ moved: false, videoMoved: true, videoPeerRekeyed: false });
  });

  it('RFC 3264 8.4: c=0.0.0.0 on the video m-line is hold, not a move', () => {
    expect(answerReinvite(neverNegotiates, offer({ vaddr: '0.0.0.0' }))).toMatchObject({ ok: true, change: null });
  });

  it('RFC 3264 8.2: video m-line with port 0 -> the video stream stops, our video m-line gets port 0 and no key', () => {
    const r = answerReinvite(neverNegotiates, offer({ vport: 0 }));
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(r.change.rekey).toEqual({ video: 'stop' });
    expect(r.change.what).toMatchObject({ videoStopped: true });
    const video = parseSdp(r.answer).media[1];
    expect(video?.mLine.port).toBe(0);
    expect(cryptoOf(r.answer, 1)).toEqual([]);
    expect(audioSection(r.answer)).toBe(audioSection(ctx.previousAnswer));
    // the next re-offer (video still off, or back on) finds no running video: nothing to change
    const after: ReinviteContext = { ...neverNegotiates, previousAnswer: r.answer, previousOffer: offer({ vport: 0 }) };
    expect(answerReinvite(after, offer({ vport: 0 }))).toMatchObject({ ok: true, change: null });
    const back = answerReinvite(after, offer());
    expect(back).toMatchObject({ ok: true, change: null });
    if (back.ok) expect(parseSdp(back.answer).media[1]?.mLine.port).toBe(0);
  });

  it('RFC 3264 8: a re-offer that drops the video m-line -> 488', () => {
    const audioOnly = offer().slice(0, offer().indexOf('m=video'));
    expect(answerReinvite(neverNegotiates, audioOnly)).toMatchObject({ ok: false, status: 488 });
  });

  it('RFC 5761: turning rtcp-mux off on the video stream mid-call -> 488', () => {
    const muxed = callFrom(offer({ vmux: true }));
    expect(answerReinvite({ ...muxed, negotiate: neverNegotiates.negotiate }, offer())).toMatchObject({ ok: false, status: 488 });
  });
});
