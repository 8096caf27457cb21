import { canonicalHeaderName } from './header-names.ts';
import { getContentLength, getCSeq, getTopVia, validateHeaders } from './headers.ts';
import { DEFAULT_SIP_LIMITS, type SipFraming, type SipLimits } from './limits.ts';
import type { SipHeader, SipMessage } from './message.ts';
import { type PartialRequest, SipParseError } from './parse-error.ts';
import { isToken, isWs, trimWs } from './scanner.ts';
import { guessMethod, parseStartLine, type StartLine } from './start-line.ts';

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/** Index of the first byte after the leading CRLFs (RFC 3261 7.5: ignored before a start line). */
function skipLeadingCrlf(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && (b[i] === 0x0d || b[i] === 0x0a)) i++;
  return i;
}

/** [end of header block, start of body] or null. Accepts CRLFCRLF and, leniently, LFLF. */
export function findHeaderEnd(b: Uint8Array, from: number): [number, number] | null {
  for (let i = from; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return [i + 1, i + 2];
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return [i + 1, i + 3];
  }
  return null;
}

interface HeaderBlock {
  readonly startLine: string;
  readonly headers: SipHeader[];
  /** First problem found in a header line; parsing went on to collect the rest for a 400. */
  readonly error: SipParseError | null;
}

function splitHeaderBlock(text: string, limits: SipLimits): HeaderBlock {
  const lines = text.split('\n');
  const headers: SipHeader[] = [];
  let error: SipParseError | null = null;
  const note = (e: SipParseError): void => {
    if (error === null) error = e;
  };
  let startLine = '';
  let cur: string | null = null;
  const flush = (): void => {
    if (cur === null) return;
    const colon = cur.indexOf(':');
    const name = colon < 0 ? '' : trimWs(cur.slice(0, colon));
    if (!isToken(name)) note(new SipParseError('bad-header-line', 'Malformed header line'));
    else if (headers.length >= limits.maxHeaders) note(new SipParseError('too-many-headers', 'Too many headers'));
    else headers.push({ name: canonicalHeaderName(name), value: trimWs(cur.slice(colon + 1)) });
    cur = null;
  };
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > limits.maxLineLength) {
      note(new SipParseError('line-too-long', 'Line too long'));
      continue;
    }
    if (line.includes('\r')) note(new SipParseError('bad-header-line', 'Bare CR in header line'));
    if (n === 0) {
      startLine = line;
      continue;
    }
    if (line === '') continue; // the final empty line
    if (isWs(line.charCodeAt(0))) {
      // LWS continuation (RFC 3261 7.3.1): folding is replaced by a single SP.
      if (cur === null) note(new SipParseError('bad-header-line', 'Continuation line without a header'));
      else {
        cur = trimWs(cur) + ' ' + trimWs(line);
        if (cur.length > limits.maxLineLength) {
          note(new SipParseError('line-too-long', 'Header too long'));
          cur = null;
        }
      }
      continue;
    }
    flush();
    cur = line;
  }
  flush();
  return { startLine, headers, error };
}

/**
 * Parse one SIP message (RFC 3261 section 7, 25). Throws only SipParseError; when the input was
 * a request with a readable Via, the error carries `partial` for a 400 (see createErrorResponse).
 *
 * Content-Length (RFC 3261 18.3, 20.14): `datagram` — optional; a longer datagram is truncated
 * to it (RFC 4475 3.1.1.8), a shorter one is an error (3.1.2.2). `stream` — mandatory and the
 * body must be exactly that long (the stream framer already cut the message by it).
 */
export function parseMessage(data: Uint8Array | string, limits: SipLimits = DEFAULT_SIP_LIMITS, framing: SipFraming = 'datagram'): SipMessage {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  if (bytes.length > limits.maxMessageBytes) throw new SipParseError('too-large', 'Message too large');
  const start = skipLeadingCrlf(bytes);
  if (start >= bytes.length) throw new SipParseError('empty', 'Empty message');
  const end = findHeaderEnd(bytes, start);
  if (end === null) throw new SipParseError('bad-header-line', 'Missing empty line after headers');
  const block = splitHeaderBlock(decoder.decode(bytes.subarray(start, end[0])), limits);

  let line: StartLine | null = null;
  let lineError: SipParseError | null = null;
  try {
    line = parseStartLine(block.startLine);
  } catch (e) {
    lineError = e as SipParseError;
  }
  const method = line !== null ? (line.kind === 'request' ? line.method : null) : guessMethod(block.startLine);
  let partial: PartialRequest | undefined;
  if (method !== null) {
    try {
      getTopVia(block);
      partial = { method, headers: block.headers };
    } catch {
      partial = undefined;
    }
  }
  const fail = (e: unknown): never => {
    const pe = e instanceof SipParseError ? e : new SipParseError('bad-header-value', 'Malformed header', { cause: e });
    throw partial === undefined ? pe : pe.withPartial(partial);
  };
  // Limit violations first: a cut-off start line must be reported as the limit it broke.
  if (block.error !== null && (block.error.reason === 'line-too-long' || block.error.reason === 'too-many-headers')) fail(block.error);
  if (lineError !== null) fail(lineError);
  if (block.error !== null) fail(block.error);
  if (line === null) return fail(new SipParseError('bad-start-line', 'Malformed start line'));

  try {
    validateHeaders(block);
  } catch (e) {
    fail(e);
  }
  if (line.kind === 'request') {
    // RFC 4475 3.1.2.17, 3.1.2.18: the CSeq method must match the Request-Line.
    const cseq = getCSeq(block);
    if (cseq.method !== line.method) fail(new SipParseError('cseq-method-mismatch', 'CSeq method does not match Request-Line'));
  }

  const available = bytes.length - end[1];
  const declared = getContentLength(block);
  let bodyLength = available;
  if (declared === null) {
    if (framing === 'stream') fail(new SipParseError('bad-content-length', 'Missing Content-Length header'));
  } else if (declared > available) {
    fail(new SipParseError('body-too-short', 'Content-Length larger than message body'));
  } else if (declared < available) {
    if (framing === 'stream') fail(new SipParseError('body-too-long', 'Content-Length smaller than message body'));
    bodyLength = declared; // RFC 3261 18.3: extra datagram octets are discarded.
  }
  const body = bytes.slice(end[1], end[1] + bodyLength);
  if (line.kind === 'request') return { kind: 'request', method: line.method, uri: line.uri, headers: block.headers, body };
  return { kind: 'response', status: line.status, reason: line.reason, headers: block.headers, body };
}
