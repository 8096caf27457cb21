import { headerKey } from './header-names.ts';
import { parseContentLength } from './header-values.ts';
import { DEFAULT_SIP_LIMITS, type SipLimits } from './limits.ts';
import { SipParseError } from './parse-error.ts';
import { findHeaderEnd } from './parser.ts';

/**
 * Cutting messages out of a byte stream (TCP/TLS; RFC 3261 18.3: Content-Length is mandatory on
 * streams) and recognising RFC 5626 3.5.1 keep-alives ("\r\n\r\n" ping, "\r\n" pong).
 */
export type StreamFrame =
  /** Nothing complete yet; keep reading (the caller applies its idle/slowloris timer). */
  | { readonly kind: 'need-more' }
  /** `length` bytes of CRLFs to drop; `ping` when they contained a double CRLF (answer "\r\n"). */
  | { readonly kind: 'keepalive'; readonly length: number; readonly ping: boolean }
  /** A complete message at [offset, offset + length) of the buffer. */
  | { readonly kind: 'message'; readonly offset: number; readonly length: number };

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Look at the start of `buf`. Throws SipParseError when the stream can never yield a valid
 * message (too large, missing/bad Content-Length): the connection should then be closed.
 */
export function frameStream(buf: Uint8Array, limits: SipLimits = DEFAULT_SIP_LIMITS): StreamFrame {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  if (i > 0) {
    const text = decoder.decode(buf.subarray(0, i));
    if (i === buf.length && !text.includes('\n')) return { kind: 'need-more' };
    return { kind: 'keepalive', length: i, ping: text.includes('\r\n\r\n') || text.includes('\n\n') };
  }
  if (buf.length === 0) return { kind: 'need-more' };
  const end = findHeaderEnd(buf, 0);
  if (end === null) {
    if (buf.length > limits.maxMessageBytes) throw new SipParseError('too-large', 'Message too large');
    return { kind: 'need-more' };
  }
  const text = decoder.decode(buf.subarray(0, end[0]));
  let declared: number | null = null;
  for (const raw of text.split('\n').slice(1)) {
    const colon = raw.indexOf(':');
    if (colon <= 0 || raw.startsWith(' ') || raw.startsWith('\t')) continue;
    if (headerKey(raw.slice(0, colon).trim()) !== 'content-length') continue;
    if (declared !== null) throw new SipParseError('duplicate-header', 'Multiple Content-Length headers');
    declared = parseContentLength(raw.slice(colon + 1).replace(/\r$/, ''));
  }
  if (declared === null) throw new SipParseError('bad-content-length', 'Missing Content-Length header');
  const total = end[1] + declared;
  if (total > limits.maxMessageBytes) throw new SipParseError('too-large', 'Message too large');
  if (buf.length < total) return { kind: 'need-more' };
  return { kind: 'message', offset: 0, length: total };
}
