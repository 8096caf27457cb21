/**
 * Glue between the SDP library (sdp/) and the policy: turn a parsed offer into MediaOffer[] and
 * turn the policy's decisions into the KeyingDecision the sdp/ answer builder emits.
 *
 * Fingerprint/setup are read for every m-line (not only RTP ones), so DTLS/SCTP data channels
 * are judged on their fingerprint too. Malformed a=fingerprint / a=setup throw SdpParseError
 * (with the line number): such an offer is unusable, not a policy question.
 */
import { cryptoLines, findDualPairs, setup } from '../sdp/index.ts';
import { offeredFingerprints } from '../sdp/dtls.ts';
import type { CryptoAttribute, CryptoLine, Fingerprint, KeyingDecider, KeyingDecision, SessionDescription } from '../sdp/index.ts';
import type { MediaDecision } from './media-decision.ts';
import type { MediaOffer } from './media-offer.ts';
import type { Negotiation } from './negotiate.ts';

export function mediaOffersFromSdp(sdp: SessionDescription): MediaOffer[] {
  const duals = findDualPairs(sdp);
  const out: MediaOffer[] = [];
  for (const m of sdp.media) {
    // cryptoLines is parsed once per section and shared with sdp/ negotiate (sdp/crypto.ts).
    const crypto: CryptoAttribute[] = [];
    const malformedCrypto: { tag: null; reason: string }[] = [];
    // Indexed loops: both lists are frozen, and for-of over a frozen array is V8's slow path.
    const lines = cryptoLines(m);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as CryptoLine;
      if (l.ok) crypto.push(l.attribute);
      else malformedCrypto.push({ tag: null, reason: `line ${l.lineNo}: ${l.error.reason}` });
    }
    const fps = offeredFingerprints(sdp, m);
    const hashes: { hash: string }[] = [];
    for (let i = 0; i < fps.length; i++) hashes.push({ hash: (fps[i] as Fingerprint).hash });
    const offer: MediaOffer = {
      index: m.index,
      kind: m.mLine.media,
      port: m.mLine.port,
      proto: m.mLine.proto,
      formats: m.mLine.fmts,
      crypto,
      malformedCrypto,
      fingerprints: hashes,
      setup: setup(sdp, m) ?? null,
    };
    const dualOf = duals.get(m.index);
    out.push(dualOf === undefined ? offer : { ...offer, dualOf });
  }
  return out;
}

/** What the answer must say for one decided m-line. `localFingerprints`: our DTLS certificate's. */
export function keyingDecision(d: MediaDecision, localFingerprints: readonly Fingerprint[]): KeyingDecision {
  if (d.verdict === 'reject') return { kind: 'reject', reason: d.reasons[0] ?? 'rejected by crypto policy' };
  if (d.keying === 'sdes' && d.sdes) return { kind: 'sdes', answer: d.sdes.answer };
  if (d.keying === 'dtls' && d.dtls) return { kind: 'dtls', fingerprints: localFingerprints, setup: d.dtls.answerSetup };
  return { kind: 'none' };
}

/** A decider for sdp/ `negotiate` that answers from an already computed policy negotiation. */
export function keyingDeciderFor(n: Negotiation, localFingerprints: readonly Fingerprint[]): KeyingDecider {
  return (offer) => {
    const d = n.media.find((m) => m.index === offer.index);
    if (!d) return { kind: 'reject', reason: `m-line ${offer.index} was not negotiated by the crypto policy` };
    return keyingDecision(d, localFingerprints);
  };
}
