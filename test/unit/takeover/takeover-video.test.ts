/**
 * Takeover re-INVITE of an SDES SIP leg WITH its video m-line (takeover-video.ts): RFC 3264 8
 * (same m-lines in the same order, a new port moves a stream, 8.2 a refused stream), RFC 4568
 * 7.1.4 (a new key in a re-offer; `same` re-offers the stored VIDEO key, not the audio one) and
 * 7.1.3 (the answer's a=crypto). Golden offers are exact: keys come from injected generators.
 */
import { describe, expect, it } from 'vitest';
import { cryptoLines, parseSdp } from '../../../sdp/index.ts';
import { buildTakeoverOffer, legAfterTakeover, storedVideoOf, takeoverLegPlan, TakeoverError, type TakeoverMedia } from '../../../src/app/takeover-reinvite.ts';
import type { CallLeg } from '../../../src/core/call/call-record.ts';
import { b64, crlf, fixedRng, GCM_LEG, OLD_LOCAL_GCM, OLD_REMOTE_GCM } from './takeover-fixtures.ts';

const AUDIO: TakeoverMedia = { address: '198.51.100.7', port: 50000 };
const VIDEO: TakeoverMedia = { address: '198.51.100.7', port: 50002, rtcpPort: 50003 };
const OLD_LOCAL_VIDEO = fixedRng(21)(30);
const OLD_REMOTE_VIDEO = fixedRng(22)(30);

/** A different byte string on every call: audio and video keys are separate draws. */
function countingRng(): (n: number) => Uint8Array {
  let seed = 40;
  return (n) => fixedRng((seed += 50))(n);
}

/** GCM_LEG with an accepted SDES video m-line (VP8 + H.264, own a=crypto, no rtcp-mux, an a=ssrc). */
const VIDEO_LEG: CallLeg = {
  ...GCM_LEG,
  localSdp: `${GCM_LEG.localSdp ?? ''}${crlf(
    'm=video 40002 RTP/SAVPF 96 97',
    'a=sendrecv',
    'a=rtcp:40003',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 nack pli',
    'a=rtcp-fb:96 ccm fir',
    'a=rtpmap:97 H264/90000',
    'a=fmtp:97 packetization-mode=1;profile-level-id=42e01f',
    'a=rtcp-fb:97 nack pli',
    'a=ssrc:99 cname:gw',
    `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(OLD_LOCAL_VIDEO)}`,
  )}`,
  remoteSdp: `${GCM_LEG.remoteSdp ?? ''}${crlf(
    'm=video 30002 RTP/SAVPF 96 97',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:* nack pli',
    'a=rtpmap:97 H264/90000',
    `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(OLD_REMOTE_VIDEO)}`,
  )}`,
};

/** The peer's answer to a VIDEO_LEG takeover offer; `video` replaces its video m-line block. */
function answer(o: { video?: string[]; audioKey?: Uint8Array } = {}): string {
  return crlf(
    'v=0',
    'o=peer 77 2 IN IP4 203.0.113.5',
    's=-',
    'c=IN IP4 203.0.113.5',
    't=0 0',
    'm=audio 30010 RTP/SAVP 0 101',
    'a=rtcp-mux',
    'a=rtpmap:101 telephone-event/8000',
    `a=crypto:1 AEAD_AES_256_GCM inline:${b64(o.audioKey ?? fixedRng(9)(44))}`,
    ...(o.video ?? [
      'm=video 30012 RTP/SAVPF 96',
      'a=rtpmap:96 VP8/90000',
      'a=rtcp-fb:96 nack pli',
      `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(fixedRng(12)(30))}`,
    ]),
  );
}

