import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RTP_PARSE_REASONS,
  RtpHeaderView,
  parseRtp,
  parseRtpHeaderInto,
  serializeRtp,
  writeRtp,
  type RtpPacket,
  type RtpParseReason,
} from '../../../src/core/rtp/rtp-packet.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

interface Case {
  readonly name: string;
  readonly bytes: string;
  readonly expect: Partial<RtpPacket> & { payloadHex?: string; extensionHex?: string; extensionProfile?: number };
}

const VALID: readonly Case[] = [
  {
    name: 'RFC 3550 5.1: fixed header, V=2, PT 0 (PCMU), M=1',
    bytes: '80 80 1234 0000a0b0 deadbeef  ff ff ff ff',
    expect: { marker: true, payloadType: 0, sequenceNumber: 0x1234, timestamp: 0xa0b0, ssrc: 0xdeadbeef, csrcs: [], extension: null, paddingLength: 0, payloadHex: 'ffffffff' },
  },
  {
    name: 'RFC 3550 5.1: CC=2 CSRC list (mixer output), PT 111',
    bytes: '82 6f ffff ffffffff 00000001  11111111 22222222  01 02',
    expect: { marker: false, payloadType: 111, sequenceNumber: 0xffff, timestamp: 0xffffffff, ssrc: 1, csrcs: [0x11111111, 0x22222222], payloadHex: '0102' },
  },
  {
    name: 'RFC 3550 5.1: P=1, last octet counts padding including itself',
    bytes: 'a0 08 0001 00000002 00000003  aa bb  00 00 03',
    expect: { payloadType: 8, paddingLength: 3, payloadHex: 'aabb' },
  },
  {
    name: 'RFC 3550 5.3.1: X=1 header extension, length in 32-bit words',
    bytes: '90 60 0007 00000008 00000009  bede 0001 10 ff 00 00  cafe',
    expect: { payloadType: 96, extensionProfile: 0xbede, extensionHex: '10ff0000', payloadHex: 'cafe' },
  },
  {
    name: 'RFC 3550 5.3.1: X=1 with an empty extension (length 0)',
    bytes: '90 60 0007 00000008 00000009  1000 0000',
    expect: { extensionProfile: 0x1000, extensionHex: '', payloadHex: '' },
  },
  {
    name: 'RFC 3550 5.1: all of CSRC, extension and padding at once',
    bytes: 'b1 e0 0102 03040506 0708090a  0b0c0d0e  abcd 0001 01020304  55  00 02',
    expect: { marker: true, payloadType: 96, csrcs: [0x0b0c0d0e], extensionProfile: 0xabcd, extensionHex: '01020304', payloadHex: '55', paddingLength: 2 },
  },
];

const INVALID: readonly { name: string; bytes: string; reason: RtpParseReason }[] = [
  { name: 'RFC 3550 5.1: shorter than the 12-octet fixed header', bytes: '80 00 0001 00000000 000000', reason: 'too-short' },
  { name: 'RFC 3550 5.1: version 1', bytes: '40 00 0001 00000000 00000000', reason: 'bad-version' },
  { name: 'RFC 3550 5.1: version 0 (STUN-like first octet)', bytes: '00 01 0001 00000000 00000000', reason: 'bad-version' },
  { name: 'RFC 3550 5.1: CC=3 but only one CSRC present', bytes: '83 00 0001 00000000 00000000 11111111', reason: 'truncated-csrc' },
  { name: 'RFC 3550 5.3.1: X=1 without room for the extension header', bytes: '90 00 0001 00000000 00000000 bede', reason: 'truncated-extension' },
  { name: 'RFC 3550 5.3.1: extension length overruns the packet', bytes: '90 00 0001 00000000 00000000 bede 0002 11223344', reason: 'truncated-extension' },
  { name: 'RFC 3550 5.1: padding count 0', bytes: 'a0 00 0001 00000000 00000000 aa 00', reason: 'bad-padding' },
  { name: 'RFC 3550 5.1: padding count larger than the payload', bytes: 'a0 00 0001 00000000 00000000 aa 05', reason: 'bad-padding' },
];

