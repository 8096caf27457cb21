/**
 * Takeover re-INVITE offer and answer processing (RFC 3261 12.2.1.1 / 14.1 target refresh,
 * RFC 3264 8 modifying a session, RFC 4568 7.1 SDES offer/answer). Golden offers are exact:
 * the key comes from an injected generator, so nothing needs masking.
 */
import { describe, expect, it } from 'vitest';
import { cryptoLines, parseSdp } from '../../../sdp/index.ts';
import { buildTakeoverOffer, legAfterTakeover, takeoverLegPlan, TakeoverError } from '../../../src/app/takeover-reinvite.ts';
import type { TakeoverMedia } from '../../../src/app/takeover-reinvite.ts';
import type { CallLeg } from '../../../src/core/call/call-record.ts';
import { GatehouseError } from '../../../src/core/errors.ts';
import { b64, crlf, fixedRng, gcmAnswer, GCM_LEG, OLD_REMOTE_GCM, SHA1_LEG, V6_LEG } from './takeover-fixtures.ts';

const NEW_MEDIA: TakeoverMedia = { address: '198.51.100.7', port: 50000 };

describe('buildTakeoverOffer: golden offers', () => {
  const cases: { name: string; leg: CallLeg; media: TakeoverMedia; keyLength: number; expected: (key: string) => string }[] = [
    {
      name: 'RFC 3264 8 / RFC 4568 7.1.4: AEAD_AES_256_GCM with rtcp-mux: version + 1, new c= and port, same tag/suite, fresh key, same PTs',
      leg: GCM_LEG,
      media: NEW_MEDIA,
      keyLength: 44,
      expected: (key) =>
        crlf(
          'v=0',
          'o=- 4858 3 IN IP4 192.0.2.10',
          's=-',
          'c=IN IP4 198.51.100.7',
          't=0 0',
          'm=audio 50000 RTP/SAVP 0 8 101',
          'a=sendrecv',
          'a=rtcp-mux',
          'a=rtpmap:0 PCMU/8000',
          'a=rtpmap:8 PCMA/8000',
          'a=rtpmap:101 telephone-event/8000',
          'a=fmtp:101 0-16',
          'a=ptime:20',
          `a=crypto:1 AEAD_AES_256_GCM inline:${key}`,
        ),
    },
    {
      name: 'RFC 3264 8 / RFC 3605 / RFC 5576: SHA1_80 keeps lifetime, MKI and session params; a=rtcp follows the port; a=ssrc dropped; rejected m-line kept',
      leg: SHA1_LEG,
      media: { address: '198.51.100.7', port: 50000 },
      keyLength: 30,
      expected: (key) =>
        crlf(
          'v=0',
          'o=gw 123456789012345678901 18446744073709551616 IN IP4 192.0.2.10',
          's=-',
          'c=IN IP4 198.51.100.7',
          't=0 0',
          'm=audio 50000 RTP/SAVP 9 101',
          'a=rtcp:50001 IN IP4 198.51.100.7',
          'a=rtpmap:9 G722/8000',
          'a=rtpmap:101 telephone-event/8000',
          `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^31|1:4 WSH=128`,
          'a=sendrecv',
          'm=video 0 RTP/SAVP 96',
        ),
    },
    {
      name: 'RFC 3605 2.1: an explicit RTCP port is used as given',
      leg: SHA1_LEG,
      media: { address: '198.51.100.7', port: 50000, rtcpPort: 50007 },
      keyLength: 30,
      expected: (key) =>
        crlf(
          'v=0',
          'o=gw 123456789012345678901 18446744073709551616 IN IP4 192.0.2.10',
          's=-',
          'c=IN IP4 198.51.100.7',
          't=0 0',
          'm=audio 50000 RTP/SAVP 9 101',
          'a=rtcp:50007 IN IP4 198.51.100.7',
          'a=rtpmap:9 G722/8000',
          'a=rtpmap:101 telephone-event/8000',
          `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^31|1:4 WSH=128`,
          'a=sendrecv',
          'm=video 0 RTP/SAVP 96',
        ),
    },
    {
      name: 'RFC 8866 5.7 / RFC 3264 6.1: IPv6 media-level c= rewritten as IP6; our old sendonly becomes sendrecv',
      leg: V6_LEG,
      media: { address: '2001:db8::99', port: 50000 },
      keyLength: 28,
      expected: (key) =>
        crlf('v=0', 'o=- 1 2 IN IP6 2001:db8::1', 's=-', 't=0 0', 'm=audio 50000 RTP/SAVP 0', 'c=IN IP6 2001:db8::99', 'a=sendrecv', `a=crypto:1 AEAD_AES_128_GCM inline:${key}`),
    },
  ];

  it.each(cases)('$name', ({ leg, media, keyLength, expected }) => {
    const fresh = fixedRng(100)(keyLength);
    const offer = buildTakeoverOffer(leg, media, fixedRng(100));
    expect(offer.sdp).toBe(expected(b64(fresh)));
    expect(Buffer.from([...offer.localKey.masterKey, ...offer.localKey.masterSalt])).toEqual(Buffer.from(fresh));
    // The offer parses, and its one a=crypto carries exactly the key the new leg protects with.
    const parsed = parseSdp(offer.sdp);
    const section = parsed.media[offer.mediaIndex];
    expect(section).toBeDefined();
    const lines = section ? cryptoLines(section) : [];
    expect(lines).toHaveLength(1);
    expect(lines[0]?.ok && Buffer.from(lines[0].attribute.keyParams[0]?.keySalt ?? [])).toEqual(Buffer.from(fresh));
  });

  it('RFC 3264 8: o= stays identical except the version; the m-line count and order stay', () => {
    for (const leg of [GCM_LEG, SHA1_LEG, V6_LEG]) {
      const before = parseSdp(leg.localSdp ?? '');
      const after = parseSdp(buildTakeoverOffer(leg, NEW_MEDIA).sdp);
      expect({ ...after.origin, sessionVersion: '' }).toEqual({ ...before.origin, sessionVersion: '' });
      expect(BigInt(after.origin.sessionVersion)).toBe(BigInt(before.origin.sessionVersion) + 1n);
      expect(after.media.map((m) => `${m.mLine.media} ${m.mLine.proto} ${m.mLine.fmts.join(',')}`)).toEqual(before.media.map((m) => `${m.mLine.media} ${m.mLine.proto} ${m.mLine.fmts.join(',')}`));
    }
  });

  it('RFC 3264 8/8.2: an accepted video stream keeps its m-line, turned off (port 0, no key, its a=mid only)', () => {
    const video = 'm=video 40002 RTP/SAVP 96 97\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\na=crypto:1 AEAD_AES_256_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWZnaGlqaw==\r\na=sendrecv\r\n';
    const leg: CallLeg = { ...GCM_LEG, localSdp: `${GCM_LEG.localSdp ?? ''}${video}` };
    const offer = buildTakeoverOffer(leg, NEW_MEDIA, fixedRng(100));
    const parsed = parseSdp(offer.sdp);
    expect(parsed.media.map((m) => `${m.mLine.media} ${m.mLine.port}`)).toEqual([...parseSdp(GCM_LEG.localSdp ?? '').media.map((m) => `${m.mLine.media} ${m.mLine.media === 'audio' ? NEW_MEDIA.port : m.mLine.port}`), 'video 0']);
    expect(offer.sdp).toContain('m=video 0 RTP/SAVP 96 97\r\na=mid:v\r\n');
    expect(offer.sdp.match(/a=crypto:/g)).toHaveLength(1); // the audio key only
    expect(offer.mediaCount).toBe(parsed.media.length);
  });

  it('RFC 4568 7.1.4: the default generator (node:crypto) gives a fresh key every time, never the old one', () => {
    const a = buildTakeoverOffer(GCM_LEG, NEW_MEDIA);
    const b = buildTakeoverOffer(GCM_LEG, NEW_MEDIA);
    const old = GCM_LEG.srtp?.local.masterKey ?? new Uint8Array();
    expect(Buffer.from(a.localKey.masterKey).equals(Buffer.from(b.localKey.masterKey))).toBe(false);
    expect(Buffer.from(a.localKey.masterKey).equals(Buffer.from(old))).toBe(false);
    expect(a.localKey.masterKey).toHaveLength(32);
    expect(a.localKey.masterSalt).toHaveLength(12);
  });

  it('reports what the answer step needs: index, suite, tag, formats, mux, the old remote key', () => {
    const offer = buildTakeoverOffer(SHA1_LEG, NEW_MEDIA, fixedRng(100));
    expect(offer).toMatchObject({
      mediaIndex: 0,
      mediaCount: 2,
      proto: 'RTP/SAVP',
      sessionVersion: '18446744073709551616',
      suite: 'AES_CM_128_HMAC_SHA1_80',
      tag: 5,
      rtcpMux: false,
      formats: [
        { pt: 9, name: 'G722', clockRate: 8000 },
        { pt: 101, name: 'telephone-event', clockRate: 8000 },
      ],
    });
    expect(offer.localKey).toMatchObject({ lifetime: 2 ** 31, mki: Uint8Array.from([0, 0, 0, 1]) });
  });
});

