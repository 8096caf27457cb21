import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from '../../../crypto-policy/builtin-profiles.ts';
import { PolicyRejectError } from '../../../crypto-policy/errors.ts';
import { explanationJson } from '../../../crypto-policy/explanation.ts';
import type { MediaOffer } from '../../../crypto-policy/media-offer.ts';
import { dtlsNegotiated, negotiate, negotiateOrThrow } from '../../../crypto-policy/negotiate.ts';
import type { Profile } from '../../../crypto-policy/profile-schema.ts';
import { keyingDeciderFor } from '../../../crypto-policy/sdp-bridge.ts';
import { countingRng, crypto, media, offersFromFixture } from './helpers.ts';

const P = Object.fromEntries(BUILTIN_PROFILES.map((p) => [p.name, p])) as Record<'default' | 'secure' | 'fips' | 'interop', Profile>;
const run = (profile: Profile, offers: MediaOffer[], peer = {}) => negotiate({ profile, media: offers, peer, rng: countingRng });
const SHA256 = [{ hash: 'sha-256' }];

describe('DTLS-SRTP: a=setup answer, use_srtp order, fingerprint minimum (RFC 5763 s5, RFC 5764 s4.1.1)', () => {
  const CASES: { setup: MediaOffer['setup']; fp: { hash: string }[]; answer: 'passive' | 'active' | null; winner?: string; reason?: RegExp }[] = [
    { setup: 'actpass', fp: SHA256, answer: 'passive', winner: 'gateway' },
    { setup: 'active', fp: SHA256, answer: 'passive', winner: 'gateway' },
    { setup: null, fp: SHA256, answer: 'passive', winner: 'gateway', reason: /absent \(treated as active, RFC 4145 s4\)/ },
    { setup: 'passive', fp: SHA256, answer: 'active', winner: 'peer', reason: /the peer \(DTLS server\) picks, so the peer's order wins/ },
    { setup: 'holdconn', fp: SHA256, answer: null, reason: /holdconn/ },
    { setup: 'actpass', fp: [{ hash: 'sha-1' }], answer: null, reason: /fingerprint hash sha-1 is below the sha-256 minimum/ },
    { setup: 'actpass', fp: [{ hash: 'sha-1' }, { hash: 'SHA-512' }], answer: 'passive', winner: 'gateway' },
    { setup: 'actpass', fp: [], answer: null, reason: /no a=fingerprint/ },
  ];
  for (const c of CASES) {
    it(`setup ${c.setup ?? 'absent'}, fingerprints [${c.fp.map((f) => f.hash).join(',')}] -> ${c.answer ?? 'reject'}`, () => {
      const n = run(P.default, [media({ proto: 'UDP/TLS/RTP/SAVPF', setup: c.setup, fingerprints: c.fp })]);
      const d = n.media[0];
      expect(d?.verdict).toBe(c.answer === null ? 'reject' : 'accept');
      if (c.answer !== null) {
        expect(d?.keying).toBe('dtls');
        expect(d?.suite).toBeNull();
        expect(d?.dtls?.answerSetup).toBe(c.answer);
        expect(d?.dtls?.orderWinner).toBe(c.winner);
        expect(d?.dtls?.useSrtpProfileIds).toEqual([0x0008, 0x0007, 0x0001]);
      }
      if (c.reason) expect(d?.reasons.join('\n')).toMatch(c.reason);
    });
  }
  it('use_srtp lists follow each profile', () => {
    const ids = (p: Profile) => run(p, [media({ proto: 'UDP/TLS/RTP/SAVPF', setup: 'actpass', fingerprints: SHA256 })]).media[0]?.dtls?.useSrtpProfileIds;
    expect(ids(P.secure)).toEqual([0x0008]);
    expect(ids(P.fips)).toEqual([0x0008, 0x0007, 0x0001]);
    expect(ids(P.interop)).toEqual([0x0008, 0x0007, 0x0001, 0x0002]);
  });
  it('handshake as server: first of the policy order the client lists; downgrade event + metric', () => {
    // Chromium's use_srtp order: 0x0007, 0x0008, 0x0001, 0x0002.
    const chrome = [0x0007, 0x0008, 0x0001, 0x0002];
    const best = dtlsNegotiated(P.default, chrome, { ip: '192.0.2.9' }, { index: 0, kind: 'audio' });
    expect(best.suite?.name).toBe('AEAD_AES_256_GCM');
    expect(best.downgrade).toBeNull();
    expect(best.metric).toEqual({ profile: 'default', suite: 'AEAD_AES_256_GCM', keying: 'dtls', downgraded: 'false' });
    expect(best.reasons.join('\n')).toMatch(/0x0002 AES_CM_128_HMAC_SHA1_32: not allowed by profile default/);
    const werift = dtlsNegotiated(P.default, [0x0001, 0x0007], {}, { index: 1, kind: 'video' });
    expect(werift.suite?.name).toBe('AEAD_AES_128_GCM');
    expect(werift.downgrade).toMatchObject({ type: 'srtp-downgrade', keying: 'dtls', chosen: 'AEAD_AES_128_GCM', preferred: 'AEAD_AES_256_GCM', mediaIndex: 1 });
    expect(dtlsNegotiated(P.secure, [0x0001], {}, { index: 0, kind: 'audio' })).toMatchObject({ suite: null, metric: null });
  });
});

describe('transports and plaintext', () => {
  const CASES: { profile: keyof typeof P; what: string; m: MediaOffer; verdict: 'accept' | 'reject'; keying?: string; reason: RegExp }[] = [
    { profile: 'default', what: 'RTP/AVP plaintext refused', m: media({ proto: 'RTP/AVP' }), verdict: 'reject', reason: /^plaintext RTP refused \(m=audio RTP\/AVP without a=crypto; allowPlaintext: false\)$/ },
    { profile: 'default', what: 'best-effort SRTP refused in default', m: media({ proto: 'RTP/AVP', crypto: [crypto(1, 'AES_CM_128_HMAC_SHA1_80', 30)] }), verdict: 'reject', reason: /best-effort SRTP.*allowBestEffortSrtp: false/ },
    { profile: 'interop', what: 'best-effort SRTP accepted in interop', m: media({ proto: 'RTP/AVP', crypto: [crypto(1, 'AES_CM_128_HMAC_SHA1_80', 30)] }), verdict: 'accept', keying: 'sdes', reason: /SDES AES_CM_128_HMAC_SHA1_80 \(tag 1\)/ },
    { profile: 'interop', what: 'best-effort with nothing acceptable: no plaintext fallback', m: media({ proto: 'RTP/AVP', crypto: [crypto(1, 'NULL_HMAC_SHA1_80', 30)] }), verdict: 'reject', reason: /no acceptable SRTP suite offered \(offered: NULL_HMAC_SHA1_80\)/ },
    { profile: 'default', what: 'RTP/SAVP without keying', m: media({ proto: 'RTP/SAVP' }), verdict: 'reject', reason: /no SRTP keying offered/ },
    { profile: 'default', what: 'port 0', m: media({ proto: 'RTP/SAVP', port: 0 }), verdict: 'reject', reason: /port 0/ },
    { profile: 'default', what: 'UDP/BFCP refused', m: media({ proto: 'UDP/BFCP', kind: 'application' }), verdict: 'reject', reason: /plaintext UDP\/BFCP refused/ },
    { profile: 'default', what: 'data channel (UDP/DTLS/SCTP) with sha-256 accepted', m: media({ proto: 'UDP/DTLS/SCTP', kind: 'application', fingerprints: SHA256, setup: 'actpass' }), verdict: 'accept', keying: 'dtls', reason: /DTLS-protected; no SRTP suite applies/ },
    { profile: 'default', what: 'RTP/SAVPF with fingerprint and crypto: DTLS preferred', m: media({ proto: 'RTP/SAVPF', fingerprints: SHA256, setup: 'actpass', crypto: [crypto(1, 'AEAD_AES_256_GCM', 44)] }), verdict: 'accept', keying: 'dtls', reason: /DTLS-SRTP as server/ },
    { profile: 'default', what: 'RTP/SAVP with sha-1 fingerprint falls back to SDES', m: media({ proto: 'RTP/SAVP', fingerprints: [{ hash: 'sha-1' }], crypto: [crypto(1, 'AEAD_AES_256_GCM', 44)] }), verdict: 'accept', keying: 'sdes', reason: /SDES AEAD_AES_256_GCM/ },
    { profile: 'default', what: 'a=crypto on UDP/TLS/RTP/SAVP ignored', m: media({ proto: 'UDP/TLS/RTP/SAVP', fingerprints: SHA256, crypto: [crypto(1, 'AEAD_AES_256_GCM', 44)] }), verdict: 'accept', keying: 'dtls', reason: /DTLS-SRTP as server/ },
  ];
  for (const c of CASES) {
    it(`${c.profile}: ${c.what}`, () => {
      const d = run(P[c.profile], [c.m]).media[0];
      expect(d?.verdict).toBe(c.verdict);
      if (c.keying) expect(d?.keying).toBe(c.keying);
      expect(d?.reasons[0]).toMatch(c.reason);
    });
  }
  it('allowPlaintext profile accepts plaintext RTP', () => {
    const open = { ...P.default, name: 'open', allowPlaintext: true };
    const n = run(open, [media({ proto: 'RTP/AVP' })]);
    expect(n.verdict).toBe('accept');
    expect(n.media[0]).toMatchObject({ keying: 'none', suite: null });
    expect(n.metrics).toEqual([{ profile: 'open', suite: 'none', keying: 'none', downgraded: 'false' }]);
  });
});

describe('rejection: PolicyRejectError -> SIP 488 with a Warning naming the profile', () => {
  it('secure + SHA1_80 only (the issue example)', () => {
    const n = run(P.secure, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AES_CM_128_HMAC_SHA1_80', 30)] })]);
    expect(n.verdict).toBe('reject');
    expect(n.sipStatus).toBe(488);
    const e = n.rejection;
    expect(e).toBeInstanceOf(PolicyRejectError);
    expect(e?.category).toBe('policy');
    expect(e?.code).toBe('POLICY_NO_ACCEPTABLE_SUITE');
    expect(e?.sipStatus).toBe(488);
    expect(e?.sipReason).toBe('399 gatehouse "profile secure: no acceptable SRTP suite offered (offered: AES_CM_128_HMAC_SHA1_80)"');
  });
  it('plaintext offer: POLICY_PLAINTEXT_REFUSED', () => {
    expect(() => negotiateOrThrow({ profile: P.default, media: [media({ proto: 'RTP/AVP' })] })).toThrow(PolicyRejectError);
    const e = run(P.default, [media({ proto: 'RTP/AVP' })]).rejection;
    expect(e?.code).toBe('POLICY_PLAINTEXT_REFUSED');
    expect(e?.sipReason).toBe('399 gatehouse "profile default: plaintext RTP refused (m=audio RTP/AVP without a=crypto; allowPlaintext: false)"');
  });
  it('peer-controlled text in the Warning is quoted-string safe', () => {
    const e = run(P.secure, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'EVIL"\\SUITE', 30)] })]).rejection;
    expect(e?.sipReason).toMatch(/^399 gatehouse "[^"\\]*"$/);
  });
  it('no m-lines at all', () => {
    expect(run(P.default, []).rejection?.code).toBe('POLICY_NO_MEDIA');
  });
  it('one acceptable stream is enough: the others are declined (RFC 3264 s6)', () => {
    const n = run(P.default, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AEAD_AES_256_GCM', 44)] }), media({ index: 1, kind: 'video', proto: 'RTP/AVP' })]);
    expect(n.verdict).toBe('accept');
    expect(n.media.map((d) => d.verdict)).toEqual(['accept', 'reject']);
    expect(n.rejection).toBeNull();
  });
});

