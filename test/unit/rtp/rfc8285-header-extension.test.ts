import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  headerExtensionProfile,
  parseHeaderExtensions,
  serializeHeaderExtensions,
  type HeaderExtensionElement,
} from '../../../src/core/rtp/rtp-header-extension.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const els = (list: readonly HeaderExtensionElement[]): [number, string][] => list.map((e) => [e.id, Buffer.from(e.data).toString('hex')]);

describe('RFC 8285 header extension elements', () => {
  it('RFC 8285 4.2: one-byte form, three elements with L = length - 1 and trailing padding', () => {
    // ID 1 L=0 (1 octet), ID 2 L=1 (2 octets), ID 3 L=3 (4 octets), then zero padding to 12
    const r = parseHeaderExtensions(0xbede, hex('10 aa  21 bb cc  33 01 02 03 04  00 00'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.form).toBe('one-byte');
    expect(els(r.value.elements)).toEqual([
      [1, 'aa'],
      [2, 'bbcc'],
      [3, '01020304'],
    ]);
  });
  it('RFC 8285 4.2: padding octets may sit between elements', () => {
    const r = parseHeaderExtensions(0xbede, hex('10 aa 00 00 20 bb 00 00'));
    expect(r.ok && els(r.value.elements)).toEqual([
      [1, 'aa'],
      [2, 'bb'],
    ]);
  });
  it('RFC 8285 4.2: ID 15 stops processing; earlier elements are kept', () => {
    const r = parseHeaderExtensions(0xbede, hex('10 aa f3 99 20 bb 00 00'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(els(r.value.elements)).toEqual([[1, 'aa']]);
    expect(r.value.stoppedAtReservedId).toBe(true);
  });
  it('RFC 8285 4.3: two-byte form, appbits, zero-length element and ID > 14', () => {
    const r = parseHeaderExtensions(0x1005, hex('01 00  ff 02 ab cd  00 00'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ form: 'two-byte', appBits: 5 });
    expect(els(r.value.elements)).toEqual([
      [1, ''],
      [255, 'abcd'],
    ]);
    expect(headerExtensionProfile(r.value)).toBe(0x1005);
  });
  it('RFC 8285 4.2: an element longer than the block is element-overrun', () => {
    expect(parseHeaderExtensions(0xbede, hex('13 aa bb 00'))).toEqual({ ok: false, reason: 'element-overrun' });
    expect(parseHeaderExtensions(0x1000, hex('01 05 aa bb'))).toEqual({ ok: false, reason: 'element-overrun' });
    expect(parseHeaderExtensions(0x1000, hex('00 00 00 07'))).toEqual({ ok: false, reason: 'element-overrun' });
  });
  it('RFC 3550 5.3.1: other profiles are opaque, not RFC 8285', () => {
    expect(parseHeaderExtensions(0xabcd, hex('10aa0000'))).toEqual({ ok: false, reason: 'not-rfc8285' });
  });
  it('serializes one-byte elements padded to 32 bits', () => {
    const out = serializeHeaderExtensions('one-byte', [
      { id: 1, data: hex('aa') },
      { id: 14, data: hex('0102') },
    ]);
    expect(Buffer.from(out).toString('hex')).toBe('10aae101020000'.padEnd(16, '0'));
    expect(() => serializeHeaderExtensions('one-byte', [{ id: 15, data: hex('aa') }])).toThrow(RangeError);
    expect(() => serializeHeaderExtensions('one-byte', [{ id: 1, data: new Uint8Array(0) }])).toThrow(RangeError);
  });
});

describe('RFC 8285 parser properties', () => {
  const profile = fc.oneof(fc.constant(0xbede), fc.integer({ min: 0x1000, max: 0x100f }), fc.integer({ min: 0, max: 0xffff }));
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(profile, fc.uint8Array({ maxLength: 64 }), (p, data) => {
        const r = parseHeaderExtensions(p, data);
        if (!r.ok) expect(['not-rfc8285', 'element-overrun']).toContain(r.reason);
      }),
      { numRuns: 3000 },
    );
  });
  it('parse -> serialize -> parse is stable', () => {
    fc.assert(
      fc.property(profile, fc.uint8Array({ maxLength: 64 }), (p, data) => {
        const first = parseHeaderExtensions(p, data);
        if (!first.ok) return;
        const again = parseHeaderExtensions(headerExtensionProfile(first.value), serializeHeaderExtensions(first.value.form, first.value.elements));
        expect(again.ok && again.value.elements).toEqual(first.value.elements);
        expect(again.ok && again.value.appBits).toBe(first.value.appBits);
      }),
      { numRuns: 3000 },
    );
  });
});
