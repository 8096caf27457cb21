import { describe, expect, it } from 'vitest';
import { buildAnswer, cryptoLines, parseSdp } from '../../../sdp/index.ts';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { negotiateOffer } from '../../../src/app/negotiate-offer.ts';
import { answerReinvite, reofferNegotiator, type ReinviteContext } from '../../../src/app/reinvite.ts';
import { sdesLegPlan } from '../../../src/app/sdes-leg-plan.ts';

const policy = createCryptoPolicy();
const KEY = Buffer.from(Array.from({ length: 30 }, (_, i) => i + 1));
const KEY2 = Buffer.alloc(30, 9);
const GCM256 = Buffer.alloc(44, 7);
const peer = { ip: '127.0.0.1' };

interface OfferOpts {
  readonly dir?: string;
  readonly crypto?: readonly string[];
  readonly addr?: string;
  readonly port?: number;
  readonly rtcp?: string;
  readonly mux?: boolean;
  readonly fmts?: string;
}

function offer(o: OfferOpts = {}): string {
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    `c=IN IP4 ${o.addr ?? '127.0.0.1'}`,
    't=0 0',
    `m=audio ${o.port ?? 4000} RTP/SAVP ${o.fmts ?? '0 101'}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...(o.crypto ?? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY.toString('base64')}`]),
    ...(o.rtcp === undefined ? [] : [`a=rtcp:${o.rtcp}`]),
    ...(o.mux === true ? ['a=rtcp-mux'] : []),
    `a=${o.dir ?? 'sendrecv'}`,
    '',
  ].join('\r\n');
}

/** The call as the gateway set it up from `initial` (the same steps as call-service #onInvite). */
function callFrom(initial: string, profile?: string): ReinviteContext {
  const n = negotiateOffer(policy, { sdp: initial, peer, ...(profile === undefined ? {} : { profile }), localFingerprints: [], supportedKeying: { sdes: true, dtls: false } });
  if (!n.ok) throw new Error(n.warning);
  const audio = n.plan.media[0];
  const decision = n.policy.media[0];
  if (!audio || !decision?.sdes) throw new Error('no SDES audio');
  const plan = sdesLegPlan(n.offer, audio, decision);
  const previousAnswer = buildAnswer(n.plan, { origin: { username: 'gatehouse', sessionId: '1', sessionVersion: '1' }, address: '127.0.0.1', port: () => 40000, ptime: 20 });
  return { previousAnswer, version: 2, plan, tag: decision.sdes.tag, remoteKeySalt: decision.sdes.remote.keys[0]?.keySalt ?? new Uint8Array(), negotiate: reofferNegotiator(policy, peer, profile) };
}

const ctx = callFrom(offer());
const neverNegotiates: ReinviteContext = { ...ctx, negotiate: () => { throw new Error('the policy must not run for an unchanged key'); } };

function answerCrypto(answer: string): string[] {
  const m = parseSdp(answer).media[0];
  return m ? cryptoLines(m).flatMap((l) => (l.ok ? [`${l.attribute.tag} ${l.attribute.suite} ${Buffer.from(l.attribute.keyParams[0]?.keySalt ?? []).toString('hex')}`] : [])) : [];
}

