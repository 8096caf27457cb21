import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipStreamFramer, contentLength } from '../../../src/adapters/sip-net/stream-framer.ts';
import type { FrameResult } from '../../../src/adapters/sip-net/stream-framer.ts';

const msg = (body: string, extra = ''): string =>
  `OPTIONS sip:room@gw SIP/2.0\r\nVia: SIP/2.0/TCP a.example;branch=z9hG4bK1\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

function frame(chunks: readonly (string | Buffer)[], max = 65535): FrameResult[] {
  const f = new SipStreamFramer(max);
  return chunks.flatMap((c) => f.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c));
}

function texts(rs: FrameResult[]): string[] {
  return rs.map((r) => (r.kind === 'message' ? r.data.toString('latin1') : r.kind === 'error' ? `error:${r.reason}` : r.kind));
}

describe('SipStreamFramer (RFC 3261 section 18.3 framing)', () => {
  const a = msg('v=0\r\n');
  const b = msg('');
  const cases: Array<{ name: string; chunks: string[]; want: string[] }> = [
    { name: 'one message in one chunk', chunks: [a], want: [a] },
    { name: 'RFC 3261 18.3: two coalesced messages', chunks: [a + b], want: [a, b] },
    { name: 'message split inside the headers', chunks: [a.slice(0, 10), a.slice(10)], want: [a] },
    { name: 'message split inside the blank line', chunks: [a.slice(0, a.indexOf('\r\n\r\n') + 2), a.slice(a.indexOf('\r\n\r\n') + 2)], want: [a] },
    { name: 'message split inside the body', chunks: [a.slice(0, a.length - 2), a.slice(a.length - 2)], want: [a] },
    { name: 'one and a half messages, then the rest', chunks: [a + b.slice(0, 7), b.slice(7)], want: [a, b] },
    { name: 'RFC 5626 4.4.1: double CRLF is a ping', chunks: ['\r\n\r\n'], want: ['ping'] },
    { name: 'RFC 5626 4.4.1: ping split in two', chunks: ['\r\n', '\r\n'], want: ['ping'] },
    { name: 'RFC 5626 4.4.1: ping then message in one chunk', chunks: ['\r\n\r\n' + a], want: ['ping', a] },
    { name: 'RFC 5626 4.4.1: single CRLF before a message is a pong', chunks: ['\r\n' + a], want: ['pong', a] },
    { name: 'RFC 3261 7.3.1: compact form l', chunks: [a.replace('Content-Length:', 'l:')], want: [a.replace('Content-Length:', 'l:')] },
    { name: 'RFC 3261 7.3.1: header name case and spaces before the colon', chunks: [a.replace('Content-Length:', 'content-LENGTH  :')], want: [a.replace('Content-Length:', 'content-LENGTH  :')] },
    { name: 'RFC 3261 18.3: missing Content-Length on a stream', chunks: ['OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n'], want: ['error:missing_content_length'] },
    { name: 'RFC 3261 20.14: non-numeric Content-Length', chunks: [msg('').replace('Content-Length: 0', 'Content-Length: 1x')], want: ['error:bad_content_length'] },
    { name: 'RFC 3261 20.14: two different Content-Length values', chunks: [msg('', 'l: 5\r\n')], want: ['error:bad_content_length'] },
    { name: 'no frames after an error', chunks: [msg('', 'l: 5\r\n'), a], want: ['error:bad_content_length'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(texts(frame(c.chunks))).toEqual(c.want);
    });
  }

  it('rejects a message whose announced body would exceed the size limit before the body arrives', () => {
    const head = 'INVITE sip:x SIP/2.0\r\nContent-Length: 5000\r\n\r\n';
    const rs = frame([head], 1000);
    expect(texts(rs)).toEqual(['error:too_large']);
    const r = rs[0];
    expect(r?.kind === 'error' ? r.head.toString('latin1') : '').toBe(head);
  });

  it('rejects endless headers once past the size limit', () => {
    const f = new SipStreamFramer(200);
    expect(f.push(Buffer.from('INVITE sip:x SIP/2.0\r\n'))).toEqual([]);
    expect(texts(f.push(Buffer.from('X-Pad: ' + 'a'.repeat(300))))).toEqual(['error:too_large']);
  });

  it('reports a partial message (slowloris detection) but not a held CRLF', () => {
    const f = new SipStreamFramer(65535);
    f.push(Buffer.from('\r\n'));
    expect(f.hasPartialMessage).toBe(false);
    f.push(Buffer.from('\r\nOPT'));
    expect(f.hasPartialMessage).toBe(true);
    f.push(Buffer.from(a.slice(3)));
    expect(f.hasPartialMessage).toBe(false);
  });

  it('contentLength() reads folded header values (RFC 3261 7.3.1)', () => {
    expect(contentLength(Buffer.from('INVITE sip:x SIP/2.0\r\nContent-Length:\r\n  42'))).toBe(42);
  });

  it('property: any split of a stream of messages and pings frames to the same results', () => {
    const item = fc.oneof(
      fc.string({ maxLength: 200 }).map((body) => msg(body)),
      fc.constant('\r\n\r\n'),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (items, cuts) => {
        const whole = Buffer.from(items.join(''), 'utf8');
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(whole.subarray(prev, p));
          prev = p;
        }
        chunks.push(whole.subarray(prev));
        expect(texts(frame(chunks))).toEqual(texts(frame([whole])));
        expect(texts(frame([whole])).length).toBe(items.length);
      }),
    );
  });

  it('property: random bytes never throw and frames never exceed the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
        const rs = frame(chunks.map((c) => Buffer.from(c)), 512);
        for (const r of rs) if (r.kind === 'message') expect(r.data.length).toBeLessThanOrEqual(512);
      }),
    );
  });
});
