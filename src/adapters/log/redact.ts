/**
 * The redaction layer every log line passes through (issue 2, security notes in README).
 * Three independent nets, so one missing does not leak:
 *  1. keys whose name says "secret" (key, salt, token, password, authorization, ...) have their
 *     values replaced, at any depth;
 *  2. strings are scrubbed of SDES key material (`inline:<base64>`, RFC 4568 6.1), whole
 *     `a=crypto` parameters, URL passwords, bearer tokens and `key=value` secrets;
 *  3. exact known secret values (resolved from *_file/*_env at start) are replaced wherever
 *     they appear.
 */
export const REDACTED = '[REDACTED]';

// matched against the end of the key name, so camelCase (`callKey`, `masterSalt`) and
// snake_case (`srtp_key`) both count; over-redacting a harmless field is the safe failure
const SECRET_KEY = /(?:key|keys|salt|secret|secrets|token|tokens|password|passwd|pass|authorization|cookie|kek|credential|credentials|inline)$/i;
/** Keys that end in "key" but only name things, never hold them. */
const NOT_SECRET_KEY = /^(?:monkey|turkey|hotkey)$/i;

const STRING_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:4 -> keep tag and suite only
  [/(a=crypto:\s*\d+\s+[A-Za-z0-9_]+)[^\r\n]*/g, `$1 ${REDACTED}`],
  [/inline:[A-Za-z0-9+/=_-]+/gi, `inline:${REDACTED}`],
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/\s]+@/gi, `$1${REDACTED}@`],
  [/(\bbearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  [/(\b(?:password|passwd|secret|token|key|salt)\s*[=:]\s*)("[^"]*"|[^\s,;&"]+)/gi, `$1${REDACTED}`],
  // Authorization: Digest ... response="..." (RFC 3261 22.4)
  [/(\bresponse\s*=\s*)"[^"]*"/gi, `$1"${REDACTED}"`],
];

export class Redactor {
  readonly #exact: readonly string[];

  constructor(exactSecrets: readonly string[] = []) {
    // longest first so a secret containing another is replaced whole; very short values would
    // redact ordinary text, and the other nets cover them
    this.#exact = [...new Set(exactSecrets)].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  }

  string(text: string): string {
    let out = text;
    for (const s of this.#exact) if (out.includes(s)) out = out.split(s).join(REDACTED);
    for (const [re, replacement] of STRING_RULES) out = out.replace(re, replacement);
    return out;
  }

  value(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 12 || seen.has(value)) return '[Truncated]';
    seen.add(value);
    if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (value instanceof Error) return this.error(value, depth, seen);
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1, seen));
    if (value instanceof Map) return this.value(Object.fromEntries(value), depth + 1, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && !NOT_SECRET_KEY.test(k) && v !== undefined && v !== null ? REDACTED : this.value(v, depth + 1, seen);
    }
    return out;
  }

  error(err: Error, depth = 0, seen: WeakSet<object> = new WeakSet()): Record<string, unknown> {
    const out: Record<string, unknown> = {
      type: err.name,
      message: this.string(err.message),
      stack: err.stack === undefined ? undefined : this.string(err.stack),
    };
    for (const [k, v] of Object.entries(err)) out[k] = SECRET_KEY.test(k) ? REDACTED : this.value(v, depth + 1, seen);
    if (err.cause !== undefined) out.cause = this.value(err.cause, depth + 1, seen);
    return out;
  }
}
