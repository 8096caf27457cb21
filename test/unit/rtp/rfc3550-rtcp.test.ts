import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRtcp } from '../../../src/core/rtp/rtcp-parse.ts';
import { serializeRtcp } from '../../../src/core/rtp/rtcp-serialize.ts';
import { RTCP_PARSE_REASONS, rtcpText, type RtcpPacket, type RtcpParseReason } from '../../../src/core/rtp/rtcp-types.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const strip = (s: string): string => s.replace(/\s+/g, '');

// A compound packet from a real capture (Firefox RR + SDES CNAME + BYE + PLI + RTPFB FMT 5 +
// APP), as published in pion/rtcp's test suite (MIT).
const CAPTURED = `
  81c90007 902f9e2e bc5e9a40 00000000 000046e1 00000111 09f36432 00024a79
  81ca000c 902f9e2e 0126 7b39633030656239322d316166622d396434392d613437642d393166363465656536396635 7d 00000000
  81cb0001 902f9e2e
  81ce0002 902f9e2e 902f9e2e
  85cd0002 902f9e2e 902f9e2e
  80cc0003 4baae1ab 4e414d45 41424344`;

describe('RTCP compound parse (RFC 3550 6.1, 6.4-6.7)', () => {
  it('RFC 3550 6.1: a captured compound packet (RR, SDES, BYE, PLI, RTPFB, APP)', () => {
    const r = parseRtcp(hex(CAPTURED));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [rr, sdes, bye, pli, rtpfb, app] = r.packets;
    expect(rr).toMatchObject({
      type: 'rr',
      ssrc: 0x902f9e2e,
      reports: [{ ssrc: 0xbc5e9a40, fractionLost: 0, cumulativeLost: 0, highestSequence: 0x46e1, jitter: 273, lastSr: 0x09f36432, delaySinceLastSr: 150137 }],
    });
    expect(sdes?.type === 'sdes' && sdes.chunks[0]?.items[0] && rtcpText(sdes.chunks[0].items[0].value)).toBe('{9c00eb92-1afb-9d49-a47d-91f64eee69f5}');
    expect(bye).toEqual({ type: 'bye', ssrcs: [0x902f9e2e], reason: null });
    expect(pli).toEqual({ type: 'pli', senderSsrc: 0x902f9e2e, mediaSsrc: 0x902f9e2e });
    expect(rtpfb).toMatchObject({ type: 'rtpfb', fmt: 5, senderSsrc: 0x902f9e2e, mediaSsrc: 0x902f9e2e });
    expect(app).toMatchObject({ type: 'app', subtype: 0, ssrc: 0x4baae1ab, name: 'NAME', data: new Uint8Array([0x41, 0x42, 0x43, 0x44]) });
    expect(Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(strip(CAPTURED));
  });

  it('RFC 3550 6.4.1: SR with sender info, two report blocks and negative cumulative loss', () => {
    const bytes = `82c80012 11111111 e5a1b2c3 80000000 00012345 0000000a 00000640
      22222222 19fffffe 0001ffff 00000020 b2c38000 00010000
      33333333 ff000001 00000001 00000000 00000000 00000000`;
    const r = parseRtcp(hex(bytes));
    expect(r.ok && r.packets[0]).toMatchObject({
      type: 'sr',
      ssrc: 0x11111111,
      ntpSeconds: 0xe5a1b2c3,
      ntpFraction: 0x80000000,
      rtpTimestamp: 0x12345,
      packetCount: 10,
      octetCount: 1600,
      reports: [
        { ssrc: 0x22222222, fractionLost: 0x19, cumulativeLost: -2, highestSequence: 0x1ffff, jitter: 32, lastSr: 0xb2c38000, delaySinceLastSr: 65536 },
        { ssrc: 0x33333333, fractionLost: 255, cumulativeLost: 1 },
      ],
    });
    expect(r.ok && Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(strip(bytes));
  });

  it('RFC 3550 6.4.2: empty RR (RC=0), RFC 3550 6.6: BYE with a reason padded to 32 bits', () => {
    const bytes = strip('80c90001 01020304  81cb0003 01020304 05 6c65617665 0000');
    const r = parseRtcp(hex(bytes));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packets[0]).toMatchObject({ type: 'rr', ssrc: 0x01020304, reports: [] });
    const bye = r.packets[1];
    expect(bye?.type === 'bye' && bye.ssrcs).toEqual([0x01020304]);
    expect(bye?.type === 'bye' && bye.reason !== null && rtcpText(bye.reason)).toBe('leave');
    expect(Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(bytes);
  });

  it('RFC 3550 6.5: SDES with two chunks, several items, padded chunk ends', () => {
    const fixed = strip('82ca0006 aaaaaaaa 01036162 63000000 bbbbbbbb 01000201 7a000000');
    const r = parseRtcp(hex(fixed));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const sdes = r.packets[0];
    expect(sdes?.type).toBe('sdes');
    if (sdes?.type !== 'sdes') return;
    expect(sdes.chunks.map((c) => [c.ssrc, c.items.map((i) => [i.type, rtcpText(i.value)])])).toEqual([
      [0xaaaaaaaa, [[1, 'abc']]],
      [0xbbbbbbbb, [[1, ''], [2, 'z']]],
    ]);
    expect(Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(fixed);
  });

  it('RFC 3550 6.4.1: padding on the last packet is stripped', () => {
    const r = parseRtcp(hex('a0c90002 01020304 00000004'));
    expect(r.ok && r.packets).toEqual([{ type: 'rr', ssrc: 0x01020304, reports: [], profileExtension: new Uint8Array(0) }]);
  });

  it('RFC 3550 6.7: APP with subtype; unknown packet types (XR 207) are kept opaque', () => {
    const bytes = strip('85cc0002 01020304 74657374  80cf0001 deadbeef');
    const r = parseRtcp(hex(bytes));
    expect(r.ok && r.packets).toEqual([
      { type: 'app', subtype: 5, ssrc: 0x01020304, name: 'test', data: new Uint8Array(0) },
      { type: 'unknown', packetType: 207, count: 0, body: hex('deadbeef') },
    ]);
    expect(r.ok && Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(bytes);
  });

  const INVALID: readonly [string, string, RtcpParseReason, number][] = [
    ['RFC 3550 A.2: empty datagram', '', 'empty', 0],
    ['RFC 3550 A.2: fewer than 4 octets for a header', '80c900', 'too-short', 0],
    ['RFC 3550 A.2: trailing octets after the last packet', '80c90001 01020304 80', 'too-short', 8],
    ['RFC 3550 A.2: version 1', '40c90001 01020304', 'bad-version', 0],
    ['RFC 3550 A.2: length beyond the datagram', '80c90002 01020304', 'length-overrun', 0],
    ['RFC 3550 6.4.1: padding count 0', 'a0c90001 01020300', 'bad-padding', 0],
    ['RFC 3550 6.4.1: padding count over the body', 'a0c90001 01020309', 'bad-padding', 0],
    ['RFC 3550 6.4.2: RC=1 without a report block', '81c90001 01020304', 'truncated-report', 0],
    ['RFC 3550 6.4.1: SR shorter than the sender info', '80c80001 01020304', 'truncated-report', 0],
    ['RFC 3550 6.5: SDES chunk without a null item', '81ca0002 01020304 01026162', 'bad-sdes', 0],
    ['RFC 3550 6.5: SDES item longer than the packet', '81ca0002 01020304 01106162', 'bad-sdes', 0],
    ['RFC 3550 6.6: BYE SC=2 with one SSRC', '82cb0001 01020304', 'bad-bye', 0],
    ['RFC 3550 6.6: BYE reason longer than the packet', '81cb0002 01020304 09616263', 'bad-bye', 0],
    ['RFC 3550 6.7: APP without a name', '80cc0001 01020304', 'bad-app', 0],
    ['RFC 4585 6.1: feedback without media source SSRC', '81cd0001 01020304', 'bad-feedback', 0],
  ];
  for (const [name, bytes, reason, offset] of INVALID) {
    it(`${name} -> ${reason}`, () => {
      expect(parseRtcp(hex(bytes))).toEqual({ ok: false, reason, offset });
    });
  }
});

const u32 = fc.nat({ max: 0xffffffff });
const bytes4 = (max: number): fc.Arbitrary<Uint8Array> => fc.integer({ min: 0, max }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w }));
const block = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  highestSequence: u32,
  jitter: u32,
  lastSr: u32,
  delaySinceLastSr: u32,
});
const arbPacket: fc.Arbitrary<RtcpPacket> = fc.oneof(
  fc.record({ type: fc.constant('sr' as const), ssrc: u32, ntpSeconds: u32, ntpFraction: u32, rtpTimestamp: u32, packetCount: u32, octetCount: u32, reports: fc.array(block, { maxLength: 3 }), profileExtension: bytes4(2) }),
  fc.record({ type: fc.constant('rr' as const), ssrc: u32, reports: fc.array(block, { maxLength: 3 }), profileExtension: bytes4(2) }),
  fc.record({
    type: fc.constant('sdes' as const),
    chunks: fc.array(fc.record({ ssrc: u32, items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 255 }), value: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 3 }) }), { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('bye' as const), ssrcs: fc.array(u32, { maxLength: 4 }), reason: fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: null }) }),
  fc.record({ type: fc.constant('app' as const), subtype: fc.integer({ min: 0, max: 31 }), ssrc: u32, name: fc.constantFrom('ABCD', 'gh\u00ff ', 'x\u0000yz'), data: bytes4(3) }),
  fc.record({ type: fc.constant('nack' as const), senderSsrc: u32, mediaSsrc: u32, items: fc.array(fc.record({ pid: fc.integer({ min: 0, max: 0xffff }), blp: fc.integer({ min: 0, max: 0xffff }) }), { maxLength: 4 }) }),
  fc.record({ type: fc.constant('pli' as const), senderSsrc: u32, mediaSsrc: u32 }),
  fc.record({ type: fc.constant('fir' as const), senderSsrc: u32, mediaSsrc: u32, entries: fc.array(fc.record({ ssrc: u32, sequenceNumber: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('rtpfb' as const), fmt: fc.integer({ min: 2, max: 31 }), senderSsrc: u32, mediaSsrc: u32, fci: fc.uint8Array({ maxLength: 17 }) }),
  fc.record({ type: fc.constant('psfb' as const), fmt: fc.constantFrom(2, 3, 5, 15), senderSsrc: u32, mediaSsrc: u32, fci: fc.uint8Array({ maxLength: 17 }) }),
);

describe('RTCP parser properties (DESIGN.md convention 8)', () => {
  it('never throws on arbitrary bytes; failures carry a known reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        const r = parseRtcp(b);
        if (!r.ok) expect(RTCP_PARSE_REASONS).toContain(r.reason);
      }),
      { numRuns: 3000 },
    );
  });
  it('never throws on mutated valid compound packets', () => {
    fc.assert(
      fc.property(fc.array(arbPacket, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (ps, at, v) => {
        const b = serializeRtcp(ps);
        b[at % b.length] = v;
        const r = parseRtcp(b);
        if (!r.ok) expect(RTCP_PARSE_REASONS).toContain(r.reason);
        else expect(parseRtcp(serializeRtcp(r.packets))).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });
  it('parse -> serialize -> parse is stable on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        const first = parseRtcp(b);
        if (first.ok) expect(parseRtcp(serializeRtcp(first.packets))).toEqual(first);
      }),
      { numRuns: 3000 },
    );
  });
  it('serialize -> parse gives the packets back', () => {
    fc.assert(
      fc.property(fc.array(arbPacket, { minLength: 1, maxLength: 4 }), (ps) => {
        expect(parseRtcp(serializeRtcp(ps))).toEqual({ ok: true, packets: ps });
      }),
    );
  });
});
