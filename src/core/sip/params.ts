import { type Scanner, isIn, TOKEN } from './scanner.ts';

/**
 * A `;name[=value]` parameter. Header parameters (RFC 3261 25.1 generic-param) keep their value
 * verbatim (a token, a host or a quoted-string with its quotes); URI parameters keep it
 * %-decoded. Names keep their case; look-ups ignore it (RFC 3261 7.3.1, 19.1.4).
 */
export interface SipParam {
  readonly name: string;
  readonly value: string | null;
}

export function getParam(params: readonly SipParam[], name: string): string | null | undefined {
  const lower = name.toLowerCase();
  for (const p of params) if (p.name.toLowerCase() === lower) return p.value;
  return undefined;
}

export function hasParam(params: readonly SipParam[], name: string): boolean {
  return getParam(params, name) !== undefined;
}

/** Copy of `params` with `name` set (replacing an existing one, else appended). */
export function setParam(params: readonly SipParam[], name: string, value: string | null): SipParam[] {
  const lower = name.toLowerCase();
  let found = false;
  const out = params.map((p) => {
    if (p.name.toLowerCase() !== lower) return p;
    found = true;
    return { name: p.name, value };
  });
  if (!found) out.push({ name, value });
  return out;
}

export function removeParam(params: readonly SipParam[], name: string): SipParam[] {
  const lower = name.toLowerCase();
  return params.filter((p) => p.name.toLowerCase() !== lower);
}

/**
 * `*( SEMI generic-param )` with gen-value = token / host / quoted-string. Stops at end of
 * input; anything else left over is the caller's error.
 */
export function parseGenericParams(sc: Scanner): SipParam[] {
  const out: SipParam[] = [];
  while (sc.eat(';')) {
    const name = sc.token();
    let value: string | null = null;
    if (sc.eat('=')) {
      const c = sc.peek();
      if (c === 0x22) value = sc.quotedRaw();
      else if (c === 0x5b) {
        // IPv6 reference as a host value, e.g. received=[2001:db8::1] (RFC 3261 18.2.1, RFC 5118).
        const start = sc.i;
        const end = sc.s.indexOf(']', start);
        if (end < 0) sc.fail('unterminated IPv6 reference');
        const inner = sc.s.slice(start + 1, end);
        if (!/^[0-9A-Fa-f:.]+$/.test(inner)) sc.fail('bad IPv6 reference');
        sc.i = end + 1;
        value = sc.s.slice(start, sc.i);
      } else {
        // token, or a bare IPv6 address: received=2001:db8::1 (RFC 3261 20.42 via-received).
        const start = sc.i;
        while (!sc.eof() && (isIn(TOKEN, sc.peek()) || sc.peek() === 0x3a)) sc.i++;
        if (sc.i === start) sc.fail(`expected a parameter value at offset ${sc.i}`);
        value = sc.s.slice(start, sc.i);
      }
    }
    out.push({ name, value });
  }
  return out;
}

export function formatGenericParams(params: readonly SipParam[]): string {
  let out = '';
  for (const p of params) out += p.value === null ? `;${p.name}` : `;${p.name}=${p.value}`;
  return out;
}

/** True when `value` can be written as a bare gen-value (token or IPv6 reference). */
export function isBareGenValue(value: string): boolean {
  if (value.startsWith('[') && value.endsWith(']')) return true;
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isIn(TOKEN, value.charCodeAt(i)) && value.charCodeAt(i) !== 0x3a) return false;
  return true;
}