describe('buildTakeoverOffer with video', () => {
  it('RFC 3264 8 / RFC 4568 7.1.4: the video m-line is re-offered at its new port with a fresh key, same tag, suite, formats and feedback; m-lines unchanged in count and order', () => {
    const rng = countingRng();
    const audioKey = countingRng()(44);
    const offer = buildTakeoverOffer(VIDEO_LEG, AUDIO, rng, 'new', VIDEO);
    const videoKey = fixedRng(140)(30); // the generator's second draw
    expect(offer.sdp).toBe(
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
        `a=crypto:1 AEAD_AES_256_GCM inline:${b64(audioKey)}`,
        'm=video 50002 RTP/SAVPF 96 97',
        'a=sendrecv',
        'a=rtcp:50003 IN IP4 198.51.100.7',
        'a=rtpmap:96 VP8/90000',
        'a=rtcp-fb:96 nack pli',
        'a=rtcp-fb:96 ccm fir',
        'a=rtpmap:97 H264/90000',
        'a=fmtp:97 packetization-mode=1;profile-level-id=42e01f',
        'a=rtcp-fb:97 nack pli',
        `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(videoKey)}`,
      ),
    );
    expect(parseSdp(offer.sdp).media.map((m) => m.mLine.media)).toEqual(parseSdp(VIDEO_LEG.localSdp ?? '').media.map((m) => m.mLine.media));
    expect(offer.video).toMatchObject({
      mediaIndex: 1,
      proto: 'RTP/SAVPF',
      suite: 'AES_CM_128_HMAC_SHA1_80',
      tag: 3,
      rtcpMux: false,
      feedback: { pli: true, fir: true },
      formats: [
        { pt: 96, name: 'VP8', clockRate: 90000 },
        { pt: 97, name: 'H264', clockRate: 90000, packetizationMode: 1, h264Profile: 'constrained-baseline' },
      ],
    });
    expect(Buffer.from([...(offer.video?.localKey.masterKey ?? []), ...(offer.video?.localKey.masterSalt ?? [])])).toEqual(Buffer.from(videoKey));
    expect(offer.video?.previousRemoteKeySalt).toEqual(OLD_REMOTE_VIDEO);
  });

  it('takeover_sdes_key same: the STORED VIDEO key is re-offered on the video m-line (not the audio key)', () => {
    const offer = buildTakeoverOffer(VIDEO_LEG, AUDIO, fixedRng(1), 'same', VIDEO);
    const sections = parseSdp(offer.sdp).media;
    const keyOf = (i: number): Uint8Array | undefined => {
      const c = cryptoLines(sections[i] as NonNullable<(typeof sections)[number]>)[0];
      return c?.ok ? c.attribute.keyParams[0]?.keySalt : undefined;
    };
    expect(keyOf(0)).toEqual(OLD_LOCAL_GCM);
    expect(keyOf(1)).toEqual(OLD_LOCAL_VIDEO);
  });

  it('RFC 3264 8.2: without video ports the video m-line stays, turned off (port 0), as before', () => {
    const offer = buildTakeoverOffer(VIDEO_LEG, AUDIO, fixedRng(1));
    expect(offer.video).toBeNull();
    expect(offer.sdp).toContain('m=video 0 RTP/SAVPF 96 97\r\n');
    expect(offer.sdp).not.toContain(b64(OLD_LOCAL_VIDEO));
  });

  it('an audio-only leg: identical offer with or without video ports, no video part', () => {
    const a = buildTakeoverOffer(GCM_LEG, AUDIO, fixedRng(5));
    const b = buildTakeoverOffer(GCM_LEG, AUDIO, fixedRng(5), 'new', VIDEO);
    expect(b.sdp).toBe(a.sdp);
    expect(b.video).toBeNull();
  });

  it('rejects a video port out of range', () => {
    expect(() => buildTakeoverOffer(VIDEO_LEG, AUDIO, fixedRng(1), 'new', { address: '198.51.100.7', port: 0 })).toThrow(TakeoverError);
  });
});

describe('storedVideoOf: which stored legs carry video over', () => {
  const cases: { name: string; leg: CallLeg; want: { rtcpMux: boolean } | null }[] = [
    { name: 'accepted SDES video, RTCP apart', leg: VIDEO_LEG, want: { rtcpMux: false } },
    { name: 'accepted SDES video with rtcp-mux (RFC 5761)', leg: { ...VIDEO_LEG, localSdp: (VIDEO_LEG.localSdp ?? '').replace('a=rtcp:40003\r\n', 'a=rtcp-mux\r\n') }, want: { rtcpMux: true } },
    { name: 'audio only', leg: GCM_LEG, want: null },
    { name: 'video refused before (port 0)', leg: { ...VIDEO_LEG, localSdp: (VIDEO_LEG.localSdp ?? '').replace('m=video 40002', 'm=video 0') }, want: null },
    { name: 'video m-line without a=crypto (RFC 4568 7.1.2)', leg: { ...VIDEO_LEG, localSdp: (VIDEO_LEG.localSdp ?? '').replace(/a=crypto:3 [^\r]*\r\n/, '') }, want: null },
    { name: 'stored answer that does not parse', leg: { ...VIDEO_LEG, localSdp: 'garbage' }, want: null },
  ];
  it.each(cases)('$name', ({ leg, want }) => {
    expect(storedVideoOf(leg)).toEqual(want);
  });
});

