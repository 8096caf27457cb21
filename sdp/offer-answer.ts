import { GatehouseError } from '../src/core/errors.ts';
import { bundleGroups, connection, direction, hasAttribute, rtcpMux } from './attributes.ts';
import { matchCodecs } from './codec-match.ts';
import { offeredCodecs } from './codecs.ts';
import { iceUfrag } from './ice.ts';
import { securityOffers } from './security-offer.ts';
import type { MediaSecurityOffer } from './security-offer.ts';
import type { CryptoLine } from './crypto.ts';
import type { Direction, MediaSection, SessionDescription } from './model.ts';
import type { KeyingDecider, KeyingDecision, LocalCapabilities, LocalCodec, MediaAnswerPlan, Negotiation } from './offer-answer-types.ts';

/**
 * RFC 3264 answer planning. `negotiate` decides, per offered m= section, accept or reject, the
 * codecs (answerer's order, offerer's PTs), the direction and the keying (asked from the
 * policy through `decideKeying`). It builds no SDP: sdp/answer-builder.ts turns the plan into
 * text once the adapter has allocated ports. Throws SdpParseError for malformed known
 * attributes (-> 400) and GatehouseError('internal') when a keying decision contradicts the
 * offer (a policy bug).
 */
export function negotiate(offer: SessionDescription, caps: LocalCapabilities, decideKeying: KeyingDecider): Negotiation {
  const sec = securityOffers(offer);
  const bundle = bundleGroups(offer)[0];
  const bundleMids = bundle?.mids ?? NO_MIDS;
  const plans = new Array<MediaAnswerPlan | undefined>(offer.media.length);
  // Accepted sections per media kind, for maxStreamsPerKind (a few kinds: parallel arrays).
  const accepted: AcceptedCount = { kinds: [], counts: [] };

  // Secure half of each dual pair first, so the plain half can defer to it (a stable sort by
  // rank; without dual pairs every rank is 0 and the order is the offer's).
  const order = offer.media.map((m) => m.index);
  if (sec.some((x) => rank(x) !== 0)) order.sort((a, b) => rank(sec[a] as MediaSecurityOffer) - rank(sec[b] as MediaSecurityOffer) || a - b);

  for (const i of order) {
    const m = offer.media[i] as MediaSection;
    const s = sec[i] as MediaSecurityOffer;
    const twin = s.dualOf === undefined ? undefined : plans[s.dualOf];
    let plan: MediaAnswerPlan;
    if (s.transport === 'plain' && twin !== undefined && twin.verdict === 'accept') {
      plan = reject(offer, m, s, [`dual m-line offer: secure m-line ${twin.index} accepted instead (RTP/AVP twin rejected)`]);
    } else {
      plan = planSection(offer, m, s, caps, decideKeying, bundleMids, accepted);
    }
    if (plan.verdict === 'accept') countAccepted(accepted, plan.kind);
    plans[i] = plan;
  }
  const media = plans as MediaAnswerPlan[];
  const mids = bundle === undefined ? undefined : bundle.mids.filter((id) => media.some((p) => p.verdict === 'accept' && p.mid === id));
  return { media, bundle: mids !== undefined && mids.length > 0 ? mids : undefined, accepted: media.some((p) => p.verdict === 'accept') };
}

const NO_MIDS: readonly string[] = Object.freeze([]);

interface AcceptedCount {
  readonly kinds: string[];
  readonly counts: number[];
}

function acceptedOf(a: AcceptedCount, kind: string): number {
  const i = a.kinds.indexOf(kind);
  return i === -1 ? 0 : (a.counts[i] as number);
}

function countAccepted(a: AcceptedCount, kind: string): void {
  const i = a.kinds.indexOf(kind);
  if (i === -1) {
    a.kinds.push(kind);
    a.counts.push(1);
  } else a.counts[i] = (a.counts[i] as number) + 1;
}

function rank(s: MediaSecurityOffer): number {
  return s.dualOf !== undefined && s.transport === 'plain' ? 1 : 0;
}

function localCodecs(kind: string, caps: LocalCapabilities): readonly LocalCodec[] | undefined {
  if (kind === 'audio') return caps.audio;
  if (kind === 'video') return caps.video;
  return undefined;
}

