import { describe, expect, it } from 'vitest';
import { parseRtcp } from '../../../src/core/rtp/rtcp-parse.ts';
import { serializeRtcp, writeFir, writePli } from '../../../src/core/rtp/rtcp-serialize.ts';
import { nackLostSequences } from '../../../src/core/rtp/rtcp-types.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const strip = (s: string): string => s.replace(/\s+/g, '');

describe('RTCP feedback (RFC 4585, RFC 5104)', () => {
  it('RFC 4585 6.2.1: Generic NACK, PID and BLP expand to the lost sequence numbers', () => {
    // PID 0xfffe, BLP bits 0 and 2 -> 0xffff and 0x0001 (wraps); second FCI PID 100, no BLP
    const bytes = strip('81cd0004 00000001 00000002 fffe0005 00640000');
    const r = parseRtcp(hex(bytes));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const nack = r.packets[0];
    expect(nack).toEqual({
      type: 'nack',
      senderSsrc: 1,
      mediaSsrc: 2,
      items: [
        { pid: 0xfffe, blp: 5 },
        { pid: 100, blp: 0 },
      ],
    });
    expect(nack?.type === 'nack' && nackLostSequences(nack.items)).toEqual([0xfffe, 0xffff, 1, 100]);
    expect(Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(bytes);
  });

  it('RFC 4585 6.3.1: PLI is PSFB FMT 1 with no FCI; writePli builds it without allocating', () => {
    const out = new Uint8Array(16);
    expect(writePli(out, 2, 0x11223344, 0x55667788)).toBe(12);
    expect(Buffer.from(out.subarray(2, 14)).toString('hex')).toBe('81ce0002112233445566778' + '8');
    expect(parseRtcp(out.subarray(2, 14))).toEqual({ ok: true, packets: [{ type: 'pli', senderSsrc: 0x11223344, mediaSsrc: 0x55667788 }] });
    expect(() => writePli(new Uint8Array(11), 0, 1, 2)).toThrow(RangeError);
  });

  it('RFC 5104 4.3.1: FIR is PSFB FMT 4, media SSRC 0, FCI entries of SSRC + seq nr + 24 reserved bits', () => {
    const out = new Uint8Array(28);
    const n = writeFir(out, 0, 0xaaaaaaaa, [
      { ssrc: 0xbbbbbbbb, sequenceNumber: 7 },
      { ssrc: 0xcccccccc, sequenceNumber: 255 },
    ]);
    expect(n).toBe(28);
    expect(Buffer.from(out).toString('hex')).toBe(strip('84ce0006 aaaaaaaa 00000000 bbbbbbbb 07000000 cccccccc ff000000'));
    expect(parseRtcp(out)).toEqual({
      ok: true,
      packets: [
        {
          type: 'fir',
          senderSsrc: 0xaaaaaaaa,
          mediaSsrc: 0,
          entries: [
            { ssrc: 0xbbbbbbbb, sequenceNumber: 7 },
            { ssrc: 0xcccccccc, sequenceNumber: 255 },
          ],
        },
      ],
    });
  });

  it('RFC 5104 4.3.1: FIR whose FCI is not a multiple of 8 octets is bad-feedback', () => {
    expect(parseRtcp(hex('84ce0003 aaaaaaaa 00000000 bbbbbbbb'))).toEqual({ ok: false, reason: 'bad-feedback', offset: 0 });
  });
  it('RFC 4585 6.2.1: NACK FCI with a partial entry (padded) is bad-feedback', () => {
    expect(parseRtcp(hex('a1cd0003 00000001 00000002 00000002'))).toEqual({ ok: false, reason: 'bad-feedback', offset: 0 });
  });
  it('RFC 4585 6.3.1: a PLI carrying FCI is kept as generic PSFB rather than dropped', () => {
    expect(parseRtcp(hex('81ce0003 00000001 00000002 deadbeef'))).toEqual({
      ok: true,
      packets: [{ type: 'psfb', fmt: 1, senderSsrc: 1, mediaSsrc: 2, fci: hex('deadbeef') }],
    });
  });
  it('RFC 4585 6.1 / RFC 8888: other feedback (REMB AFB, transport-cc) keeps its FCI opaque', () => {
    const remb = strip('8fce0005 00000001 00000000 52454d42 01 0a 4e20 00000002');
    const r = parseRtcp(hex(remb));
    expect(r.ok && r.packets[0]).toMatchObject({ type: 'psfb', fmt: 15, senderSsrc: 1, mediaSsrc: 0 });
    expect(r.ok && Buffer.from(serializeRtcp(r.packets)).toString('hex')).toBe(remb);
  });
});
