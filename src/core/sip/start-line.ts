import { SipParseError } from './parse-error.ts';
import { isToken } from './scanner.ts';
import { parseUri, type Uri } from './uri.ts';

/** Request-Line / Status-Line (RFC 3261 7.1, 7.2, 25.1). */
export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: Uri }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

/** Reason-Phrase allows UTF-8 text, SP and HTAB but no other controls (RFC 3261 25.1). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

const VERSION_RE = /^SIP\/([0-9]+)\.([0-9]+)$/i;

function checkVersion(v: string): void {
  const m = VERSION_RE.exec(v);
  if (m === null) throw new SipParseError('bad-start-line', 'Malformed SIP version');
  // RFC 3261 8.2.1 / RFC 4475 3.1.2.16: another version is answered with 505.
  if (Number(m[1]) !== 2 || Number(m[2]) !== 0) throw new SipParseError('bad-version', `SIP version ${v} not supported`, { sipStatus: 505 });
}

/**
 * Exactly one SP between elements and none at the end (RFC 4475 3.1.2.9, 3.1.2.10: rejecting is
 * allowed and keeps the parser unambiguous). No LWS inside the Request-URI (3.1.2.8), no <>
 * around it (3.1.2.7), no URI headers in it (3.1.2.11, RFC 3261 19.1.1 table).
 */
export function parseStartLine(line: string): StartLine {
  if (line.startsWith('SIP/') || line.startsWith('sip/')) {
    const sp1 = line.indexOf(' ');
    if (sp1 < 0) throw new SipParseError('bad-start-line', 'Malformed Status-Line');
    checkVersion(line.slice(0, sp1));
    const sp2 = line.indexOf(' ', sp1 + 1);
    const code = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    // Status-Code = 3DIGIT, 100-699 (RFC 3261 7.2; RFC 4475 3.1.2.19 overlarge code).
    if (!/^[1-6][0-9][0-9]$/.test(code)) throw new SipParseError('bad-status-code', 'Malformed status code');
    const reason = sp2 < 0 ? '' : line.slice(sp2 + 1);
    if (hasControl(reason)) throw new SipParseError('bad-start-line', 'Control character in reason phrase');
    return { kind: 'response', status: Number(code), reason };
  }
  const parts = line.split(' ');
  if (parts.length !== 3) throw new SipParseError('bad-start-line', 'Malformed Request-Line (elements must be separated by single SP)');
  const [method, uriText, version] = parts as [string, string, string];
  if (!isToken(method)) throw new SipParseError('bad-start-line', 'Malformed method');
  checkVersion(version);
  if (uriText.startsWith('<')) throw new SipParseError('bad-request-uri', 'Request-URI must not be enclosed in <>');
  if (/[\t]/.test(uriText)) throw new SipParseError('bad-request-uri', 'Whitespace in Request-URI');
  let uri: Uri;
  try {
    uri = parseUri(uriText);
  } catch (e) {
    throw new SipParseError('bad-request-uri', 'Malformed Request-URI', { cause: e });
  }
  if (uri.kind === 'sip' && uri.headers.length > 0) throw new SipParseError('bad-request-uri', 'Request-URI must not contain headers');
  return { kind: 'request', method, uri };
}

/** Best-effort method of a request whose start line did not parse (to answer it with 400). */
export function guessMethod(line: string): string | null {
  if (line.startsWith('SIP/')) return null;
  const m = /^([^ \t]+)[ \t]/.exec(line);
  return m !== null && isToken(m[1] as string) ? (m[1] as string) : null;
}