describe('takeoverLegPlan with video', () => {
  const offer = buildTakeoverOffer(VIDEO_LEG, AUDIO, countingRng(), 'new', VIDEO);

  it('RFC 4568 7.1.3 / RFC 3264 6: the video stream\'s peer address, ports, key, formats (answer order) and feedback', () => {
    const plan = takeoverLegPlan(offer, answer());
    const peerVideoKey = fixedRng(12)(30);
    expect(plan.video).toEqual({
      index: 1,
      formats: [{ pt: 96, name: 'VP8', clockRate: 90000 }],
      feedback: { pli: true, fir: true },
      remoteKeyUnchanged: false,
      sdes: {
        mediaIndex: 1,
        remote: { address: '203.0.113.5', rtpPort: 30012, rtcpPort: 30013 },
        formats: [{ pt: 96, name: 'VP8', clockRate: 90000 }],
        rtcpMux: false,
        peerDirection: 'sendrecv',
        suite: 'AES_CM_128_HMAC_SHA1_80',
        localKey: offer.video?.localKey,
        remoteKey: { masterKey: peerVideoKey.slice(0, 16), masterSalt: peerVideoKey.slice(16) },
      },
    });
    expect(plan.remote).toEqual({ address: '203.0.113.5', rtpPort: 30010, rtcpPort: 30010 });
  });

  it('RFC 4568 7.1.4: the peer kept its video key (flagged, like audio)', () => {
    const plan = takeoverLegPlan(offer, answer({ audioKey: OLD_REMOTE_GCM, video: ['m=video 30012 RTP/SAVPF 96', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(OLD_REMOTE_VIDEO)}`] }));
    expect(plan.remoteKeyUnchanged).toBe(true);
    expect(plan.video?.remoteKeyUnchanged).toBe(true);
  });

  it('RFC 3264 8.2: the peer refuses the video (port 0): the leg goes on with audio only', () => {
    const plan = takeoverLegPlan(offer, answer({ video: ['m=video 0 RTP/SAVPF 96'] }));
    expect(plan.video).toBeNull();
    expect(plan.remote.rtpPort).toBe(30010);
  });

  it('RFC 3605 / media-level c=: the video stream\'s own RTCP port and address', () => {
    const plan = takeoverLegPlan(offer, answer({ video: ['m=video 30012 RTP/SAVPF 97 96', 'c=IN IP4 203.0.113.9', 'a=rtcp:30099', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(fixedRng(12)(30))}`] }));
    expect(plan.video?.sdes?.remote).toEqual({ address: '203.0.113.9', rtpPort: 30012, rtcpPort: 30099 });
    expect(plan.video?.formats.map((f) => f.pt)).toEqual([97, 96]);
  });

  const key30 = b64(fixedRng(12)(30));
  const refusals: { name: string; video: string[]; code: string }[] = [
    { name: 'RFC 3264 6: another transport protocol on the video m-line', video: ['m=video 30012 RTP/AVPF 96', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${key30}`], code: 'TAKEOVER_ANSWER_PROTO' },
    { name: 'RFC 3264 6: the video position holds another media type', video: ['m=audio 30012 RTP/SAVPF 96', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${key30}`], code: 'TAKEOVER_ANSWER_MLINES' },
    { name: 'RFC 4568 7.1.3: no video a=crypto with our tag', video: ['m=video 30012 RTP/SAVPF 96', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key30}`], code: 'TAKEOVER_ANSWER_NO_CRYPTO' },
    { name: 'RFC 4568 7.1.3: another suite under our tag', video: ['m=video 30012 RTP/SAVPF 96', `a=crypto:3 AEAD_AES_256_GCM inline:${b64(fixedRng(12)(44))}`], code: 'TAKEOVER_ANSWER_SUITE' },
    { name: 'RFC 4568 6.1: video key||salt too short', video: ['m=video 30012 RTP/SAVPF 96', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${b64(fixedRng(12)(20))}`], code: 'TAKEOVER_ANSWER_KEY_LENGTH' },
    { name: 'none of the offered video payload types', video: ['m=video 30012 RTP/SAVPF 100', `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${key30}`], code: 'TAKEOVER_NO_COMMON_CODEC' },
  ];
  it.each(refusals)('$name -> $code', ({ video, code }) => {
    let err: unknown;
    try {
      takeoverLegPlan(offer, answer({ video }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TakeoverError);
    expect(err).toMatchObject({ code, category: 'protocol' });
    expect(String((err as Error).message)).not.toContain(key30.slice(0, 12));
  });
});

describe('legAfterTakeover with video: the record needs no new field', () => {
  it('the stored SDPs now hold the new video keys, so a second takeover re-offers the video again (same key with `same`)', () => {
    const first = buildTakeoverOffer(VIDEO_LEG, AUDIO, countingRng(), 'new', VIDEO);
    const text = answer();
    const plan = takeoverLegPlan(first, text);
    const next = legAfterTakeover(VIDEO_LEG, first, text, plan, AUDIO, null);
    expect(storedVideoOf(next)).toEqual({ rtcpMux: false });
    const again = buildTakeoverOffer(next, { address: '198.51.100.8', port: 52000 }, countingRng(), 'same', { address: '198.51.100.8', port: 52002 });
    expect(again.sdp).toContain('m=video 52002 RTP/SAVPF 96 97\r\n');
    expect(again.video?.localKey).toEqual(first.video?.localKey);
    expect(again.video?.previousRemoteKeySalt).toEqual(fixedRng(12)(30));
  });
});
