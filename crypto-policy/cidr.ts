/**
 * IPv4/IPv6 address and CIDR parsing for per-peer overrides. Written here because pure code may
 * not import node:net. Addresses become bigints; IPv4-mapped IPv6 peers (::ffff:a.b.c.d, what a
 * dual-stack socket reports, RFC 4291 s2.5.5.2) also match IPv4 prefixes.
 */

export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
  readonly text: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIpv6(text: string): bigint | null {
  let s = text;
  let tail: bigint[] = [];
  // Embedded dotted IPv4 in the last 32 bits (RFC 4291 s2.2 form 3), e.g. ::ffff:192.0.2.1.
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === null) return null;
    tail = [(v4 >> 16n) & 0xffffn, v4 & 0xffffn];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string): bigint[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: bigint[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return null;
    groups = [...head, ...Array<bigint>(8 - explicit).fill(0n), ...rest, ...tail];
  } else {
    if (explicit !== 8) return null;
    groups = [...head, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parse a literal address; a zone id (`fe80::1%eth0`) is dropped, brackets are accepted. */
export function parseIp(input: string): Parsed<IpAddress> {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  if (text.length > 45) return { ok: false, reason: `not an IP address: ${input.slice(0, 48)}` };
  const v4 = parseIpv4(text);
  if (v4 !== null) return { ok: true, value: { family: 4, value: v4 } };
  if (text.includes(':')) {
    const v6 = parseIpv6(text);
    if (v6 !== null) return { ok: true, value: { family: 6, value: v6 } };
  }
  return { ok: false, reason: `not an IP address: ${input.slice(0, 48)}` };
}

export function parseCidr(input: string): Parsed<Cidr> {
  const slash = input.indexOf('/');
  const addrText = slash >= 0 ? input.slice(0, slash) : input;
  if (addrText.includes('%')) return { ok: false, reason: `zone ids are not allowed in a CIDR: ${input.slice(0, 64)}` };
  const addr = parseIp(addrText);
  if (!addr.ok) return { ok: false, reason: `not a CIDR (address part): ${input.slice(0, 64)}` };
  const bits = addr.value.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = input.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > bits) return { ok: false, reason: `prefix length must be 0..${bits}: ${input.slice(0, 64)}` };
    prefix = Number(p);
  }
  const mask = prefixMask(bits, prefix);
  if ((addr.value.value & ~mask & ((1n << BigInt(bits)) - 1n)) !== 0n) {
    return { ok: false, reason: `host bits set after the prefix (did you mean the network address?): ${input.slice(0, 64)}` };
  }
  return { ok: true, value: { family: addr.value.family, network: addr.value.value, prefix, text: input } };
}

function prefixMask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  let addr = ip;
  if (cidr.family === 4 && ip.family === 6 && ip.value >> 32n === 0xffffn) {
    addr = { family: 4, value: ip.value - V4_MAPPED_PREFIX };
  }
  if (addr.family !== cidr.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return (addr.value & prefixMask(bits, cidr.prefix)) === cidr.network;
}