function planSection(
  offer: SessionDescription,
  m: MediaSection,
  s: MediaSecurityOffer,
  caps: LocalCapabilities,
  decideKeying: KeyingDecider,
  bundleMids: readonly string[],
  accepted: AcceptedCount,
): MediaAnswerPlan {
  const bundleOnly = m.mLine.port === 0 && hasAttribute(m, 'bundle-only') && s.mid !== undefined && bundleMids.includes(s.mid);
  if (m.mLine.port === 0 && !bundleOnly) return reject(offer, m, s, ['stream disabled in the offer (port 0, RFC 3264 8.2)']);
  if (s.transport === 'other') return reject(offer, m, s, [`unsupported transport protocol ${s.proto}`]);
  const local = localCodecs(s.kind, caps);
  if (local === undefined || local.length === 0) return reject(offer, m, s, [`media type ${s.kind} not supported`]);
  const max = caps.maxStreamsPerKind;
  if (max !== undefined && acceptedOf(accepted, s.kind) >= max) return reject(offer, m, s, [`more than ${max} ${s.kind} stream(s) offered`]);

  const offered = offeredCodecs(m);
  const match = matchCodecs(offered, local, caps.singleCodec ?? false);
  if (match.codecs.length === 0) {
    const list = offered.map((c) => `${c.name}/${c.clockRate}`).join(', ') || 'none understood';
    return reject(offer, m, s, [`no common codec (offered: ${list})`, ...match.notes]);
  }

  const keying = decideKeying(s);
  checkDecision(s, keying);
  if (keying.kind === 'reject') return reject(offer, m, s, [keying.reason], keying);

  return {
    index: m.index,
    kind: s.kind,
    proto: s.proto,
    verdict: 'accept',
    reasons: match.notes,
    codecs: match.codecs,
    direction: answerDirection(offeredDirection(offer, m), caps.direction ?? 'sendrecv'),
    keying,
    rtcpMux: (caps.rtcpMux ?? true) && rtcpMux(m),
    mid: s.mid,
    offeredFmts: m.mLine.fmts,
    ice: iceUfrag(offer, m) !== undefined,
    security: s,
  };
}

function reject(offer: SessionDescription, m: MediaSection, s: MediaSecurityOffer, reasons: string[], keying?: KeyingDecision): MediaAnswerPlan {
  return {
    index: m.index,
    kind: s.kind,
    proto: s.proto,
    verdict: 'reject',
    reasons,
    codecs: [],
    direction: 'inactive',
    keying,
    rtcpMux: false,
    mid: s.mid,
    offeredFmts: m.mLine.fmts,
    ice: iceUfrag(offer, m) !== undefined,
    security: s,
  };
}

/** A decision the offer cannot carry is a policy bug, not a peer error. */
function checkDecision(s: MediaSecurityOffer, d: KeyingDecision): void {
  switch (d.kind) {
    case 'sdes':
      if (!s.methods.includes('sdes')) badDecision(s, 'sdes chosen but no usable a=crypto was offered');
      if (!echoesOfferedTag(s, d.answer.tag)) badDecision(s, 'answer tag does not echo an offered a=crypto tag (RFC 4568 7.1.2)');
      if (d.answer.keyParams.length === 0) badDecision(s, 'answer a=crypto has no key-params');
      break;
    case 'dtls':
      if (!s.methods.includes('dtls')) badDecision(s, 'dtls chosen but no a=fingerprint was offered');
      if (d.fingerprints.length === 0) badDecision(s, 'dtls answer needs at least one fingerprint (RFC 8122 5)');
      break;
    case 'none':
      if (s.transport !== 'plain') badDecision(s, 'plain RTP cannot answer a secure transport protocol');
      break;
    case 'reject':
      break;
  }
}

function echoesOfferedTag(s: MediaSecurityOffer, tag: number): boolean {
  // Indexed: the list is frozen (cryptoLines), and for-of over a frozen array is V8's slow path.
  for (let i = 0; i < s.cryptos.length; i++) {
    const c = s.cryptos[i] as CryptoLine;
    if (c.ok && c.attribute.tag === tag) return true;
  }
  return false;
}

function badDecision(s: MediaSecurityOffer, why: string): never {
  throw new GatehouseError('internal', 'SDP_KEYING_DECISION_INVALID', `keying decision for m-line ${s.index} (${s.proto}): ${why}`);
}

/**
 * Direction as offered, with the RFC 2543-style hold (c= 0.0.0.0, RFC 3264 8.4) read as
 * "do not send to me": sendrecv becomes sendonly, recvonly becomes inactive.
 */
export function offeredDirection(offer: SessionDescription, m: MediaSection): Direction {
  const d = direction(offer, m);
  const c = connection(offer, m);
  if (c !== undefined && c.address === '0.0.0.0' && !hasAttribute(m, 'ice-ufrag') && !hasAttribute(offer.session, 'ice-ufrag')) {
    if (d === 'sendrecv') return 'sendonly';
    if (d === 'recvonly') return 'inactive';
  }
  return d;
}

/** RFC 3264 6.1: mirror the offer, limited by what we want to do. */
export function answerDirection(offered: Direction, local: Direction): Direction {
  const weSend = local === 'sendrecv' || local === 'sendonly';
  const weRecv = local === 'sendrecv' || local === 'recvonly';
  const theySend = offered === 'sendrecv' || offered === 'sendonly';
  const theyRecv = offered === 'sendrecv' || offered === 'recvonly';
  const send = weSend && theyRecv;
  const recv = weRecv && theySend;
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}
