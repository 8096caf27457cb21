import { attributeError } from './errors.ts';
import { attributes, firstAttribute, firstMediaOrSession, hasAttribute } from './attributes.ts';
import type { AttributeLine } from './attributes.ts';
import type { MediaSection, SessionDescription } from './model.ts';

/** ICE attributes in SDP (RFC 8839). */

export interface IceCandidate {
  readonly foundation: string;
  readonly component: number;
  /** As sent ("UDP", "udp", "tcp"); compare case-insensitively. */
  readonly transport: string;
  readonly priority: number;
  readonly address: string;
  readonly port: number;
  /** host | srflx | prflx | relay, or an extension token. */
  readonly type: string;
  readonly relatedAddress: string | undefined;
  readonly relatedPort: number | undefined;
  /** Extension name/value pairs in order (tcptype, generation, ufrag, network-id, ...). */
  readonly extensions: readonly (readonly [string, string])[];
}

const ICE_CHARS = /^[A-Za-z0-9+/]{1,32}$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/**
 * RFC 8839 5.1:
 *   candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP priority SP
 *                         connection-address SP port SP cand-type [SP rel-addr] [SP rel-port]
 *                         *(SP cand-extension)
 * `text` is the attribute value (after `candidate:`); a leading `candidate:` is also accepted
 * because trickle ICE (RFC 8840) carries the same text with that prefix.
 */
export function parseCandidate(text: string, lineNo = 0): IceCandidate {
  const v = text.startsWith('candidate:') ? text.slice(10) : text;
  const f = v.split(/[ \t]+/).filter((s) => s.length > 0);
  const bad = (why: string): never => {
    throw attributeError(`malformed 'a=candidate': ${why} (RFC 8839 5.1)`, lineNo);
  };
  if (f.length < 8) bad('too few fields');
  const [foundation, comp, transport, prio, address, portText, typ, type] = f as [string, string, string, string, string, string, string, string];
  if (!ICE_CHARS.test(foundation)) bad('foundation must be 1-32 ice-chars');
  if (!/^[0-9]{1,3}$/.test(comp) || Number(comp) < 1 || Number(comp) > 256) bad('component-id must be 1..256');
  if (!TOKEN.test(transport)) bad('transport must be a token');
  if (!/^[0-9]{1,10}$/.test(prio) || Number(prio) > 0xffffffff) bad('priority must be 1-10 digits, < 2^32');
  if (address.length === 0 || /[^A-Za-z0-9.:\-_%[\]]/.test(address)) bad('connection-address is not an address or FQDN');
  const port = portNumber(portText) ?? bad('port must be 0..65535');
  if (typ !== 'typ') bad("expected 'typ'");
  if (!TOKEN.test(type)) bad('cand-type must be a token');
  let relatedAddress: string | undefined;
  let relatedPort: number | undefined;
  const extensions: [string, string][] = [];
  let i = 8;
  if (f[i] === 'raddr') {
    relatedAddress = f[i + 1] ?? bad('raddr without address');
    i += 2;
  }
  if (f[i] === 'rport') {
    relatedPort = portNumber(f[i + 1] ?? '') ?? bad('rport must be 0..65535');
    i += 2;
  }
  for (; i < f.length; i += 2) {
    const name = f[i] as string;
    const value = f[i + 1];
    if (value === undefined) bad('extension attribute without value');
    if (!TOKEN.test(name)) bad('extension name must be a token');
    extensions.push([name, value as string]);
  }
  return { foundation, component: Number(comp), transport, priority: Number(prio), address, port: port as number, type, relatedAddress, relatedPort, extensions };
}

function portNumber(t: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= 65535 ? n : undefined;
}

/** The attribute value (without `candidate:`) in RFC 8839 5.1 form. */
export function serializeCandidate(c: IceCandidate): string {
  let s = `${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== undefined) s += ` raddr ${c.relatedAddress}`;
  if (c.relatedPort !== undefined) s += ` rport ${c.relatedPort}`;
  for (const [k, v] of c.extensions) s += ` ${k} ${v}`;
  return s;
}

export function candidates(media: MediaSection): IceCandidate[] {
  return attributes(media, 'candidate').map((a) => parseCandidate(a.value, a.lineNo));
}

function iceCredential(a: AttributeLine | undefined, name: string): string | undefined {
  if (a === undefined) return undefined;
  // RFC 8839 5.4: ice-ufrag 4-256 ice-chars, ice-pwd 22-256 ice-chars. Some SIP stacks send
  // shorter values; we check the alphabet strictly and only the upper bound of the length.
  if (!/^[A-Za-z0-9+/]+$/.test(a.value) || a.value.length > 256) throw attributeError(`malformed 'a=${name}' (RFC 8839 5.4)`, a.lineNo);
  return a.value;
}

/** RFC 8839 5.4: media-level value overrides session-level. */
export function iceUfrag(sdp: SessionDescription, media: MediaSection): string | undefined {
  return iceCredential(firstMediaOrSession(sdp, media, 'ice-ufrag'), 'ice-ufrag');
}

export function icePwd(sdp: SessionDescription, media: MediaSection): string | undefined {
  return iceCredential(firstMediaOrSession(sdp, media, 'ice-pwd'), 'ice-pwd');
}

/** RFC 8839 5.3: `a=ice-lite` is session-level only. */
export function iceLite(sdp: SessionDescription): boolean {
  return hasAttribute(sdp.session, 'ice-lite');
}

/** RFC 8839 5.6 `a=ice-options:<tag> *(SP <tag>)`; media-level overrides session-level. */
export function iceOptions(sdp: SessionDescription, media: MediaSection): string[] {
  const a = firstMediaOrSession(sdp, media, 'ice-options');
  if (a === undefined) return [];
  const tags = a.value.split(/[ \t]+/).filter((s) => s.length > 0);
  if (tags.length === 0 || tags.some((t) => !/^[A-Za-z0-9+/]+$/.test(t) && !TOKEN.test(t))) throw attributeError("malformed 'a=ice-options' (RFC 8839 5.6)", a.lineNo);
  return tags;
}

/** RFC 8840 8.2 `a=end-of-candidates`, media- or session-level. */
export function endOfCandidates(sdp: SessionDescription, media: MediaSection): boolean {
  return hasAttribute(media, 'end-of-candidates') || firstAttribute(sdp.session, 'end-of-candidates') !== undefined;
}
