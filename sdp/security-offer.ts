import { cryptoLines } from './crypto.ts';
import type { CryptoLine } from './crypto.ts';
import { offeredFingerprints, setup } from './dtls.ts';
import type { Fingerprint, SetupRole } from './dtls.ts';
import { attributes, bundleGroups, connection, mid } from './attributes.ts';
import type { MediaSection, SessionDescription } from './model.ts';
import { ParsedDescription } from './parsed-model.ts';

/**
 * What each offered m= section proposes for keying: the input to the crypto policy
 * (crypto-policy/ decides; this module only describes). Pure and deterministic.
 */

/** Transport class of an m= proto (RFC 3551, RFC 3711 12, RFC 5124, RFC 5764 8). */
export type TransportClass = 'plain' | 'savp' | 'dtls' | 'other';

export type KeyingMethod = 'sdes' | 'dtls' | 'none';

export function classifyProto(proto: string): { readonly transport: TransportClass; readonly feedback: boolean } {
  // The usual spellings without upper-casing first; anything else folded to upper case.
  switch (proto) {
    case 'RTP/AVP':
      return PLAIN;
    case 'RTP/SAVP':
      return SAVP;
    case 'RTP/SAVPF':
      return SAVP_FB;
    case 'UDP/TLS/RTP/SAVPF':
      return DTLS_FB;
    default:
      return classifyUpper(proto.toUpperCase());
  }
}

function classifyUpper(proto: string): { readonly transport: TransportClass; readonly feedback: boolean } {
  switch (proto) {
    case 'RTP/AVP':
      return PLAIN;
    case 'RTP/AVPF':
      return PLAIN_FB;
    case 'RTP/SAVP':
      return SAVP;
    case 'RTP/SAVPF':
      return SAVP_FB;
    case 'UDP/TLS/RTP/SAVP':
    case 'TCP/DTLS/RTP/SAVP':
    case 'TCP/TLS/RTP/SAVP':
    case 'DCCP/TLS/RTP/SAVP':
      return DTLS;
    case 'UDP/TLS/RTP/SAVPF':
    case 'TCP/DTLS/RTP/SAVPF':
    case 'TCP/TLS/RTP/SAVPF':
    case 'DCCP/TLS/RTP/SAVPF':
      return DTLS_FB;
    default:
      return OTHER;
  }
}

// One frozen result per class: callers only read them.
const PLAIN = Object.freeze({ transport: 'plain', feedback: false } as const);
const PLAIN_FB = Object.freeze({ transport: 'plain', feedback: true } as const);
const SAVP = Object.freeze({ transport: 'savp', feedback: false } as const);
const SAVP_FB = Object.freeze({ transport: 'savp', feedback: true } as const);
const DTLS = Object.freeze({ transport: 'dtls', feedback: false } as const);
const DTLS_FB = Object.freeze({ transport: 'dtls', feedback: true } as const);
const OTHER = Object.freeze({ transport: 'other', feedback: false } as const);

export interface MediaSecurityOffer {
  /** m= section index (0-based) in the offer. */
  readonly index: number;
  /** `audio`, `video`, ... from the m= line. */
  readonly kind: string;
  readonly proto: string;
  readonly transport: TransportClass;
  /**
   * Keying methods an answer to this m= section may use without changing its proto:
   * `sdes` (a=crypto offered), `dtls` (a=fingerprint offered), `none` (plain RTP/AVP[F]).
   */
  readonly methods: readonly KeyingMethod[];
  /**
   * RTP/AVP(F) carrying a=crypto: "best-effort SRTP" (RFC 4568 7.1.1 discussion; standardised
   * as OSRTP in RFC 8643). The answer may accept with a=crypto (SRTP, proto unchanged) or plain.
   */
  readonly bestEffortSrtp: boolean;
  /** Every a=crypto line, each parsed on its own (bad lines carry their error). */
  readonly cryptos: readonly CryptoLine[];
  readonly fingerprints: readonly Fingerprint[];
  readonly setup: SetupRole | undefined;
  /**
   * Index of the other half of a dual m-line offer (one secure, one plain m= section for the
   * same stream, as Poly/Polycom, pjsip `--use-srtp=3` and FreeSWITCH send); else undefined.
   */
  readonly dualOf: number | undefined;
  /** The a=mid of the section, if any. */
  readonly mid: string | undefined;
}

