import { describe, expect, it } from 'vitest';
import {
  SdpParseError,
  bundleGroups,
  candidates,
  connection,
  cryptoLines,
  direction,
  endOfCandidates,
  fingerprints,
  fmtps,
  iceLite,
  iceOptions,
  icePwd,
  iceUfrag,
  mid,
  offeredCodecs,
  parseCandidate,
  parseSdp,
  rtcp,
  rtcpFbs,
  rtcpMux,
  rtpMaps,
  serializeCandidate,
  setup,
  ssrcGroups,
  ssrcs,
} from '../../../sdp/index.ts';
import type { MediaSection, SessionDescription } from '../../../sdp/index.ts';
import { loadFixture } from './fixtures.ts';

function fixture(name: string): SessionDescription {
  return parseSdp(loadFixture(name).sdp);
}
function m(sdp: SessionDescription, i: number): MediaSection {
  const s = sdp.media[i];
  if (s === undefined) throw new Error(`no m-line ${i}`);
  return s;
}
const MIN = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n';

describe('typed accessors on a Chrome offer', () => {
  const sdp = fixture('chrome-audio-video.offer.sdp');
  const audio = m(sdp, 0);
  const video = m(sdp, 1);

  it('rtpmap / fmtp / rtcp-fb (RFC 8866 6.6, 6.15; RFC 4585 4.2)', () => {
    expect(rtpMaps(audio)[0]).toEqual({ payloadType: 111, encodingName: 'opus', clockRate: 48000, channels: 2 });
    expect(rtpMaps(audio).find((r) => r.payloadType === 0)).toEqual({ payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: undefined });
    const f = fmtps(audio)[0];
    expect(f?.format).toBe('111');
    expect(f?.raw).toBe('minptime=10;useinbandfec=1');
    expect(f?.params.get('useinbandfec')).toBe('1');
    expect(rtcpFbs(video).filter((x) => x.payloadType === 96).map((x) => x.feedback)).toEqual(['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli']);
  });

  it('direction, mid, BUNDLE, rtcp-mux, rtcp (RFC 3264, 5888, 8843, 5761, 3605)', () => {
    expect(direction(sdp, audio)).toBe('sendrecv');
    expect([mid(audio), mid(video)]).toEqual(['0', '1']);
    expect(bundleGroups(sdp)).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
    expect(rtcpMux(audio)).toBe(true);
    expect(rtcp(audio)).toEqual({ port: 9, connection: { netType: 'IN', addrType: 'IP4', address: '0.0.0.0', ttl: undefined, count: undefined } });
    expect(connection(sdp, audio)?.address).toBe('0.0.0.0');
  });

  it('ICE attributes (RFC 8839 5.3-5.6)', () => {
    expect(iceUfrag(sdp, audio)).toBe('nWnq');
    expect(icePwd(sdp, audio)).toBe('DTdCVj00s9nGkNgWra0P30A2');
    expect(iceOptions(sdp, audio)).toEqual(['trickle']);
    expect(iceLite(sdp)).toBe(false);
    expect(endOfCandidates(sdp, audio)).toBe(false);
  });

  it('fingerprint and setup (RFC 8122 5, RFC 4145 4)', () => {
    expect(fingerprints(sdp, audio)).toEqual([{ hash: 'sha-256', value: 'A4:67:3A:52:5C:D4:9C:65:45:9D:61:43:B2:EC:31:E8:42:4E:EC:54:C9:70:E3:89:28:94:3E:5C:3C:ED:FC:64' }]);
    expect(setup(sdp, audio)).toBe('actpass');
  });

  it('ssrc and ssrc-group (RFC 5576 4.1, 4.2)', () => {
    expect(ssrcs(audio)[0]).toEqual({ ssrc: 3262661846, attribute: 'cname', value: 'yFbnkIWTHwPXy6MO' });
    expect(ssrcGroups(video)).toEqual([{ semantics: 'FID', ssrcs: [1862494604, 1112104850] }]);
  });

  it('offered codecs resolve rtpmap, fmtp and rtcp-fb per payload type', () => {
    const codecs = offeredCodecs(audio);
    expect(codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}/${c.channels}`)).toEqual([
      '111 opus/48000/2', '63 red/48000/2', '9 G722/8000/1', '0 PCMU/8000/1', '8 PCMA/8000/1', '13 CN/8000/1', '110 telephone-event/48000/1', '126 telephone-event/8000/1',
    ]);
    expect(codecs[0]?.rtcpFb).toEqual(['transport-cc']);
  });
});

describe('session-level fallbacks (Firefox, FreeSWITCH, BroadWorks)', () => {
  it('Firefox: session-level fingerprint and ice-options apply to media (RFC 8122 5, RFC 8839 5.6)', () => {
    const sdp = fixture('firefox-audio-video.offer.sdp');
    expect(fingerprints(sdp, m(sdp, 1))[0]?.hash).toBe('sha-256');
    expect(iceOptions(sdp, m(sdp, 0))).toEqual(['trickle']);
    expect(iceUfrag(sdp, m(sdp, 1))).toBe('6c0579ea');
  });
  it('FreeSWITCH: host candidates for two components (RFC 8839 5.1)', () => {
    const sdp = fixture('freeswitch-webrtc-savpf.offer.sdp');
    const c = candidates(m(sdp, 0));
    expect(c).toHaveLength(2);
    expect(c[1]).toEqual({ foundation: '4675497418', component: 2, transport: 'udp', priority: 2130706431, address: '10.90.200.217', port: 18822, type: 'host', relatedAddress: undefined, relatedPort: undefined, extensions: [['generation', '0']] });
  });
  it('BroadWorks: a=rtcp-fb:* applies to every payload type (RFC 4585 4.2)', () => {
    const sdp = fixture('broadworks-sdes-audio-video.offer.sdp');
    expect(offeredCodecs(m(sdp, 1)).map((c) => c.rtcpFb)).toEqual([['nack', 'nack pli'], ['nack', 'nack pli']]);
  });
  it('static payload types without rtpmap resolve from RFC 3551 table 4', () => {
    const sdp = fixture('broadworks-sdes-audio-video.offer.sdp');
    expect(offeredCodecs(m(sdp, 0)).map((c) => c.name)).toEqual(['G722', 'PCMU', 'PCMA', 'G729', 'telephone-event']);
  });
  it('media direction overrides session direction (RFC 3264 5.1)', () => {
    const sdp = parseSdp(`${MIN}a=sendonly\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\na=inactive\r\n`);
    expect([direction(sdp, m(sdp, 0)), direction(sdp, m(sdp, 1))]).toEqual(['sendonly', 'inactive']);
  });
  it('IPv6 connection with count (RFC 8866 5.7)', () => {
    const sdp = parseSdp(`${MIN}c=IN IP6 FF15::101/3\r\n`);
    expect(connection(sdp)).toEqual({ netType: 'IN', addrType: 'IP6', address: 'FF15::101', ttl: undefined, count: 3 });
  });
  it('a=crypto lines are parsed one by one (RFC 4568 9.1)', () => {
    const sdp = fixture('yealink-sdes.offer.sdp');
    const lines = cryptoLines(m(sdp, 0));
    expect(lines.map((l) => (l.ok ? `${l.attribute.tag} ${l.attribute.suite} ${l.attribute.keyParams[0]?.keySalt.length}` : 'error'))).toEqual([
      '1 AES_CM_128_HMAC_SHA1_80 30', '2 AES_CM_128_HMAC_SHA1_32 30', '3 F8_128_HMAC_SHA1_80 30',
    ]);
  });
});

describe('RFC 8839 5.1 candidates', () => {
  const cases: readonly [string, string][] = [
    ['srflx with raddr/rport and extensions', '842163049 1 udp 1677729535 186.50.9.10 52200 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999'],
    ['tcp active host', '3600277166 1 tcp 1518280447 192.168.1.102 9 typ host tcptype active generation 0 network-id 2'],
    ['mDNS host name', '1560499547 1 udp 2113937151 2cf0b2c0-0842-4fe3-aaa0-4556a2dfbadc.local 33192 typ host generation 0 network-cost 999'],
    ['IPv6 host', '4078256983 1 udp 2122262783 2408:8234:9c13:3d0:e4bf:40c2:8c9c:3d53 53982 typ host generation 0'],
  ];
  for (const [name, text] of cases) {
    it(`RFC 8839 5.1 round-trips: ${name}`, () => {
      expect(serializeCandidate(parseCandidate(text))).toBe(text);
      expect(serializeCandidate(parseCandidate(`candidate:${text}`))).toBe(text);
    });
  }
  const bad: readonly [string, string][] = [
    ['too few fields', '1 1 udp 1 10.0.0.1 9 typ'],
    ['component-id must be 1..256', '1 0 udp 1 10.0.0.1 9 typ host'],
    ['port must be 0..65535', '1 1 udp 1 10.0.0.1 99999 typ host'],
    ["expected 'typ'", '1 1 udp 1 10.0.0.1 9 type host'],
    ['extension attribute without value', '1 1 udp 1 10.0.0.1 9 typ host generation'],
  ];
  for (const [why, text] of bad) {
    it(`RFC 8839 5.1 rejects: ${why}`, () => {
      expect(() => parseCandidate(text, 7)).toThrow(new SdpParseError('SDP_ATTRIBUTE', `malformed 'a=candidate': ${why} (RFC 8839 5.1)`, 7));
    });
  }
});

describe('malformed known attributes throw SdpParseError with the line number', () => {
  const cases: readonly [string, string, (s: SessionDescription) => unknown, string][] = [
    ['rtpmap', 'a=rtpmap:96 opus', (s) => rtpMaps(m(s, 0)), "malformed 'a=rtpmap' (RFC 8866 6.6)"],
    ['rtpmap PT', 'a=rtpmap:200 x/8000', (s) => rtpMaps(m(s, 0)), "'a=rtpmap' payload type above 127"],
    ['fmtp', 'a=fmtp:', (s) => fmtps(m(s, 0)), "malformed 'a=fmtp' (RFC 8866 6.15)"],
    ['rtcp-fb', 'a=rtcp-fb:96', (s) => rtcpFbs(m(s, 0)), "malformed 'a=rtcp-fb' (RFC 4585 4.2)"],
    ['rtcp', 'a=rtcp:abc', (s) => rtcp(m(s, 0)), "malformed 'a=rtcp' (RFC 3605 2.1)"],
    ['setup', 'a=setup:server', (s) => setup(s, m(s, 0)), "malformed 'a=setup' (RFC 4145 4)"],
    ['fingerprint', 'a=fingerprint:sha-256 XYZ', (s) => fingerprints(s, m(s, 0)), "malformed 'a=fingerprint' (RFC 8122 5)"],
    ['ssrc', 'a=ssrc:99999999999 cname:x', (s) => ssrcs(m(s, 0)), "malformed 'a=ssrc' (RFC 5576 4.1)"],
    ['mid', 'a=mid:', (s) => mid(m(s, 0)), "malformed 'a=mid' (RFC 5888 4)"],
    ['ice-ufrag', 'a=ice-ufrag:bad ufrag!', (s) => iceUfrag(s, m(s, 0)), "malformed 'a=ice-ufrag' (RFC 8839 5.4)"],
  ];
  for (const [name, line, access, reason] of cases) {
    it(`${name}`, () => {
      const sdp = parseSdp(`${MIN}m=audio 1 RTP/AVP 0\r\n${line}\r\n`);
      expect(() => access(sdp)).toThrow(new SdpParseError('SDP_ATTRIBUTE', reason, 6));
    });
  }
});
