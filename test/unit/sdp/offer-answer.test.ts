import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.ts';
import { answerDirection, buildAnswer, findDualPairs, negotiate, offeredDirection, parseSdp, securityOffers } from '../../../sdp/index.ts';
import type { Direction, KeyingDecision, LocalCapabilities, MediaAnswerPlan, Negotiation } from '../../../sdp/index.ts';
import { ANSWER_PARAMS } from './golden-cases.ts';
import { SIP_CAPS, WEBRTC_CAPS, testPolicy } from './test-policy.ts';

const HEAD = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';
const KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
const crypto = (tag: number, suite = 'AES_CM_128_HMAC_SHA1_80', extra = ''): string => `a=crypto:${tag} ${suite} inline:${KEY}${extra}\r\n`;
const audio = (port: number, proto: string, fmts = '0 8 101', extra = ''): string =>
  `m=audio ${port} ${proto} ${fmts}\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n${extra}`;

const STRICT = { suites: ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'], allowPlain: false };
const LAX = { ...STRICT, allowPlain: true };

function run(sdp: string, policy = STRICT, caps: LocalCapabilities = SIP_CAPS): Negotiation {
  return negotiate(parseSdp(HEAD + sdp), caps, testPolicy(policy));
}
function plan(n: Negotiation, i: number): MediaAnswerPlan {
  const p = n.media[i];
  if (p === undefined) throw new Error(`no plan ${i}`);
  return p;
}
function summary(n: Negotiation): string[] {
  return n.media.map((p) => `${p.verdict} ${p.keying?.kind ?? '-'} ${p.codecs.map((c) => c.payloadType).join(',')}`);
}

describe('RFC 3264 offer shapes x keying (table)', () => {
  const table: readonly { name: string; sdp: string; policy: typeof STRICT; expect: string[] }[] = [
    { name: 'RTP/SAVP + a=crypto, strict policy: SDES accepted', sdp: audio(4000, 'RTP/SAVP', '0 8 101', crypto(1)), policy: STRICT, expect: ['accept sdes 0,8,101'] },
    { name: 'RTP/AVP plain, strict policy: rejected', sdp: audio(4000, 'RTP/AVP'), policy: STRICT, expect: ['reject reject '] },
    { name: 'RTP/AVP plain, lax policy: accepted without keying', sdp: audio(4000, 'RTP/AVP'), policy: LAX, expect: ['accept none 0,8,101'] },
    { name: 'best-effort SRTP (RTP/AVP + a=crypto, RFC 4568 7.1.1 / RFC 8643), strict: SDES on RTP/AVP', sdp: audio(4000, 'RTP/AVP', '0 8 101', crypto(1)), policy: STRICT, expect: ['accept sdes 0,8,101'] },
    { name: 'best-effort SRTP with only unknown suites, lax: declined to plain RTP', sdp: audio(4000, 'RTP/AVP', '0 8 101', crypto(1, 'F8_128_HMAC_SHA1_80')), policy: LAX, expect: ['accept none 0,8,101'] },
    { name: 'dual m-line SAVP then AVP: secure accepted, plain rejected', sdp: audio(4000, 'RTP/SAVP', '0 8 101', crypto(1)) + audio(4000, 'RTP/AVP'), policy: LAX, expect: ['accept sdes 0,8,101', 'reject - '] },
    { name: 'dual m-line AVP first then SAVP: still the secure one wins', sdp: audio(4000, 'RTP/AVP') + audio(4000, 'RTP/SAVP', '0 8 101', crypto(1)), policy: LAX, expect: ['reject - ', 'accept sdes 0,8,101'] },
    { name: 'dual m-line whose secure half has no acceptable suite, lax: plain half accepted', sdp: audio(4000, 'RTP/SAVP', '0 8 101', crypto(1, 'AES_CM_128_HMAC_SHA1_32')) + audio(4000, 'RTP/AVP'), policy: LAX, expect: ['reject reject ', 'accept none 0,8,101'] },
    { name: 'dual m-line whose secure half has no acceptable suite, strict: both rejected', sdp: audio(4000, 'RTP/SAVP', '0 8 101', crypto(1, 'AES_CM_128_HMAC_SHA1_32')) + audio(4000, 'RTP/AVP'), policy: STRICT, expect: ['reject reject ', 'reject reject '] },
    { name: 'RTP/SAVP without any a=crypto: rejected by policy', sdp: audio(4000, 'RTP/SAVP'), policy: LAX, expect: ['reject reject '] },
    { name: 'RTP/SAVP with only malformed a=crypto lines: rejected', sdp: audio(4000, 'RTP/SAVP', '0 8 101', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!\r\n'), policy: LAX, expect: ['reject reject '] },
    { name: 'too many suites offered: policy order wins over offer order (tag echo)', sdp: audio(4000, 'RTP/SAVP', '0', crypto(1, 'AES_CM_128_HMAC_SHA1_32') + crypto(2) + crypto(3, 'AES_256_CM_HMAC_SHA1_80') + crypto(4, 'AEAD_AES_128_GCM', '') + crypto(5, 'NULL_HMAC_SHA1_80')), policy: STRICT, expect: ['accept sdes 0'] },
  ];
  for (const row of table) {
    it(row.name, () => expect(summary(run(row.sdp, row.policy))).toEqual(row.expect));
  }

  it('SDES answer echoes the chosen offer line tag (RFC 4568 7.1.2)', () => {
    const n = run(audio(4000, 'RTP/SAVP', '0', crypto(7, 'AES_CM_128_HMAC_SHA1_32') + crypto(9) + crypto(11, 'AEAD_AES_128_GCM')));
    const k = plan(n, 0).keying;
    expect(k?.kind === 'sdes' ? [k.answer.tag, k.answer.suite] : undefined).toEqual([11, 'AEAD_AES_128_GCM']);
    expect(buildAnswer(n, ANSWER_PARAMS)).toMatch(/\r\na=crypto:11 AEAD_AES_128_GCM inline:[A-Za-z0-9+/]{38}==\r\n/);
  });

  it('security view: methods, best-effort flag, dual pairing, per-line crypto errors', () => {
    const sdp = parseSdp(HEAD + audio(4000, 'RTP/SAVP', '0', crypto(1) + 'a=crypto:2 X inline:@@\r\n') + audio(4000, 'RTP/AVP', '0', crypto(3)) + 'm=video 5000 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n');
    const s = securityOffers(sdp);
    expect(s.map((x) => [x.transport, x.methods.join('+'), x.bestEffortSrtp, x.dualOf])).toEqual([
      ['savp', 'sdes', false, 1],
      ['plain', 'sdes+none', true, 0],
      ['dtls', 'dtls', false, undefined],
    ]);
    const bad = s[0]?.cryptos[1];
    expect(bad?.ok === false ? bad.error.reason : undefined).toBe('a=crypto: key-param 1: key-salt is not valid base64 (RFC 4568 6.1)');
    expect(s[2]?.setup).toBe('actpass');
  });

  it('dual m-line pairing needs same kind, same port and no BUNDLE', () => {
    const different = parseSdp(HEAD + audio(4000, 'RTP/SAVP', '0', crypto(1)) + audio(4002, 'RTP/AVP'));
    expect(findDualPairs(different).size).toBe(0);
    const video = parseSdp(HEAD + audio(4000, 'RTP/SAVP', '0', crypto(1)) + 'm=video 4000 RTP/AVP 31\r\n');
    expect(findDualPairs(video).size).toBe(0);
  });

  it('a keying decision the offer cannot carry is an internal error (policy bug)', () => {
    const offer = parseSdp(HEAD + audio(4000, 'RTP/SAVP', '0', crypto(1)));
    const wrong: readonly [KeyingDecision, string][] = [
      [{ kind: 'none' }, 'plain RTP cannot answer a secure transport protocol'],
      [{ kind: 'sdes', answer: { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline', keySalt: new Uint8Array(30) }], sessionParams: [] } }, 'answer tag does not echo an offered a=crypto tag (RFC 4568 7.1.2)'],
      [{ kind: 'dtls', fingerprints: [], setup: 'passive' }, 'dtls chosen but no a=fingerprint was offered'],
    ];
    for (const [d, why] of wrong) {
      let err: unknown;
      try {
        negotiate(offer, SIP_CAPS, () => d);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GatehouseError);
      expect((err as GatehouseError).code).toBe('SDP_KEYING_DECISION_INVALID');
      expect((err as GatehouseError).message).toContain(why);
    }
  });
});

describe('RFC 3264 codecs', () => {
  it('answer uses the answerer order with the offerer payload types (RFC 3264 6.1)', () => {
    const n = run('m=audio 4000 RTP/SAVP 96 8 0 97\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 G722/8000\r\n' + crypto(1));
    expect(plan(n, 0).codecs.map((c) => `${c.payloadType} ${c.name}`)).toEqual(['0 PCMU', '8 PCMA', '97 G722', '96 opus']);
  });
  it('dynamic PT match needs name (any case), clock and channels', () => {
    const n = run('m=audio 4000 RTP/SAVP 96 97 98\r\na=rtpmap:96 OPUS/48000/2\r\na=rtpmap:97 opus/48000/1\r\na=rtpmap:98 opus/16000/2\r\n' + crypto(1));
    expect(plan(n, 0).codecs.map((c) => c.payloadType)).toEqual([96]);
  });
  it('no common codec: port 0 with a reason listing what was offered (RFC 3264 6)', () => {
    const n = run('m=audio 4000 RTP/SAVP 18 4\r\n' + crypto(1));
    expect(plan(n, 0).verdict).toBe('reject');
    expect(plan(n, 0).reasons[0]).toBe('no common codec (offered: G729/8000, G723/8000)');
    expect(buildAnswer(n, ANSWER_PARAMS)).toContain('\r\nm=audio 0 RTP/SAVP 18 4\r\n');
    expect(n.accepted).toBe(false);
  });
  it('telephone-event alone is not a codec (RFC 4733): rejected', () => {
    expect(plan(run('m=audio 4000 RTP/SAVP 101\r\na=rtpmap:101 telephone-event/8000\r\n' + crypto(1)), 0).verdict).toBe('reject');
  });
  it('telephone-event kept with the primary clock and intersected events (RFC 4733 2.1, 7.1.1)', () => {
    const n = run('m=audio 4000 RTP/SAVP 0 101 102\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\na=rtpmap:102 telephone-event/48000\r\n' + crypto(1));
    expect(plan(n, 0).codecs.map((c) => `${c.payloadType} ${c.fmtp ?? ''}`)).toEqual(['0 ', '101 0-11,16']);
  });
  it('singleCodec keeps the first media codec plus telephone-event', () => {
    const n = run(audio(4000, 'RTP/SAVP', '8 0 101', crypto(1)), STRICT, { ...SIP_CAPS, singleCodec: true });
    expect(plan(n, 0).codecs.map((c) => c.payloadType)).toEqual([0, 101]);
  });
  const h264 = (fmtp: string): string => `m=video 5000 RTP/SAVP 100\r\na=rtpmap:100 H264/90000\r\na=fmtp:100 ${fmtp}\r\n${crypto(1)}`;
  const h264Table: readonly [string, string, string | undefined][] = [
    ['RFC 6184 8.2.2 same profile, level above ours: level lowered', 'profile-level-id=42e028;packetization-mode=1', 'profile-level-id=42e01f;packetization-mode=1'],
    ['RFC 6184 8.1 level-asymmetry-allowed: our receive level stated', 'profile-level-id=42e00d;level-asymmetry-allowed=1;packetization-mode=1', 'profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1'],
    ['RFC 6184 8.1 no profile-level-id: baseline level 1 default accepted, echoed', 'packetization-mode=1', 'packetization-mode=1'],
    ['RFC 6184 8.2.2 High profile not supported: rejected', 'profile-level-id=640c1f;packetization-mode=1', undefined],
    ['RFC 6184 8.2.2 packetization-mode 2 not supported: rejected', 'profile-level-id=42e01f;packetization-mode=2', undefined],
  ];
  for (const [name, offered, answered] of h264Table) {
    it(name, () => {
      const p = plan(run(h264(offered)), 0);
      expect(p.verdict === 'accept' ? p.codecs[0]?.fmtp : undefined).toBe(answered);
    });
  }
  it('rtx only for accepted original formats with the same clock (RFC 4588 8.6)', () => {
    const sdp = 'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=rtpmap:98 AV1/90000\r\na=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=98\r\na=fingerprint:sha-256 AB:CD\r\n';
    expect(plan(run(sdp, STRICT, WEBRTC_CAPS), 0).codecs.map((c) => c.payloadType)).toEqual([96, 97]);
  });
});

describe('RFC 3264 6.1 direction', () => {
  const table: readonly [Direction, Direction, Direction][] = [
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['sendonly', 'sendrecv', 'recvonly'],
    ['recvonly', 'sendrecv', 'sendonly'],
    ['inactive', 'sendrecv', 'inactive'],
    ['sendrecv', 'recvonly', 'recvonly'],
    ['sendrecv', 'sendonly', 'sendonly'],
    ['sendonly', 'sendonly', 'inactive'],
    ['recvonly', 'recvonly', 'inactive'],
    ['sendrecv', 'inactive', 'inactive'],
  ];
  for (const [offered, local, answered] of table) {
    it(`RFC 3264 6.1 offer ${offered}, local ${local} -> ${answered}`, () => expect(answerDirection(offered, local)).toBe(answered));
  }
  it('RFC 3264 8.4 c=0.0.0.0 hold is read as sendonly', () => {
    const sdp = parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
    expect(offeredDirection(sdp, sdp.media[0] as (typeof sdp.media)[number])).toBe('sendonly');
    expect(plan(negotiate(sdp, SIP_CAPS, testPolicy(LAX)), 0).direction).toBe('recvonly');
  });
  it('answer writes the direction per m-line', () => {
    const n = run(audio(4000, 'RTP/SAVP', '0', `${crypto(1)}a=sendonly\r\n`));
    expect(buildAnswer(n, ANSWER_PARAMS)).toContain('\r\na=recvonly\r\n');
  });
});

describe('streams, BUNDLE and rtcp-mux', () => {
  it('port 0 in the offer stays rejected (RFC 3264 8.2); bundle-only is not (RFC 8843 7.2.1)', () => {
    const sdp = 'a=group:BUNDLE a v\r\n' + 'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=rtcp-mux\r\na=fingerprint:sha-256 AB:CD\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n'
      + 'm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=bundle-only\r\na=rtpmap:96 VP8/90000\r\na=fingerprint:sha-256 AB:CD\r\n'
      + 'm=video 0 RTP/AVP 31\r\n';
    const n = run(sdp, STRICT, { ...WEBRTC_CAPS, maxStreamsPerKind: undefined });
    expect(summary(n)).toEqual(['accept dtls 0', 'accept dtls 96', 'reject - ']);
    expect(n.bundle).toEqual(['a', 'v']);
    const text = buildAnswer(n, ANSWER_PARAMS);
    expect(text).toContain('\r\na=group:BUNDLE a v\r\n');
    expect(text.match(/^m=.*$/gm)).toEqual(['m=audio 40000 UDP/TLS/RTP/SAVPF 0', 'm=video 40000 UDP/TLS/RTP/SAVPF 96', 'm=video 0 RTP/AVP 31']);
    expect(plan(n, 0).rtcpMux).toBe(true);
    expect(plan(n, 1).rtcpMux).toBe(false);
  });
  it('rejected BUNDLE members leave the answer group (RFC 8843 7.3.3)', () => {
    const sdp = 'a=group:BUNDLE a v\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=fingerprint:sha-256 AB:CD\r\nm=video 9 UDP/TLS/RTP/SAVPF 45\r\na=mid:v\r\na=rtpmap:45 AV1/90000\r\na=fingerprint:sha-256 AB:CD\r\n';
    expect(run(sdp, STRICT, WEBRTC_CAPS).bundle).toEqual(['a']);
  });
  it('unsupported media and transports are rejected with reasons', () => {
    const n = run('m=image 4000 udptl t38\r\nm=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\nm=text 6000 RTP/AVP 98\r\n', LAX);
    expect(n.media.map((p) => p.reasons[0])).toEqual(['unsupported transport protocol udptl', 'unsupported transport protocol UDP/DTLS/SCTP', 'media type text not supported']);
  });
  it('the answer builder refuses an invalid port', () => {
    const n = run(audio(4000, 'RTP/SAVP', '0', crypto(1)));
    expect(() => buildAnswer(n, { ...ANSWER_PARAMS, port: () => 0 })).toThrow('answer port for m-line 0 must be 1..65535');
  });
  it('IPv6 answer address', () => {
    const n = run(audio(4000, 'RTP/SAVP', '0', crypto(1)));
    expect(buildAnswer(n, { ...ANSWER_PARAMS, address: '2001:db8::5' })).toContain('\r\nc=IN IP6 2001:db8::5\r\n');
  });
});
