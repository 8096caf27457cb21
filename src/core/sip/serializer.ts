import { headerKey } from './header-names.ts';
import type { SipHeader, SipMessage } from './message.ts';
import { formatUri } from './uri.ts';

/**
 * Wire form of a message (RFC 3261 7). Header names in their canonical long form, one header
 * field per line as stored, CRLF line ends. Content-Length always states the real body length:
 * an existing one is rewritten in place, a missing one is appended (RFC 3261 18.3 / 20.14).
 */
export function serializeMessage(msg: SipMessage): Buffer {
  const startLine = msg.kind === 'request' ? `${msg.method} ${formatUri(msg.uri)} SIP/2.0` : `SIP/2.0 ${String(msg.status)} ${msg.reason}`;
  let head = startLine + '\r\n';
  let sawLength = false;
  for (const h of msg.headers) {
    if (headerKey(h.name) === 'content-length') {
      if (sawLength) continue;
      sawLength = true;
      head += `Content-Length: ${String(msg.body.length)}\r\n`;
      continue;
    }
    head += `${h.name}: ${h.value}\r\n`;
  }
  if (!sawLength) head += `Content-Length: ${String(msg.body.length)}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'utf8');
  if (msg.body.length === 0) return headBytes;
  return Buffer.concat([headBytes, msg.body]);
}

/** Convenience for building header lists. */
export function header(name: string, value: string): SipHeader {
  return { name, value };
}
