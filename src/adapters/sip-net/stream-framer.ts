/**
 * Splits a byte stream (TCP, TLS) into SIP messages.
 *
 * RFC 3261 section 18.3: on stream transports Content-Length MUST be present and gives the
 * body length; the message ends there. Bytes arrive in arbitrary pieces: a message may be
 * split over many chunks and one chunk may hold several messages (both handled).
 * RFC 5626 section 4.4.1: between messages a double CRLF is a keep-alive "ping" that the
 * server answers with a single CRLF "pong"; a single CRLF is a pong. RFC 3261 section 7.5
 * also asks receivers to ignore CRLFs before a start line.
 *
 * The framer only looks at bytes and at the Content-Length header (long `Content-Length` or
 * compact `l`); full parsing is the SIP core's job. A framing error is final: the stream can
 * no longer be resynchronised, so the owner closes the connection.
 */

export type FrameErrorReason = 'too_large' | 'missing_content_length' | 'bad_content_length';

export type FrameResult =
  | { readonly kind: 'message'; readonly data: Buffer }
  | { readonly kind: 'ping' }
  | { readonly kind: 'pong' }
  | { readonly kind: 'error'; readonly reason: FrameErrorReason; readonly head: Buffer };

const CR = 0x0d;
const LF = 0x0a;
const HEADER_END = Buffer.from('\r\n\r\n');
/** How much of a broken message the owner gets to try a 400/513 response from. */
const MAX_HEAD = 4096;
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:(.*)$/i;

export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Where to resume the search for the end of the headers (avoids rescanning). */
  private scanFrom = 0;
  /** Total size of the message at the head of the buffer once its headers are parsed. */
  private expected = -1;
  private broken = false;
  private readonly maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  /** True when bytes of an unfinished message are buffered (drives the slowloris timeout). */
  get hasPartialMessage(): boolean {
    if (this.buf.length === 0) return false;
    for (const b of this.buf) if (b !== CR && b !== LF) return true;
    return false;
  }

  get bufferedBytes(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): FrameResult[] {
    if (this.broken) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FrameResult[] = [];
    for (;;) {
      const r = this.next();
      if (r === null) break;
      out.push(r);
      if (r.kind === 'error') {
        this.broken = true;
        this.buf = Buffer.alloc(0);
        break;
      }
    }
    return out;
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.scanFrom = 0;
    this.expected = -1;
  }

  private next(): FrameResult | null {
    const buf = this.buf;
    if (buf.length === 0) return null;
    if (this.expected < 0 && buf[0] === CR) {
      const ka = this.keepAlive(buf);
      if (ka !== undefined) return ka;
    }
    if (this.expected < 0) {
      const idx = buf.indexOf(HEADER_END, this.scanFrom);
      if (idx < 0) {
        if (buf.length > this.maxMessageSize) return this.error('too_large');
        this.scanFrom = Math.max(0, buf.length - 3);
        return null;
      }
      const headerLen = idx + 4;
      const cl = contentLength(buf.subarray(0, idx));
      if (typeof cl === 'string') return this.error(cl, headerLen);
      const total = headerLen + cl;
      // Reject before the body arrives so a peer cannot make us buffer it.
      if (total > this.maxMessageSize) return this.error('too_large', headerLen);
      this.expected = total;
    }
    if (buf.length < this.expected) return null;
    const data = buf.subarray(0, this.expected);
    this.consume(this.expected);
    return { kind: 'message', data };
  }

  /** Leading CRLFs: ping, pong, or wait for more bytes; undefined means "a message starts". */
  private keepAlive(buf: Buffer): FrameResult | null | undefined {
    if (buf.length < 2) return null;
    if (buf[1] !== LF) return undefined;
    if (buf.length === 2) return null; // may become a double-CRLF ping
    if (buf[2] !== CR) {
      this.consume(2);
      return { kind: 'pong' };
    }
    if (buf.length === 3) return null;
    if (buf[3] === LF) {
      this.consume(4);
      return { kind: 'ping' };
    }
    this.consume(2);
    return { kind: 'pong' };
  }

  private error(reason: FrameErrorReason, headerLen?: number): FrameResult {
    const headLen = Math.min(headerLen ?? this.buf.length, MAX_HEAD);
    return { kind: 'error', reason, head: Buffer.from(this.buf.subarray(0, headLen)) };
  }
}

/** Content-Length of a header block (without the final blank line), or why it is unusable. */
export function contentLength(head: Buffer): number | FrameErrorReason {
  const lines = head.toString('latin1').split('\r\n');
  let found: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i] ?? '';
    // RFC 3261 section 7.3.1: a line starting with whitespace continues the previous one.
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1] ?? '')) line += ' ' + (lines[++i] ?? '').trim();
    const m = CONTENT_LENGTH.exec(line);
    if (m === null) continue;
    const value = (m[1] ?? '').trim();
    if (!/^\d{1,9}$/.test(value)) return 'bad_content_length';
    const n = Number(value);
    if (found !== undefined && found !== n) return 'bad_content_length';
    found = n;
  }
  return found ?? 'missing_content_length';
}
