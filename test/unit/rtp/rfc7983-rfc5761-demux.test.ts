import { describe, expect, it } from 'vitest';
import { classifyDatagram, classifyFirstByte, demuxPacket, isRtcpPacket } from '../../../src/core/rtp/demux.ts';

describe('RFC 7983 section 7 first-octet demultiplexing', () => {
  const RANGES: readonly [number, number, string][] = [
    [0, 3, 'stun'],
    [4, 15, 'unknown'],
    [16, 19, 'zrtp'],
    [20, 63, 'dtls'],
    [64, 79, 'turn-channel'],
    [80, 127, 'unknown'],
    [128, 191, 'rtp-rtcp'],
    [192, 255, 'unknown'],
  ];
  for (const [lo, hi, kind] of RANGES) {
    it(`RFC 7983 7: first octet ${lo}-${hi} is ${kind}`, () => {
      for (let b = lo; b <= hi; b++) expect(classifyFirstByte(b)).toBe(kind);
    });
  }
  it('an empty datagram is unknown', () => {
    expect(classifyDatagram(new Uint8Array(0))).toBe('unknown');
  });
});

describe('RFC 5761 section 4 RTP/RTCP on one port', () => {
  it('RFC 5761 4: RTCP packet types 192-223 (SR 200, RR 201, RTPFB 205, PSFB 206) are RTCP', () => {
    for (const pt of [192, 200, 201, 202, 203, 204, 205, 206, 207, 223]) expect(isRtcpPacket(new Uint8Array([0x80, pt]))).toBe(true);
  });
  it('RFC 5761 4: RTP payload types 0-63 and 96-127 with either marker are RTP', () => {
    for (const pt of [0, 8, 9, 63, 96, 111, 127]) {
      expect(isRtcpPacket(new Uint8Array([0x80, pt]))).toBe(false);
      expect(isRtcpPacket(new Uint8Array([0x80, pt | 0x80]))).toBe(false);
    }
  });
  it('RFC 5761 4: PT 64-95 collides with RTCP and is treated as RTCP regardless of marker', () => {
    expect(isRtcpPacket(new Uint8Array([0x80, 72]))).toBe(true);
    expect(isRtcpPacket(new Uint8Array([0x80, 95 | 0x80]))).toBe(true);
  });
  it('demuxPacket combines both', () => {
    expect(demuxPacket(new Uint8Array([0x00, 0x01, 0, 0]))).toBe('stun');
    expect(demuxPacket(new Uint8Array([22, 0xfe, 0xfd]))).toBe('dtls');
    expect(demuxPacket(new Uint8Array([0x80, 0x00]))).toBe('rtp');
    expect(demuxPacket(new Uint8Array([0x81, 0xc9]))).toBe('rtcp');
    expect(demuxPacket(new Uint8Array([0x40, 0x00]))).toBe('other');
    expect(demuxPacket(new Uint8Array([0x80]))).toBe('rtp');
  });
});
