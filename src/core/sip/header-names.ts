/**
 * Header field names: compact forms (RFC 3261 7.3.3 and the extensions that define one),
 * canonical spelling for known names, and which headers may be comma-split.
 */

const COMPACT: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event', // RFC 6665
  u: 'Allow-Events', // RFC 6665
  r: 'Refer-To', // RFC 3515
  b: 'Referred-By', // RFC 3892
  x: 'Session-Expires', // RFC 4028
  a: 'Accept-Contact', // RFC 3841
  j: 'Reject-Contact', // RFC 3841
  d: 'Request-Disposition', // RFC 3841
  y: 'Identity', // RFC 8224
};

const KNOWN = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info',
  'Event', 'Expires', 'From', 'Identity', 'In-Reply-To', 'Max-Forwards', 'Min-Expires', 'Min-SE', 'MIME-Version',
  'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Priority', 'Privacy', 'Proxy-Authenticate',
  'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Refer-To', 'Referred-By',
  'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition', 'Require', 'Retry-After', 'Route', 'RSeq',
  'Server', 'Session-Expires', 'Subject', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via',
  'Warning', 'WWW-Authenticate',
];

const CANONICAL = new Map<string, string>(KNOWN.map((n) => [n.toLowerCase(), n]));
for (const [k, v] of Object.entries(COMPACT)) CANONICAL.set(k, v);

/** Canonical spelling for a known (or compact) name; unknown names are returned unchanged. */
export function canonicalHeaderName(name: string): string {
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

// Memo of name -> key: header look-ups are the parser's hottest path. Bounded so that a peer
// sending endless distinct header names cannot grow it.
const KEYS = new Map<string, string>();
const MAX_KEYS = 2048;

/** Lower-case key used for every comparison (compact forms folded onto their long name). */
export function headerKey(name: string): string {
  const hit = KEYS.get(name);
  if (hit !== undefined) return hit;
  const c = CANONICAL.get(name.toLowerCase());
  const key = (c ?? name).toLowerCase();
  if (KEYS.size < MAX_KEYS) KEYS.set(name, key);
  return key;
}

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 7.3.1). Not included on purpose:
 * WWW-Authenticate, Authorization, Proxy-Authenticate, Proxy-Authorization, Date, Retry-After,
 * Subject, User-Agent, Server and unknown headers: their values may contain commas.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported',
  'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'content-language', 'alert-info',
  'call-info', 'error-info', 'in-reply-to', 'allow-events', 'warning', 'path', 'reason', 'p-asserted-identity',
]);

/** Headers that must appear at most once (RFC 3261 7.3.1 / RFC 4475 3.3.8, 3.3.9). */
export const SINGLE_HEADERS: ReadonlySet<string> = new Set([
  'call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type',
]);
