import { describe, expect, it } from 'vitest';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { buildAnswer } from '../../../sdp/index.ts';
import { legKindOf } from '../../../src/app/leg-request.ts';
import { negotiateOffer } from '../../../src/app/negotiate-offer.ts';
import { planVideo, VIDEO_KEYED_APART, VIDEO_NOT_BUNDLED, VIDEO_NOT_ON_DTLS_UDP } from '../../../src/app/video-plan.ts';
import { crlf, loadFixture } from '../sdp/fixtures.ts';

const policy = createCryptoPolicy();
const KEY_A = Buffer.alloc(30, 1).toString('base64');
const KEY_V = Buffer.alloc(30, 2).toString('base64');
const FP = 'sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':');
const OUR_FP = { hash: 'sha-256', value: Array.from({ length: 32 }, () => 'CD').join(':') };

/** baresip 1.0 with vp8.so: audio and video, SDES each with its own key, `a=rtcp-fb:* nack pli`. */
function baresipOffer(videoLines: readonly string[]): string {
  return crlf(
    [
      'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      'm=audio 4000 RTP/SAVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=rtcp-mux', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_A}`,
      ...videoLines, '',
    ].join('\n'),
  );
}

const VP8_VIDEO = ['m=video 4002 RTP/SAVP 96', 'a=rtpmap:96 VP8/90000', 'a=fmtp:96 max-fs=3600', 'a=rtcp-fb:* nack pli', 'a=rtcp-mux', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_V}`];

function run(sdp: string, fingerprints = false) {
  const r = negotiateOffer(policy, { sdp, peer: { ip: '127.0.0.1' }, localFingerprints: fingerprints ? [OUR_FP] : [], supportedKeying: { sdes: true, dtls: fingerprints } });
  if (!r.ok) throw new Error(`offer refused: ${r.warning}`);
  const audio = r.plan.media.find((m) => m.kind === 'audio' && m.verdict === 'accept');
  if (audio === undefined) throw new Error('no audio');
  return { r, audio, v: planVideo(r.offer, r.plan, r.policy, audio, legKindOf(audio)) };
}

function answer(n: ReturnType<typeof run>['v']['negotiation']): string {
  return buildAnswer(n, { origin: { sessionId: '1', sessionVersion: '1' }, address: '127.0.0.1', port: (p) => (p.kind === 'audio' ? 20000 : 20002) });
}

describe('video m-line of a room leg (RFC 3264 6, RFC 7741, RFC 6184 8.2.2)', () => {
  it('SDES leg (baresip VP8): video accepted with its own a=crypto key, PLI feedback, own plan', () => {
    const { v } = run(baresipOffer(VP8_VIDEO));
    expect(v.declined).toBeNull();
    expect(v.video?.formats).toEqual([{ pt: 96, name: 'VP8', clockRate: 90000 }]);
    expect(v.video?.feedback).toEqual({ pli: true, fir: false });
    const sdes = v.video?.sdes;
    expect(sdes?.remote).toEqual({ address: '127.0.0.1', rtpPort: 4002, rtcpPort: 4002 });
    // the video stream's key is the video m-line's a=crypto, not the audio's (RFC 4568 6: per m-line)
    expect(Buffer.from(sdes?.remoteKey.masterKey ?? []).equals(Buffer.alloc(16, 2))).toBe(true);
    const text = answer(v.negotiation);
    expect(text).toMatch(/m=video 20002 RTP\/SAVP 96\r\n/);
    expect(text).toMatch(/a=rtcp-fb:96 nack pli\r\n/);
    const cryptos = text.match(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(\S+)/g) ?? [];
    expect(cryptos).toHaveLength(2);
    expect(cryptos[0]).not.toBe(cryptos[1]);
  });

  it('H.264: packetization-mode kept per payload type, level lowered to 3.1, profile classified', () => {
    const { v } = run(
      baresipOffer([
        'm=video 4002 RTP/SAVP 127 126', 'a=rtpmap:127 H264/90000', 'a=fmtp:127 profile-level-id=428033;packetization-mode=0',
        'a=rtpmap:126 H264/90000', 'a=fmtp:126 profile-level-id=428033;packetization-mode=1', 'a=rtcp-fb:* ccm fir', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_V}`,
      ]),
    );
    expect(v.video?.formats).toEqual([
      { pt: 127, name: 'H264', clockRate: 90000, packetizationMode: 0, h264Profile: 'baseline' },
      { pt: 126, name: 'H264', clockRate: 90000, packetizationMode: 1, h264Profile: 'baseline' },
    ]);
    expect(v.video?.feedback).toEqual({ pli: false, fir: true });
    expect(answer(v.negotiation)).toMatch(/a=fmtp:126 profile-level-id=42801f;packetization-mode=1/);
  });

  it('H.264 packetization-mode 2 only: declined (port 0) with the codec reason', () => {
    const { v } = run(baresipOffer(['m=video 4002 RTP/SAVP 98', 'a=rtpmap:98 H264/90000', 'a=fmtp:98 profile-level-id=42e01f;packetization-mode=2', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_V}`]));
    expect(v.video).toBeNull();
    expect(v.declined).toMatch(/^video declined: no common codec/);
    expect(answer(v.negotiation)).toMatch(/m=video 0 RTP\/SAVP 98\r\n/);
  });

  it('audio SDES, video DTLS-SRTP: declined as keyed apart', () => {
    const { v } = run(baresipOffer(['m=video 4002 UDP/TLS/RTP/SAVP 96', 'a=rtpmap:96 VP8/90000', `a=fingerprint:${FP}`, 'a=setup:actpass']), true);
    expect(v.declined).toBe(VIDEO_KEYED_APART);
    expect(answer(v.negotiation)).toMatch(/m=video 0 UDP\/TLS\/RTP\/SAVP 96\r\n/);
  });

  it('DTLS-SRTP SIP leg without ICE: video declined, audio kept', () => {
    const dtls = (m: string) => [m, `a=fingerprint:${FP}`, 'a=setup:actpass', 'a=rtcp-mux'];
    const sdp = crlf(
      ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...dtls('m=audio 4000 UDP/TLS/RTP/SAVP 0'), ...dtls('m=video 4002 UDP/TLS/RTP/SAVP 96'), 'a=rtpmap:96 VP8/90000', ''].join('\n'),
    );
    const { v, audio } = run(sdp, true);
    expect(legKindOf(audio)).toBe('dtls-udp');
    expect(v.declined).toBe(VIDEO_NOT_ON_DTLS_UDP);
    expect(v.negotiation.media.map((m) => m.verdict)).toEqual(['accept', 'reject']);
  });

  it('Chromium offer (BUNDLE audio+video): guest video accepted, VP8 first, PLI and FIR', () => {
    const { v, audio } = run(crlf(loadFixture('chrome-audio-video.offer.sdp').sdp), true);
    expect(legKindOf(audio)).toBe('webrtc');
    expect(v.declined).toBeNull();
    expect(v.video?.sdes).toBeNull();
    expect(v.video?.formats[0]).toEqual({ pt: 96, name: 'VP8', clockRate: 90000 });
    expect(v.video?.formats.some((f) => f.name === 'H264' && f.packetizationMode === 1 && f.h264Profile === 'constrained-baseline')).toBe(true);
    expect(v.video?.feedback).toEqual({ pli: true, fir: true });
  });

  it('Chromium offer without BUNDLE: guest video declined', () => {
    const sdp = crlf(loadFixture('chrome-audio-video.offer.sdp').sdp.replace('a=group:BUNDLE 0 1\n', ''));
    const { v } = run(sdp, true);
    expect(v.declined).toBe(VIDEO_NOT_BUNDLED);
    expect(v.negotiation.bundle).toBeUndefined();
  });

  it('no video offered: nothing declined', () => {
    const { v } = run(baresipOffer([]));
    expect(v).toMatchObject({ video: null, declined: null });
  });
});
