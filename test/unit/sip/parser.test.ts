import { describe, expect, it } from 'vitest';
import {
  bareHost, createErrorResponse, createResponse, getCallId, getContacts, getFrom, getHeader, getHeaderValues,
  getSupported, getTo, getTopVia, header, parseMessage, parseUri, serializeMessage, SipParseError, toTag, uriHost,
  type SipRequest,
} from '../../../src/core/sip/index.ts';

const crlf = (...lines: string[]): string => lines.join('\r\n');
const INVITE = crlf(
  'INVITE sip:room1@[2001:db8::10]:5070;transport=tcp SIP/2.0',
  'v: SIP/2.0/TCP [2001:db8::1]:5080;branch=z9hG4bK1;rport',
  'f: "Alice" <sips:alice@example.com>;tag=a1',
  't: <sip:room1@example.com>',
  'i: call-1@example.com',
  'CSeq: 1 INVITE',
  'm: <sip:alice@[2001:db8::1]:5080;transport=tcp>',
  'k: timer, 100rel',
  'X-Custom: a, b',
  'l: 4',
  '',
  'abcd',
);

function parseError(input: string, framing: 'datagram' | 'stream' = 'datagram'): SipParseError {
  try {
    parseMessage(input, undefined, framing);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('SIP parser (RFC 3261 7, 25)', () => {
  it('RFC 3261 7.3.3 compact forms map to canonical names, values typed', () => {
    const m = parseMessage(INVITE) as SipRequest;
    expect(m.headers.map((h) => h.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Supported', 'X-Custom', 'Content-Length']);
    expect(getTopVia(m)).toMatchObject({ transport: 'TCP', host: '[2001:db8::1]', port: 5080 });
    expect(getFrom(m).displayName).toBe('Alice');
    expect(getCallId(m)).toBe('call-1@example.com');
    expect(getSupported(m)).toEqual(['timer', '100rel']);
    expect(getHeaderValues(m, 'x-custom')).toEqual(['a, b']); // unknown header: never comma-split
    expect(Buffer.from(m.body).toString()).toBe('abcd');
  });

  it('RFC 3261 19.1 / RFC 5118: IPv6 references in URIs', () => {
    const u = parseUri('sip:room1@[2001:db8::10]:5070;transport=tcp');
    expect(u).toMatchObject({ kind: 'sip', host: '[2001:db8::10]', port: 5070, params: [{ name: 'transport', value: 'tcp' }] });
    expect(bareHost('[2001:db8::10]')).toBe('2001:db8::10');
    expect(uriHost('::1')).toBe('[::1]');
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({ kind: 'tel', number: '+1-201-555-0123' });
    expect(() => parseUri('sip:a@[zz::1]')).toThrow(SipParseError);
    expect(() => parseUri('sip:a@host:70000')).toThrow(SipParseError);
  });

  it('RFC 3261 7.3.1 folding and case-insensitive names', () => {
    const m = parseMessage(crlf('OPTIONS sip:x@y SIP/2.0', 'VIA: SIP/2.0/UDP h;branch=z9hG4bKa', 'FROM: <sip:a@b>;TAG=1', 'to:', '  <sip:x@y>', 'CALL-id: c', 'cseq: 2', '\tOPTIONS', '', ''));
    expect(getTo(m).uri).toMatchObject({ host: 'y' });
    expect(getHeader(m, 'CSeq')).toBe('2 OPTIONS');
    expect(getFrom(m).params).toEqual([{ name: 'TAG', value: '1' }]);
  });

  it('serializer writes canonical names, CRLF, and the real Content-Length', () => {
    const m = parseMessage(INVITE);
    const out = serializeMessage({ ...m, body: new Uint8Array([1, 2]) }).toString('latin1');
    expect(out).toContain('\r\nCall-ID: call-1@example.com\r\n');
    expect(out).toContain('\r\nContent-Length: 2\r\n\r\n\x01\x02');
    expect(out.startsWith('INVITE sip:room1@[2001:db8::10]:5070;transport=tcp SIP/2.0\r\n')).toBe(true);
  });

  it('limits are parameters (message size, header count, line length)', () => {
    const limits = { maxMessageBytes: 100, maxHeaders: 3, maxLineLength: 40 };
    expect(() => parseMessage(INVITE, limits)).toThrow(expect.objectContaining({ reason: 'too-large' }));
    expect(() => parseMessage(INVITE, { ...limits, maxMessageBytes: 5000, maxHeaders: 100 })).toThrow(expect.objectContaining({ reason: 'line-too-long' }));
    expect(() => parseMessage(INVITE, { maxMessageBytes: 5000, maxHeaders: 3, maxLineLength: 500 })).toThrow(expect.objectContaining({ reason: 'too-many-headers' }));
  });

  it('RFC 3261 18.3: stream framing needs an exact Content-Length', () => {
    const noLength = INVITE.replace('l: 4\r\n', '');
    expect(parseError(noLength, 'stream').reason).toBe('bad-content-length');
    expect(parseError(INVITE + 'xx', 'stream').reason).toBe('body-too-long');
    expect(parseMessage(INVITE + 'xx', undefined, 'datagram').body.length).toBe(4);
    expect(parseError(INVITE.replace('l: 4', 'l: 9')).reason).toBe('body-too-short');
  });

  it('400 reason phrases say what is wrong and the response copies Via/From/To/Call-ID/CSeq', () => {
    const e = parseError(INVITE.replace('i: call-1@example.com\r\n', ''));
    expect(e.sipReason).toBe('Bad Request - Missing Call-ID header');
    expect(e.code).toBe('SIP_PARSE_MISSING_HEADER');
    const r = createErrorResponse(e, { toTag: 'x9' });
    expect(r?.status).toBe(400);
    expect(r?.headers.map((h) => h.name)).toEqual(['Via', 'From', 'To', 'CSeq']);
    expect(toTag(r!)).toBe('x9');
    // ACK is never answered
    expect(createErrorResponse(parseError(crlf('ACK sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKa', 'CSeq: 1 ACK', '', '')))).toBeNull();
  });

  it('RFC 3261 8.2.6: createResponse copies headers and adds a To tag except on 100', () => {
    const m = parseMessage(INVITE.replace('CSeq: 1 INVITE', 'CSeq: 1 INVITE\r\nTimestamp: 54'));
    const trying = createResponse(m, 100);
    expect(trying.reason).toBe('Trying');
    expect(toTag(trying)).toBeNull();
    expect(getHeader(trying, 'Timestamp')).toBe('54');
    const ok = createResponse(m, 200, undefined, [header('Contact', '<sip:gw@192.0.2.9>')], { toTag: 'gw1' });
    expect(toTag(ok)).toBe('gw1');
    expect(getHeader(ok, 'Timestamp')).toBeUndefined();
    expect(getContacts(ok)).toHaveLength(1);
    const parsedBack = parseMessage(serializeMessage(ok));
    expect(parsedBack.kind === 'response' && parsedBack.reason).toBe('OK');
    expect(toTag(createResponse(parseMessage(serializeMessage(ok)), 180))).toBe('gw1');
  });
});


describe('name-addr edge cases (RFC 3261 20.10)', () => {
  it("a quoted '<' in an addr-spec parameter does not start a name-addr", () => {
    const m = parseMessage(crlf('OPTIONS sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKa', 'From: sip:a@b;tag=1;x="<odd>"', 'To: <sip:x@y>', 'Call-ID: c', 'CSeq: 1 OPTIONS', '', ''));
    expect(getFrom(m).params).toEqual([{ name: 'tag', value: '1' }, { name: 'x', value: '"<odd>"' }]);
    expect(getFrom(m).displayName).toBeNull();
  });
});