describe('re-INVITE hold/resume (RFC 3264 8.4)', () => {
  const table: ReadonlyArray<readonly [string, string, string]> = [
    ['sendonly', 'sendonly', 'recvonly'],
    ['inactive', 'inactive', 'inactive'],
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['recvonly', 'recvonly', 'sendonly'],
  ];
  for (const [offered, peerDir, answered] of table) {
    it(`RFC 3264 8.4: peer offers ${offered}: we answer ${answered}, bump the o= version, change no key`, () => {
      const r = answerReinvite(neverNegotiates, offer({ dir: offered }));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.peerDirection).toBe(peerDir);
      expect(r.change).toBeNull();
      expect(r.answer).toContain(`\r\na=${answered}\r\n`);
      expect(r.answer).toContain('o=gatehouse 1 2 IN IP4 127.0.0.1');
      expect(r.answer.match(/a=(sendrecv|sendonly|recvonly|inactive)/g)).toHaveLength(1);
      expect(answerCrypto(r.answer)).toEqual(answerCrypto(ctx.previousAnswer));
    });
  }
  it('RFC 3264 8.4: c=0.0.0.0 (RFC 2543 hold) counts as sendonly and is not a move', () => {
    const r = answerReinvite(neverNegotiates, offer({ addr: '0.0.0.0' }));
    expect(r.ok && r.peerDirection).toBe('sendonly');
    expect(r.ok && r.change).toBeNull();
  });
  it('malformed SDP -> 400 with the line', () => {
    expect(answerReinvite(ctx, 'v=0\r\nxx\r\n')).toMatchObject({ ok: false, status: 400 });
  });
  it('RFC 3261 14.2: an offerless re-INVITE reaching here -> 488', () => {
    expect(answerReinvite(ctx, '  ')).toMatchObject({ ok: false, status: 488 });
  });
});

