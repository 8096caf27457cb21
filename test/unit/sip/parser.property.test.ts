import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatNameAddr, formatUri, formatVia, getFrom, getTo, getVias, header, parseMessage, parseUri, serializeMessage,
  SipParseError, validateHeaders, type SipMessage, type SipUri,
} from '../../../src/core/sip/index.ts';

/** DESIGN.md convention 8: the parser throws nothing but SipParseError; parse -> serialize -> parse is stable. */
const DIR = new URL('../../fixtures/sip/rfc4475/', import.meta.url);
const seeds = readdirSync(DIR).map((f) => new Uint8Array(readFileSync(new URL(f, DIR))));

function parseOrParseError(b: Uint8Array, framing: 'datagram' | 'stream' = 'datagram'): SipMessage | null {
  try {
    const m = parseMessage(b, undefined, framing);
    validateHeaders(m); // lazily read headers must not throw anything else either
    return m;
  } catch (e) {
    if (e instanceof SipParseError) return null;
    throw e;
  }
}

function assertStable(m: SipMessage): void {
  const wire = serializeMessage(m);
  const again = parseMessage(wire);
  expect(serializeMessage(again).equals(wire)).toBe(true);
  expect(again.headers.filter((h) => h.name !== 'Content-Length')).toEqual(m.headers.filter((h) => h.name !== 'Content-Length'));
  expect(Buffer.from(again.body).equals(Buffer.from(m.body))).toBe(true);
}

const mutation = fc.record({
  seed: fc.nat(seeds.length - 1),
  edits: fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'insert', 'delete', 'crlf', 'sp'), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
});

function mutate(seed: Uint8Array, edits: readonly { at: number; kind: string; byte: number }[]): Uint8Array {
  const b = [...seed];
  for (const e of edits) {
    const i = b.length === 0 ? 0 : e.at % b.length;
    if (e.kind === 'flip') b[i] = e.byte;
    else if (e.kind === 'insert') b.splice(i, 0, e.byte);
    else if (e.kind === 'delete') b.splice(i, 1);
    else if (e.kind === 'crlf') b.splice(i, 0, 13, 10);
    else b.splice(i, 0, 32);
  }
  return new Uint8Array(b);
}

describe('SIP parser properties', () => {
  it('throws only SipParseError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      parseOrParseError(b);
      parseOrParseError(b, 'stream');
    }), { numRuns: 2000 });
  });

  it('throws only SipParseError on random SIP-looking text', () => {
    const line = fc.stringMatching(/^[A-Za-z:;<>@"\\ ,=./0-9-]{0,40}$/);
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      parseOrParseError(new TextEncoder().encode(['INVITE sip:a@b SIP/2.0', ...lines, '', ''].join('\r\n')));
    }), { numRuns: 1500 });
  });

  it('throws only SipParseError on mutated RFC 4475 messages, and what parses is stable', () => {
    fc.assert(fc.property(mutation, ({ seed, edits }) => {
      const m = parseOrParseError(mutate(seeds[seed] as Uint8Array, edits));
      if (m !== null) assertStable(m);
    }), { numRuns: 3000 });
  });

  it('every RFC 4475 message that parses is stable', () => {
    for (const s of seeds) {
      const m = parseOrParseError(s);
      if (m !== null) assertStable(m);
    }
  });
});

// Generators for well-formed messages.
const tokenArb = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
const hostArb = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9](\.[a-z][a-z0-9]{0,8}){0,2}$/),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
);
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 12 });
const binary = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 12 });
const uriParam = fc.record({ name: binary, value: fc.option(binary, { nil: null }) });
const sipUriArb: fc.Arbitrary<SipUri> = fc.record({
  kind: fc.constant('sip' as const),
  scheme: fc.constantFrom('sip' as const, 'sips' as const),
  user: fc.option(binary, { nil: null }),
  password: fc.constant(null),
  host: hostArb,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
  params: fc.array(uriParam, { maxLength: 3 }),
  headers: fc.constant([]),
}).chain((u) => (u.user === null ? fc.constant(u) : fc.option(binary, { nil: null }).map((password) => ({ ...u, password }))));
const genParam = fc.record({ name: tokenArb, value: fc.option(fc.oneof(tokenArb, anyText.map((t) => '"' + [...t].filter((ch) => ch >= ' ' && ch !== '"' && ch !== '\\' && ch !== '\x7f').join('') + '"')), { nil: null }) });
const nameAddrArb = fc.record({
  displayName: fc.option(fc.string({ maxLength: 10 }).map((s) => s.replace(/[\r\n]/g, '')), { nil: null }),
  uri: sipUriArb,
  params: fc.array(genParam, { maxLength: 3 }),
});

describe('SIP serializer/parser round trip on generated messages', () => {
  it('SipUri: parseUri(formatUri(u)) == u', () => {
    fc.assert(fc.property(sipUriArb, (u) => {
      expect(parseUri(formatUri(u))).toEqual(u);
    }), { numRuns: 2000 });
  });

  it('request: parse(serialize(m)) keeps every typed value', () => {
    fc.assert(fc.property(sipUriArb, nameAddrArb, nameAddrArb, tokenArb, fc.uint8Array({ maxLength: 200 }), (ruri, from, to, branch, body) => {
      const via = { protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.1', port: 5060, params: [{ name: 'branch', value: 'z9hG4bK' + branch }] };
      const m: SipMessage = {
        kind: 'request', method: 'INVITE', uri: ruri, body,
        headers: [
          header('Via', formatVia(via)), header('From', formatNameAddr(from)), header('To', formatNameAddr(to)),
          header('Call-ID', 'abc@host'), header('CSeq', '1 INVITE'), header('Max-Forwards', '70'),
        ],
      };
      const p = parseMessage(serializeMessage(m));
      expect(p.kind === 'request' && p.uri).toEqual(ruri);
      expect(getVias(p)).toEqual([via]);
      expect(getFrom(p)).toEqual(from);
      expect(getTo(p)).toEqual(to);
      expect(Buffer.from(p.body).equals(Buffer.from(body))).toBe(true);
      assertStable(p);
    }), { numRuns: 1000 });
  });
});
