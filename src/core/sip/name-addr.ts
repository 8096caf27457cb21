import { formatGenericParams, parseGenericParams, type SipParam } from './params.ts';
import { isIn, isWs, quote, Scanner, TOKEN, trimWs, unquote } from './scanner.ts';
import { formatUri, parseUri, type Uri } from './uri.ts';

/**
 * name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route,
 * Reply-To... (RFC 3261 20.10, 25.1).
 */
export interface NameAddr {
  /** Unquoted and unescaped; null when absent. */
  readonly displayName: string | null;
  readonly uri: Uri;
  /** Header parameters (tag, expires, q, ...), values verbatim. */
  readonly params: readonly SipParam[];
}

/**
 * Parse one name-addr or addr-spec (already split from a comma list). In the addr-spec form the
 * URI ends at the first ';' and everything after is header parameters (RFC 3261 20.10; RFC 4475
 * 3.3.12); a URI with '?', ',' or ';' of its own must be in <> (RFC 4475 3.1.2.13).
 */
export function parseNameAddr(value: string, what: string): NameAddr {
  const sc = new Scanner(value, what);
  sc.skipWs();
  let displayName: string | null = null;
  let uriText: string;
  if (sc.peek() === 0x22) {
    displayName = unquote(sc.quotedRaw());
    sc.skipWs();
    if (sc.peek() !== 0x3c) sc.fail("expected '<' after display name");
  }
  if (sc.peek() !== 0x3c) {
    // A '<' after the first ';' belongs to a parameter of an addr-spec, not to a name-addr.
    const lt = value.indexOf('<', sc.i);
    const semi = value.indexOf(';', sc.i);
    if (lt >= 0 && (semi < 0 || lt < semi)) {
      // display-name = *(token LWS): tokens only; anything else must be quoted (RFC 4475 3.1.2.15).
      const dn = trimWs(value.slice(sc.i, lt));
      for (let i = 0; i < dn.length; i++) {
        const c = dn.charCodeAt(i);
        if (!isIn(TOKEN, c) && !isWs(c)) sc.fail('display name must be a quoted string');
      }
      displayName = dn === '' ? null : dn;
      sc.i = lt;
    }
  }
  if (sc.peek() === 0x3c) {
    const gt = value.indexOf('>', sc.i);
    if (gt < 0) sc.fail("missing '>'");
    uriText = value.slice(sc.i + 1, gt);
    // No LWS inside <...> (RFC 4475 3.1.2.14).
    if (/[ \t]/.test(uriText)) sc.fail('whitespace inside <URI>');
    sc.i = gt + 1;
  } else {
    const start = sc.i;
    while (!sc.eof() && sc.peek() !== 0x3b && !isWs(sc.peek())) sc.i++;
    uriText = value.slice(start, sc.i);
    if (uriText.includes('?') || uriText.includes(',')) sc.fail("URI with headers must be enclosed in '<>'");
  }
  const uri = parseUri(uriText);
  const params = parseGenericParams(sc);
  sc.skipWs();
  if (!sc.eof()) sc.fail(`unexpected '${value[sc.i] ?? ''}' at offset ${sc.i}`);
  return { displayName, uri, params };
}

function isTokenRun(s: string): boolean {
  if (s === '' || isWs(s.charCodeAt(0)) || isWs(s.charCodeAt(s.length - 1))) return false;
  let prevWs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ws = c === 0x20;
    if (ws && prevWs) return false;
    if (!ws && !isIn(TOKEN, c)) return false;
    prevWs = ws;
  }
  return true;
}

/** Always the name-addr form (<...>), which is valid for every URI. */
export function formatNameAddr(na: NameAddr): string {
  let out = '';
  if (na.displayName !== null) out += (isTokenRun(na.displayName) ? na.displayName : quote(na.displayName)) + ' ';
  out += '<' + formatUri(na.uri) + '>';
  return out + formatGenericParams(na.params);
}