describe('downgrade events and metric labels', () => {
  it('below the first choice: event with profile, chosen, preferred, peer and why', () => {
    const peer = { ip: '192.0.2.50', fromDomain: 'pbx.example' };
    const n = run(P.default, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AES_CM_128_HMAC_SHA1_80', 30), crypto(2, 'AEAD_AES_256_GCM_8', 44)] })], peer);
    expect(n.downgrades).toEqual([
      { type: 'srtp-downgrade', profile: 'default', keying: 'sdes', chosen: 'AES_CM_128_HMAC_SHA1_80', preferred: 'AEAD_AES_256_GCM', mediaIndex: 0, kind: 'audio', peer, reason: 'peer did not offer AEAD_AES_256_GCM' },
    ]);
    expect(n.metrics).toEqual([{ profile: 'default', suite: 'AES_CM_128_HMAC_SHA1_80', keying: 'sdes', downgraded: 'true' }]);
  });
  it('preferred suite offered but unusable: the reason says why', () => {
    const n = run(P.default, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AEAD_AES_256_GCM', 44, { lifetime: 2n ** 60n }), crypto(2, 'AEAD_AES_128_GCM', 28)] })]);
    expect(n.downgrades[0]?.reason).toMatch(/^AEAD_AES_256_GCM offered but rejected: lifetime 2\^60 exceeds/);
  });
  it('first choice: no event, downgraded=false', () => {
    const n = run(P.default, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AEAD_AES_256_GCM', 44)] })]);
    expect(n.downgrades).toEqual([]);
    expect(n.metrics).toEqual([{ profile: 'default', suite: 'AEAD_AES_256_GCM', keying: 'sdes', downgraded: 'false' }]);
  });
  it('explanations and events never carry key material', () => {
    const n = run(P.default, [media({ proto: 'RTP/SAVP', crypto: [crypto(1, 'AES_CM_128_HMAC_SHA1_80', 30)] })]);
    const text = JSON.stringify({ e: explanationJson(n), d: n.downgrades });
    expect(text).not.toMatch(/inline:|keySalt/);
  });
});

/**
 * Real SDP from public sources (test/fixtures/sdp, shared with sdp/, and ./fixtures), per profile:
 * the verdict of every m-line and the chosen suite. `dtls` = DTLS-SRTP (suite set in handshake).
 */
const FIXTURES: { file: string; expect: Record<string, string[]> }[] = [
  {
    file: 'chrome-audio-video.offer.sdp',
    expect: { default: ['dtls', 'dtls'], secure: ['dtls', 'dtls'], fips: ['dtls', 'dtls'], interop: ['dtls', 'dtls'] },
  },
  { file: 'firefox-audio-video.offer.sdp', expect: { default: ['dtls', 'dtls'], secure: ['dtls', 'dtls'] } },
  { file: 'freeswitch-webrtc-savpf.offer.sdp', expect: { default: ['dtls'], fips: ['dtls'] } },
  {
    file: 'rtpengine-sdes-four-suites.offer.sdp',
    expect: { default: ['AES_CM_128_HMAC_SHA1_80'], secure: ['reject'], fips: ['AES_256_CM_HMAC_SHA1_80'], interop: ['AES_256_CM_HMAC_SHA1_80'] },
  },
  { file: 'yealink-sdes.offer.sdp', expect: { default: ['AES_CM_128_HMAC_SHA1_80'], secure: ['reject'], interop: ['AES_CM_128_HMAC_SHA1_80'] } },
  { file: 'broadworks-sdes-audio-video.offer.sdp', expect: { default: ['reject', 'reject'], fips: ['reject', 'reject'], interop: ['AES_CM_128_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_32'] } },
  // Poly dual m-line: the SAVP half is taken, the AVP half declined.
  { file: 'polycom-vvx-dual-mline.offer.sdp', expect: { default: ['AES_CM_128_HMAC_SHA1_80', 'reject'], secure: ['reject', 'reject'], interop: ['AES_CM_128_HMAC_SHA1_80', 'reject'] } },
  { file: 'pjsip-dual-mline.offer.sdp', expect: { default: ['AES_CM_128_HMAC_SHA1_80', 'reject'] } },
  { file: '3cx-plain.offer.sdp', expect: { default: ['reject'], interop: ['reject'] } },
  { file: 'tandberg-plain-audio-video.sdp', expect: { default: ['reject', 'reject'] } },
  // Room system with BFCP: SRTP audio/video accepted, the declined m=application stays declined, UDP/BFCP refused.
  { file: 'room-system-bfcp-slides.sdp', expect: { default: ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80', 'reject', 'reject', 'AES_CM_128_HMAC_SHA1_80'] } },
  // FreeSWITCH-style best-effort list over RTP/AVP: _8 GCM, AES-192 and NULL_AUTH refused by name.
  { file: 'own:telnyx-best-effort-nine-suites.offer.sdp', expect: { default: ['reject'], interop: ['AES_256_CM_HMAC_SHA1_80'] } },
  // RFC 4568 s8 example with lifetime 2^20 and MKI 1:4.
  { file: 'own:rfc4568-mki-lifetime.offer.sdp', expect: { default: ['reject'], interop: ['AES_CM_128_HMAC_SHA1_80'] } },
];

describe('real SDP offers × profiles', () => {
  for (const f of FIXTURES) {
    for (const [profile, want] of Object.entries(f.expect)) {
      it(`${f.file} under ${profile}: ${want.join(', ')}`, () => {
        const n = run(P[profile as keyof typeof P], offersFromFixture(f.file));
        const got = n.media.map((d) => (d.verdict === 'reject' ? 'reject' : d.keying === 'dtls' ? 'dtls' : (d.suite ?? 'plain')));
        expect(got).toEqual(want);
        expect(n.verdict).toBe(want.some((w) => w !== 'reject') ? 'accept' : 'reject');
        for (const d of n.media) expect(d.reasons.length).toBeGreaterThan(0);
      });
    }
  }
  it('telnyx list under interop: each refused name has its own reason', () => {
    const n = run(P.interop, offersFromFixture('own:telnyx-best-effort-nine-suites.offer.sdp'));
    const lines = n.media[0]?.offered.crypto ?? [];
    const by = (tag: number) => lines.find((l) => l.tag === tag);
    expect(by(1)?.reason).toMatch(/8-octet tag/);
    expect(by(4)?.reason).toMatch(/AES-192/);
    expect(by(9)?.reason).toMatch(/no authentication/);
    expect(by(3)?.status).toBe('chosen');
    expect(by(5)?.status).toBe('acceptable-lost');
    expect(n.media[0]?.reasons).toContain('best-effort SRTP: RTP/AVP with a=crypto, answered with a=crypto');
  });
  it('RFC 4568 example under interop: lifetime and MKI honoured in the answer', () => {
    const n = run(P.interop, offersFromFixture('own:rfc4568-mki-lifetime.offer.sdp'));
    const s = n.media[0]?.sdes;
    expect(s?.remote.keys[0]).toMatchObject({ lifetime: 2n ** 20n, mki: { value: 1n, length: 4 } });
    expect(s?.answer.keyParams[0]).toMatchObject({ lifetime: 2n ** 20n, mki: { value: 1n, length: 4 } });
  });
  it('dual m-line explanation names the partner', () => {
    const n = run(P.default, offersFromFixture('polycom-vvx-dual-mline.offer.sdp'));
    expect(n.media[1]?.reasons[0]).toBe('plaintext half of a dual m-line offer: encrypted m-line 0 was accepted');
  });
  it('keyingDeciderFor maps decisions to the sdp/ answer builder input', () => {
    const offers = offersFromFixture('polycom-vvx-dual-mline.offer.sdp');
    const n = run(P.default, offers);
    const decide = keyingDeciderFor(n, [{ hash: 'sha-256', value: 'AA:BB' }]);
    const d0 = decide({ index: 0 } as Parameters<typeof decide>[0]);
    expect(d0.kind).toBe('sdes');
    if (d0.kind === 'sdes') expect(d0.answer.tag).toBe(8);
    expect(decide({ index: 1 } as Parameters<typeof decide>[0])).toEqual({ kind: 'reject', reason: 'plaintext half of a dual m-line offer: encrypted m-line 0 was accepted' });
    const chrome = run(P.default, offersFromFixture('chrome-audio-video.offer.sdp'));
    expect(keyingDeciderFor(chrome, [{ hash: 'sha-256', value: 'AA:BB' }])({ index: 1 } as Parameters<typeof decide>[0])).toEqual({ kind: 'dtls', fingerprints: [{ hash: 'sha-256', value: 'AA:BB' }], setup: 'passive' });
  });
});
