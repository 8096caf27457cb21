import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dtmfChar, dtmfEvent, parseTelephoneEvent, serializeTelephoneEvent, writeTelephoneEvent } from '../../../src/core/rtp/telephone-event.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('RFC 4733 telephone-event payload', () => {
  const CASES = [
    { name: 'RFC 4733 2.3: digit 1, start of event, volume 10, duration 0 so far', bytes: '01 0a 0000', value: { event: 1, end: false, volume: 10, duration: 0 } },
    { name: 'RFC 4733 2.5.1.2: digit 9 continuing, duration 400 (50 ms at 8 kHz)', bytes: '09 0a 0190', value: { event: 9, end: false, volume: 10, duration: 400 } },
    { name: 'RFC 4733 2.5.1.4: E bit set on the final packets of the event', bytes: '0b 8a 0640', value: { event: 11, end: true, volume: 10, duration: 1600 } },
    { name: 'RFC 4733 2.3.3: R bit is ignored by receivers', bytes: '05 c0 ffff', value: { event: 5, end: true, volume: 0, duration: 0xffff } },
    { name: 'RFC 4733 2.3.4: volume field is 6 bits (-63 dBm0)', bytes: '10 3f 00a0', value: { event: 16, end: false, volume: 63, duration: 160 } },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      expect(parseTelephoneEvent(hex(c.bytes))).toEqual({ ok: true, value: c.value });
      // R is sent as 0 (2.3.3), otherwise the octets are reproduced
      const expected = hex(c.bytes);
      expected[1] = (expected[1] ?? 0) & 0xbf;
      expect(Buffer.from(serializeTelephoneEvent(c.value)).equals(Buffer.from(expected))).toBe(true);
    });
  }
  it('RFC 4733 2.3: fewer than 4 octets is too-short; anything but 4 is bad-length', () => {
    expect(parseTelephoneEvent(hex('0100'))).toEqual({ ok: false, reason: 'too-short' });
    expect(parseTelephoneEvent(hex('01000000 02000000'))).toEqual({ ok: false, reason: 'bad-length' });
  });
  it('RFC 4733 3.2 Table 7: event codes of the DTMF digits', () => {
    expect(Array.from({ length: 17 }, (_, i) => dtmfChar(i)).join('')).toBe('0123456789*#ABCD!');
    expect(dtmfChar(17)).toBeNull();
    expect(dtmfEvent('#')).toBe(11);
    expect(dtmfEvent('d')).toBe(15);
    expect(dtmfEvent('x')).toBeNull();
    expect(dtmfEvent('12')).toBeNull();
  });
  it('writeTelephoneEvent writes at an offset and rejects out-of-range fields', () => {
    const out = new Uint8Array(6);
    expect(writeTelephoneEvent({ event: 3, end: true, volume: 7, duration: 320 }, out, 2)).toBe(4);
    expect(Buffer.from(out).toString('hex')).toBe('000003870140');
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).toThrow(RangeError);
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 70000 })).toThrow(RangeError);
  });
});

describe('telephone-event parser properties', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        const r = parseTelephoneEvent(b);
        if (!r.ok) expect(['too-short', 'bad-length']).toContain(r.reason);
      }),
    );
  });
  it('parse -> serialize -> parse is stable', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        const first = parseTelephoneEvent(b);
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        expect(parseTelephoneEvent(serializeTelephoneEvent(first.value))).toEqual(first);
      }),
    );
  });
});