export function securityOffers(sdp: SessionDescription): MediaSecurityOffer[] {
  const duals = findDualPairs(sdp);
  return sdp.media.map((m) => securityOffer(sdp, m, duals.get(m.index)));
}

function securityOffer(sdp: SessionDescription, m: MediaSection, dualOf: number | undefined): MediaSecurityOffer {
  const { transport } = classifyProto(m.mLine.proto);
  const cryptos = transport === 'plain' || transport === 'savp' ? cryptoLines(m) : [];
  const fps = transport === 'savp' || transport === 'dtls' ? offeredFingerprints(sdp, m) : [];
  const methods: KeyingMethod[] = [];
  let anyCrypto = false;
  // Indexed: cryptoLines is frozen, and for-of over a frozen array takes V8's slow iterator path.
  for (let i = 0; i < cryptos.length; i++) if ((cryptos[i] as CryptoLine).ok) anyCrypto = true;
  if (anyCrypto) methods.push('sdes');
  // RTP/SAVP(F) + a=fingerprint is legacy DTLS-SRTP signalling (FreeSWITCH, old Chrome).
  if (fps.length > 0) methods.push('dtls');
  if (transport === 'plain') methods.push('none');
  return {
    index: m.index,
    kind: m.mLine.media,
    proto: m.mLine.proto,
    transport,
    methods,
    bestEffortSrtp: transport === 'plain' && cryptos.length > 0,
    cryptos,
    fingerprints: fps,
    setup: fps.length > 0 ? setup(sdp, m) : undefined,
    dualOf,
    mid: mid(m),
  };
}

/**
 * Dual m-line detection. A plain (RTP/AVP[F]) and a secure (RTP/SAVP[F]) m= section form a pair
 * when they have the same media type, the same non-zero port and the same connection address,
 * and neither is part of a BUNDLE group (bundled sections legitimately share a port). Each
 * section pairs at most once, with the nearest candidate. There is no RFC for this shape
 * (rtpengine #1489 calls it non-standard; RFC 5939 capability negotiation and RFC 8643 OSRTP
 * are the standard ways), but Poly/Polycom, pjsip and FreeSWITCH send it.
 */
export function findDualPairs(sdp: SessionDescription): ReadonlyMap<number, number> {
  // Both the policy (crypto-policy/sdp-bridge.ts) and negotiate() ask for the same offer.
  const memo = ParsedDescription.memo(sdp);
  if (memo?.dualPairs !== undefined) return memo.dualPairs;
  const pairs = computeDualPairs(sdp);
  if (memo !== undefined) memo.dualPairs = pairs;
  return pairs;
}

function computeDualPairs(sdp: SessionDescription): ReadonlyMap<number, number> {
  const out = new Map<number, number>();
  if (sdp.media.length < 2) return out; // a pair needs two m= sections
  const bundled = new Set(bundleGroups(sdp).flatMap((g) => g.mids));
  const info = sdp.media.map((m) => ({
    m,
    t: classifyProto(m.mLine.proto).transport,
    addr: connection(sdp, m)?.address,
    inBundle: attributes(m, 'mid').some((a) => bundled.has(a.value)),
  }));
  for (const a of info) {
    if (a.t !== 'savp' || a.m.mLine.port === 0 || a.inBundle || out.has(a.m.index)) continue;
    let best: (typeof info)[number] | undefined;
    for (const b of info) {
      if (b.t !== 'plain' || out.has(b.m.index) || b.inBundle) continue;
      if (b.m.mLine.media !== a.m.mLine.media || b.m.mLine.port !== a.m.mLine.port || b.addr !== a.addr) continue;
      if (best === undefined || Math.abs(b.m.index - a.m.index) < Math.abs(best.m.index - a.m.index)) best = b;
    }
    if (best !== undefined) {
      out.set(a.m.index, best.m.index);
      out.set(best.m.index, a.m.index);
    }
  }
  return out;
}
