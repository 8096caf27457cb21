import { describe, expect, it } from 'vitest';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { negotiateOffer } from '../../../src/app/negotiate-offer.ts';

const policy = createCryptoPolicy();
const KEY30 = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'; // 30 bytes: AES-128 key||salt
const KEY44 = Buffer.alloc(44, 7).toString('base64'); // 44 bytes: AES-256 key||salt (GCM: 32+12)

function sdesOffer(lines: readonly string[], proto = 'RTP/SAVP'): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 4000 ${proto} 0 8 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', ...lines, ''].join('\r\n');
}
const sdesOnly = { sdes: true, dtls: false } as const;

describe('negotiateOffer: policy keying then codecs (issues 3 and 5)', () => {
  it('picks by policy order: AEAD_AES_256_GCM wins even when offered last, tag echoed', () => {
    const r = negotiateOffer(policy, {
      sdp: sdesOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`, `a=crypto:2 AEAD_AES_256_GCM inline:${KEY44}`]),
      peer: { ip: '127.0.0.1' },
      localFingerprints: [],
      supportedKeying: sdesOnly,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.plan.media[0];
    expect(m?.verdict).toBe('accept');
    expect(m?.keying?.kind).toBe('sdes');
    if (m?.keying?.kind !== 'sdes') return;
    expect(m.keying.answer.suite).toBe('AEAD_AES_256_GCM');
    expect(m.keying.answer.tag).toBe(2);
    expect(m.codecs.map((c) => c.name)).toEqual(['PCMU', 'PCMA', 'telephone-event']);
  });

  it('baresip-style SHA1_80-only offer: accepted under default, downgrade recorded', () => {
    const r = negotiateOffer(policy, { sdp: sdesOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`], 'RTP/AVP'), peer: {}, profile: 'interop', localFingerprints: [], supportedKeying: sdesOnly });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.downgrades.length).toBeGreaterThan(0);
  });

  it('488 with a Warning naming the profile under secure when only SHA1_80 is offered', () => {
    const r = negotiateOffer(policy, { sdp: sdesOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`]), peer: {}, profile: 'secure', localFingerprints: [], supportedKeying: sdesOnly });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(488);
    expect(r.warning).toMatch(/^399 gatehouse "profile secure: /);
    expect(r.warning).not.toContain(KEY30);
  });

  it('plaintext RTP/AVP without crypto: 488 under default', () => {
    const r = negotiateOffer(policy, { sdp: sdesOffer([], 'RTP/AVP'), peer: {}, localFingerprints: [], supportedKeying: sdesOnly });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(488);
  });

  it('malformed SDP: 400 with the parse reason and line, no key material', () => {
    const r = negotiateOffer(policy, { sdp: `v=0\r\nbogus line inline:${KEY30}\r\n`, peer: {}, localFingerprints: [], supportedKeying: sdesOnly });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(r.warning).toMatch(/line 2/);
    expect(r.warning).not.toContain(KEY30);
  });

  it('no common codec: 488 naming the m-line', () => {
    const sdp = sdesOffer([`a=crypto:1 AEAD_AES_256_GCM inline:${KEY44}`]).replace('m=audio 4000 RTP/SAVP 0 8 101', 'm=audio 4000 RTP/SAVP 18').replace(/a=rtpmap:(0|8|101)[^\r]*\r\n/g, '').replace('a=fmtp:101 0-16\r\n', '');
    const r = negotiateOffer(policy, { sdp, peer: {}, localFingerprints: [], supportedKeying: sdesOnly });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(488);
    expect(r.warning).toMatch(/m-line 0 audio/);
  });
});