describe('buildTakeoverOffer: refusals', () => {
  const withSdp = (localSdp: string | null, patch: Partial<CallLeg> = {}): CallLeg => ({ ...GCM_LEG, localSdp, ...patch });
  const gcmSdp = GCM_LEG.localSdp ?? '';
  const cases: { name: string; leg: CallLeg; media?: TakeoverMedia; code: string }[] = [
    { name: 'RFC 5763: a DTLS-SRTP leg re-keys by a new handshake, not by this offer', leg: withSdp(gcmSdp, { srtp: GCM_LEG.srtp && { ...GCM_LEG.srtp, keyExchange: 'dtls-srtp' } }), code: 'TAKEOVER_NOT_SDES' },
    { name: 'a leg without SRTP state', leg: withSdp(gcmSdp, { srtp: null }), code: 'TAKEOVER_NOT_SDES' },
    { name: 'no stored answer', leg: withSdp(null), code: 'TAKEOVER_NO_LOCAL_SDP' },
    { name: 'stored answer does not parse', leg: withSdp('garbage'), code: 'TAKEOVER_NO_LOCAL_SDP' },
    { name: 'RFC 3264 6: no accepted audio m-line', leg: withSdp(gcmSdp.replace('m=audio 40000', 'm=audio 0')), code: 'TAKEOVER_NO_STREAM' },
    { name: 'RFC 4568 7.1.2: stored answer without a=crypto', leg: withSdp(gcmSdp.replace(/a=crypto:[^\r]*\r\n/, '')), code: 'TAKEOVER_NO_LOCAL_CRYPTO' },
    { name: 'stored suite differs from the answer\'s a=crypto', leg: withSdp(gcmSdp, { srtp: GCM_LEG.srtp && { ...GCM_LEG.srtp, suite: 'AEAD_AES_128_GCM' } }), code: 'TAKEOVER_NO_LOCAL_CRYPTO' },
    { name: 'port 0', leg: GCM_LEG, media: { address: '198.51.100.7', port: 0 }, code: 'TAKEOVER_BAD_MEDIA' },
    { name: 'port above 65535', leg: GCM_LEG, media: { address: '198.51.100.7', port: 70000 }, code: 'TAKEOVER_BAD_MEDIA' },
    { name: 'RTCP port 65536 (RTP 65535 without mux)', leg: SHA1_LEG, media: { address: '198.51.100.7', port: 65535 }, code: 'TAKEOVER_BAD_MEDIA' },
    { name: 'address with a space', leg: GCM_LEG, media: { address: '1.2.3.4 x', port: 5000 }, code: 'TAKEOVER_BAD_MEDIA' },
  ];

  it.each(cases)('$name -> $code', ({ leg, media, code }) => {
    let err: unknown;
    try {
      buildTakeoverOffer(leg, media ?? NEW_MEDIA, fixedRng(100));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TakeoverError);
    expect(err).toMatchObject({ code });
    // No key material in what an operator reads.
    expect(String((err as Error).message)).not.toContain(b64(OLD_REMOTE_GCM).slice(0, 12));
  });

  it('a generator returning the wrong length is an internal error, not a short key', () => {
    let err: unknown;
    try {
      buildTakeoverOffer(GCM_LEG, NEW_MEDIA, () => new Uint8Array(16));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toMatchObject({ category: 'internal', code: 'TAKEOVER_RNG_LENGTH' });
  });
});

describe('takeoverLegPlan: the peer\'s answer', () => {
  const offer = buildTakeoverOffer(GCM_LEG, NEW_MEDIA, fixedRng(100));
  const peerKey = fixedRng(9)(44);

  it('RFC 4568 7.1.3 / RFC 3264 6: new peer key, address, muxed port, formats in the answer\'s order', () => {
    const plan = takeoverLegPlan(offer, gcmAnswer({ key: peerKey }));
    expect(plan).toEqual({
      mediaIndex: 0,
      remote: { address: '203.0.113.5', rtpPort: 30010, rtcpPort: 30010 },
      formats: [
        { pt: 8, name: 'PCMA', clockRate: 8000 },
        { pt: 101, name: 'telephone-event', clockRate: 8000 },
      ],
      rtcpMux: true,
      peerDirection: 'sendrecv',
      suite: 'AEAD_AES_256_GCM',
      localKey: offer.localKey,
      remoteKey: { masterKey: peerKey.slice(0, 32), masterSalt: peerKey.slice(32) },
      remoteKeyUnchanged: false,
      video: null, // no video m-line carried (takeover-video.test.ts)
    });
  });

  const variants: { name: string; answer: string; expect: Record<string, unknown> }[] = [
    { name: 'RFC 4568 7.1.4: the peer kept its old key (flagged: its SRTP stream continues)', answer: gcmAnswer({ key: OLD_REMOTE_GCM }), expect: { remoteKeyUnchanged: true } },
    { name: 'RFC 5761 5.1.1: no a=rtcp-mux in the answer: RTCP on port + 1', answer: gcmAnswer({ lines: ['a=sendrecv'] }), expect: { rtcpMux: false, remote: { address: '203.0.113.5', rtpPort: 30010, rtcpPort: 30011 } } },
    { name: 'RFC 3605 2.1: no mux, explicit a=rtcp', answer: gcmAnswer({ lines: ['a=rtcp:30021'] }), expect: { rtcpMux: false, remote: { address: '203.0.113.5', rtpPort: 30010, rtcpPort: 30021 } } },
    { name: 'RFC 3264 6.1: a peer still holding us answers sendonly', answer: gcmAnswer({ lines: ['a=rtcp-mux', 'a=sendonly'] }), expect: { peerDirection: 'sendonly' } },
    {
      name: 'RFC 3264 6.1: payload types the offer did not list are ignored',
      answer: gcmAnswer({ mLine: 'm=audio 30010 RTP/SAVP 18 0 101' }),
      expect: { formats: [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 101, name: 'telephone-event', clockRate: 8000 }] },
    },
    { name: 'RFC 8866 5.7: media-level c= wins', answer: gcmAnswer({ lines: ['a=rtcp-mux', 'c=IN IP4 203.0.113.99'] }), expect: { remote: { address: '203.0.113.99', rtpPort: 30010, rtcpPort: 30010 } } },
  ];

  it.each(variants)('$name', ({ answer, expect: want }) => {
    expect(takeoverLegPlan(offer, answer)).toMatchObject(want);
  });

  const refusals: { name: string; answer: string; code: string; category: string }[] = [
    { name: 'malformed SDP', answer: 'not sdp', code: 'TAKEOVER_ANSWER_MALFORMED', category: 'protocol' },
    { name: 'RFC 3264 6: a different number of m-lines', answer: gcmAnswer({ extraMedia: ['m=video 0 RTP/SAVP 96'] }), code: 'TAKEOVER_ANSWER_MLINES', category: 'protocol' },
    { name: 'RFC 3264 6: stream rejected with port 0', answer: gcmAnswer({ mLine: 'm=audio 0 RTP/SAVP 8 101' }), code: 'TAKEOVER_STREAM_REJECTED', category: 'protocol' },
    { name: 'RFC 3264 6: another transport protocol', answer: gcmAnswer({ mLine: 'm=audio 30010 RTP/AVP 8 101' }), code: 'TAKEOVER_ANSWER_PROTO', category: 'protocol' },
    { name: 'RFC 4568 7.1.3: a=crypto with a tag we did not offer', answer: gcmAnswer({ crypto: `a=crypto:2 AEAD_AES_256_GCM inline:${b64(peerKey)}` }), code: 'TAKEOVER_ANSWER_NO_CRYPTO', category: 'protocol' },
    { name: 'RFC 4568 7.1.3: no a=crypto at all', answer: gcmAnswer({ crypto: 'a=ptime:20' }), code: 'TAKEOVER_ANSWER_NO_CRYPTO', category: 'protocol' },
    { name: 'RFC 4568 7.1.3: another suite under our tag', answer: gcmAnswer({ crypto: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${b64(fixedRng(9)(30))}` }), code: 'TAKEOVER_ANSWER_SUITE', category: 'protocol' },
    { name: 'RFC 4568 6.1: key||salt too short for the suite', answer: gcmAnswer({ crypto: `a=crypto:1 AEAD_AES_256_GCM inline:${b64(fixedRng(9)(30))}` }), code: 'TAKEOVER_ANSWER_KEY_LENGTH', category: 'protocol' },
    { name: 'RFC 8866 5.7: no c= anywhere', answer: gcmAnswer({ conn: null }), code: 'TAKEOVER_ANSWER_NO_CONNECTION', category: 'protocol' },
    { name: 'none of the offered payload types', answer: gcmAnswer({ mLine: 'm=audio 30010 RTP/SAVP 18' }), code: 'TAKEOVER_NO_COMMON_CODEC', category: 'protocol' },
  ];

  it.each(refusals)('$name -> $code', ({ answer, code, category }) => {
    let err: unknown;
    try {
      takeoverLegPlan(offer, answer);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TakeoverError);
    expect(err).toMatchObject({ code, category });
    expect(String((err as Error).message)).not.toContain(b64(peerKey).slice(0, 12));
  });
});

describe('legAfterTakeover', () => {
  it('stores the new negotiated pair, keys and addresses; a second takeover builds on it (version + 1 again)', () => {
    const media: TakeoverMedia = { address: '198.51.100.7', port: 50000 };
    const offer = buildTakeoverOffer(SHA1_LEG, media, fixedRng(100));
    const peerKey = fixedRng(11)(30);
    const answer = crlf(
      'v=0',
      'o=peer 1 2 IN IP4 203.0.113.5',
      's=-',
      'c=IN IP4 203.0.113.5',
      't=0 0',
      'm=audio 30100 RTP/SAVP 9',
      `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${b64(peerKey)}|2^31|1:4`,
      'm=video 0 RTP/SAVP 96',
    );
    const plan = takeoverLegPlan(offer, answer);
    const dialog = { version: 1 as const, backend: 'embedded' as const, dialogId: 'cid;lt;rt', state: { cseq: 7 } };
    const next = legAfterTakeover(SHA1_LEG, offer, answer, plan, media, dialog);
    expect(next).toMatchObject({
      legId: 'leg-1',
      dialog,
      localSdp: offer.sdp,
      remoteSdp: answer,
      srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', keyExchange: 'sdes' },
      media: { local: { address: '198.51.100.7', port: 50000, rtcpPort: 50001 }, remote: { address: '203.0.113.5', port: 30100, rtcpPort: 30101 }, rtcpMux: false },
    });
    expect(Buffer.from([...(next.srtp?.remote.masterKey ?? []), ...(next.srtp?.remote.masterSalt ?? [])])).toEqual(Buffer.from(peerKey));
    const again = buildTakeoverOffer(next, { address: '198.51.100.8', port: 52000 }, fixedRng(200));
    expect(again.sessionVersion).toBe('18446744073709551617');
    expect(again.previousRemoteKeySalt).toEqual(peerKey);
    expect(again.sdp).toContain('m=audio 52000 RTP/SAVP 9 101');
  });
});