describe('re-INVITE with a new SDES key (RFC 4568 7.1.4)', () => {
  it('RFC 4568 7.1.4: same tag and suite, new key -> new receive key only; our key and a=crypto stay', () => {
    const r = answerReinvite(ctx, offer({ crypto: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY2.toString('base64')}`] }));
    expect(r.ok).toBe(true);
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(Object.keys(r.change.rekey)).toEqual(['remoteKey']);
    expect(Buffer.from(r.change.rekey.remoteKey?.masterKey ?? [])).toEqual(KEY2.subarray(0, 16));
    expect(Buffer.from(r.change.rekey.remoteKey?.masterSalt ?? [])).toEqual(KEY2.subarray(16));
    expect(r.change.plan.localKey).toBe(ctx.plan.localKey);
    expect(r.change.plan.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(Buffer.from(r.change.sdes.remoteKeySalt)).toEqual(KEY2);
    expect(r.change.what).toEqual({ peerRekeyed: true, weRekeyed: false, suiteChanged: false, moved: false });
    expect(answerCrypto(r.answer)).toEqual(answerCrypto(ctx.previousAnswer));
    expect(r.answer).toContain('o=gatehouse 1 2 IN IP4 127.0.0.1');
  });

  it('RFC 4568 7.1.4: a re-offer listing several suites with new keys: the policy picks our suite again -> only the peer key changes', () => {
    const r = answerReinvite(ctx, offer({ crypto: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY2.toString('base64')}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY.toString('base64')}`] }));
    expect(r.ok && r.change?.what).toEqual({ peerRekeyed: true, weRekeyed: false, suiteChanged: false, moved: false });
  });

  it('RFC 4568 7.1.4 + policy: a new suite the policy prefers -> new keys both ways, new a=crypto in the answer', () => {
    const r = answerReinvite(ctx, offer({ crypto: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY2.toString('base64')}`, `a=crypto:2 AEAD_AES_256_GCM inline:${GCM256.toString('base64')}`] }));
    expect(r.ok).toBe(true);
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(r.change.rekey.suite).toBe('AEAD_AES_256_GCM');
    expect(r.change.rekey.localKey?.masterKey.length).toBe(32);
    expect(r.change.rekey.localKey?.masterSalt.length).toBe(12);
    expect(Buffer.from(r.change.rekey.remoteKey?.masterKey ?? [])).toEqual(GCM256.subarray(0, 32));
    expect(r.change.sdes.tag).toBe(2);
    expect(r.change.what).toEqual({ peerRekeyed: true, weRekeyed: true, suiteChanged: true, moved: false });
    const lines = answerCrypto(r.answer);
    expect(lines).toHaveLength(1);
    const ourNew = Buffer.concat([Buffer.from(r.change.plan.localKey.masterKey), Buffer.from(r.change.plan.localKey.masterSalt)]).toString('hex');
    expect(lines[0]).toBe(`2 AEAD_AES_256_GCM ${ourNew}`);
    expect(answerCrypto(r.answer)).not.toEqual(answerCrypto(ctx.previousAnswer));
  });

  it('RFC 4568 7.1.4 + policy: a re-offer the initial negotiation would refuse gets the same 488 and Warning', () => {
    const bad = offer({ crypto: [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY2.toString('base64')}`] });
    const initially = negotiateOffer(policy, { sdp: bad, peer, localFingerprints: [], supportedKeying: { sdes: true, dtls: false } });
    expect(initially.ok).toBe(false);
    const r = answerReinvite(ctx, bad);
    expect(r.ok).toBe(false);
    if (r.ok || initially.ok) return;
    expect(r.status).toBe(488);
    expect(r.status).toBe(initially.status);
    expect(r.warning).toBe(initially.warning);
    expect(r.warning).not.toContain(KEY2.toString('base64'));
  });

  it('RFC 4568 7.1.4 + room profile: under secure (GCM-256 only) a re-offer moving to SHA1_80 gets 488', () => {
    const secure = callFrom(offer({ crypto: [`a=crypto:1 AEAD_AES_256_GCM inline:${GCM256.toString('base64')}`] }), 'secure');
    const r = answerReinvite(secure, offer({ crypto: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY2.toString('base64')}`] }));
    expect(r).toMatchObject({ ok: false, status: 488 });
    if (!r.ok) expect(r.warning).toMatch(/^399 gatehouse "profile secure: /);
  });

  it('RFC 4568 7.1.4: switching to DTLS-SRTP in a re-INVITE -> 488', () => {
    const dtls = offer({ crypto: [] }).replace('RTP/SAVP', 'UDP/TLS/RTP/SAVP').replace('a=sendrecv', `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}\r\na=setup:actpass\r\na=sendrecv`);
    expect(answerReinvite(ctx, dtls)).toMatchObject({ ok: false, status: 488 });
  });
});

describe('re-INVITE moving media (RFC 3264 8.3.1)', () => {
  it('RFC 3264 8.3.1: new address and port, same key -> the leg moves, keys stay', () => {
    const r = answerReinvite(neverNegotiates, offer({ addr: '127.0.0.2', port: 5000 }));
    expect(r.ok).toBe(true);
    if (!r.ok || !r.change) throw new Error('expected a change');
    expect(r.change.rekey).toEqual({ remote: { address: '127.0.0.2', rtpPort: 5000, rtcpPort: 5001 } });
    expect(r.change.plan.remote).toEqual({ address: '127.0.0.2', rtpPort: 5000, rtcpPort: 5001 });
    expect(r.change.what).toEqual({ peerRekeyed: false, weRekeyed: false, suiteChanged: false, moved: true });
  });
  it('RFC 3605: a new a=rtcp port alone is a move', () => {
    const r = answerReinvite(neverNegotiates, offer({ rtcp: '4100' }));
    expect(r.ok && r.change?.rekey).toEqual({ remote: { address: '127.0.0.1', rtpPort: 4000, rtcpPort: 4100 } });
  });
  it('RFC 4568 7.1.4: a move with a new key (what the RFC asks for) changes both', () => {
    const r = answerReinvite(ctx, offer({ port: 6000, crypto: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY2.toString('base64')}`] }));
    expect(r.ok && r.change?.what).toEqual({ peerRekeyed: true, weRekeyed: false, suiteChanged: false, moved: true });
  });
  it('RFC 5761: turning rtcp-mux off mid-call -> 488', () => {
    const muxed = callFrom(offer({ mux: true }));
    expect(muxed.plan.rtcpMux).toBe(true);
    expect(answerReinvite(muxed, offer())).toMatchObject({ ok: false, status: 488 });
    expect(answerReinvite(muxed, offer({ mux: true, dir: 'sendonly' }))).toMatchObject({ ok: true, change: null });
  });
  it('RFC 3264 8.3.2: dropping the codec we send -> 488 (changing codecs is not supported)', () => {
    const r = answerReinvite(neverNegotiates, offer({ fmts: '8 101' }).replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000'));
    expect(r).toMatchObject({ ok: false, status: 488 });
  });
});