describe('RTP header parse (RFC 3550 5.1 vectors)', () => {
  for (const c of VALID) {
    it(c.name, () => {
      const r = parseRtp(hex(c.bytes));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const { payloadHex, extensionHex, extensionProfile, ...fields } = c.expect;
      expect(r.packet).toMatchObject(fields);
      if (payloadHex !== undefined) expect(Buffer.from(r.packet.payload).toString('hex')).toBe(payloadHex);
      if (extensionHex !== undefined) expect(Buffer.from(r.packet.extension?.data ?? []).toString('hex')).toBe(extensionHex);
      if (extensionProfile !== undefined) expect(r.packet.extension?.profile).toBe(extensionProfile);
      // serializing gives the same octets back (padding octets are zero in these vectors)
      expect(Buffer.from(serializeRtp(r.packet)).toString('hex')).toBe(c.bytes.replace(/\s+/g, ''));
    });
  }
  for (const c of INVALID) {
    it(`${c.name} -> ${c.reason}`, () => {
      expect(parseRtp(hex(c.bytes))).toEqual({ ok: false, reason: c.reason });
      expect(parseRtpHeaderInto(hex(c.bytes), new RtpHeaderView())).toBe(c.reason);
    });
  }
});

describe('RTP hot path', () => {
  it('fills a reused view with offsets (no copy)', () => {
    const view = new RtpHeaderView();
    const pkt = hex(VALID[5]?.bytes ?? '');
    expect(parseRtpHeaderInto(pkt, view)).toBeNull();
    expect(view).toMatchObject({ csrcCount: 1, hasExtension: true, extensionOffset: 20, extensionLength: 4, payloadOffset: 24, payloadLength: 1, paddingLength: 2 });
    expect(view.csrc(pkt, 0)).toBe(0x0b0c0d0e);
    const other = hex(VALID[0]?.bytes ?? '');
    expect(parseRtpHeaderInto(other, view)).toBeNull();
    expect(view).toMatchObject({ csrcCount: 0, hasExtension: false, payloadOffset: 12, payloadLength: 4, paddingLength: 0 });
  });
  it('writeRtp writes at an offset and rejects programming errors', () => {
    const p: RtpPacket = { marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [], extension: null, payload: new Uint8Array([9]), paddingLength: 0 };
    const out = new Uint8Array(20);
    expect(writeRtp(p, out, 4)).toBe(13);
    expect(out[4]).toBe(0x80);
    expect(() => writeRtp(p, new Uint8Array(12))).toThrow(RangeError);
    expect(() => serializeRtp({ ...p, payloadType: 128 })).toThrow(RangeError);
    expect(() => serializeRtp({ ...p, extension: { profile: 1, data: new Uint8Array(3) } })).toThrow(RangeError);
  });
});

const arbPacket: fc.Arbitrary<RtpPacket> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.nat({ max: 0xffffffff }),
  ssrc: fc.nat({ max: 0xffffffff }),
  csrcs: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 15 }),
  extension: fc.option(
    fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), data: fc.integer({ min: 0, max: 8 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })) }),
    { nil: null },
  ),
  payload: fc.uint8Array({ maxLength: 64 }),
  paddingLength: fc.integer({ min: 0, max: 255 }),
});

describe('RTP parser properties (DESIGN.md convention 8)', () => {
  it('never throws on arbitrary bytes; failures carry a known reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = parseRtp(bytes);
        if (!r.ok) expect(RTP_PARSE_REASONS).toContain(r.reason);
      }),
      { numRuns: 3000 },
    );
  });
  it('never throws on mutated valid packets', () => {
    fc.assert(
      fc.property(arbPacket, fc.nat(), fc.integer({ min: 0, max: 255 }), (p, at, v) => {
        const bytes = serializeRtp(p);
        bytes[at % bytes.length] = v;
        const r = parseRtp(bytes);
        if (!r.ok) expect(RTP_PARSE_REASONS).toContain(r.reason);
      }),
    );
  });
  it('parse -> serialize -> parse is stable on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const first = parseRtp(bytes);
        if (!first.ok) return;
        const second = parseRtp(serializeRtp(first.packet));
        expect(second).toEqual(first);
      }),
      { numRuns: 3000 },
    );
  });
  it('serialize -> parse gives the packet back', () => {
    fc.assert(
      fc.property(arbPacket, (p) => {
        const r = parseRtp(serializeRtp(p));
        expect(r).toEqual({ ok: true, packet: p });
      }),
    );
  });
});
