/**
 * From an accepted SDES audio m-line to what the SDES media leg needs: suite, both master keys
 * (RFC 4568 6.1: key||salt split by the suite's lengths), the peer's RTP/RTCP address (c=, m=,
 * a=rtcp RFC 3605, or port+1; RFC 5761 when muxed), payload formats and the peer's direction.
 * Pure; holds key material, so never log its result.
 */
import type { MediaDecision } from '../../crypto-policy/index.ts';
import type { MediaAnswerPlan, SessionDescription } from '../../sdp/index.ts';
import { mediaEndpoint, type MediaEndpoint } from './media-endpoint.ts';
import { srtpSuite, type SrtpMasterKeyConfig, type SrtpSuiteName } from '../core/srtp/index.ts';
import { GatehouseError } from '../core/errors.ts';

export interface SdesLegPlan extends MediaEndpoint {
  readonly suite: SrtpSuiteName;
  readonly localKey: SrtpMasterKeyConfig;
  readonly remoteKey: SrtpMasterKeyConfig;
}

function split(keySalt: Uint8Array, keyLength: number, what: string): { masterKey: Uint8Array; masterSalt: Uint8Array } {
  const suiteLen = keySalt.length;
  if (suiteLen <= keyLength) throw new GatehouseError('protocol', 'SDES_KEY_LENGTH', `${what} key||salt is ${suiteLen} bytes, too short for the suite`, { sipStatus: 488 });
  return { masterKey: keySalt.subarray(0, keyLength), masterSalt: keySalt.subarray(keyLength) };
}

function lifetimeOf(l: bigint | null | undefined): number | undefined {
  return l === null || l === undefined ? undefined : Number(l > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : l);
}

/** RFC 4568 6.1 `MKI:length`: the value as `length` big-endian bytes in every packet. */
function mkiBytes(mki: { readonly value: bigint; readonly length: number } | null | undefined): Uint8Array | undefined {
  if (mki === null || mki === undefined) return undefined;
  const out = new Uint8Array(mki.length);
  let v = mki.value;
  for (let i = mki.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function sdesLegPlan(offer: SessionDescription, plan: MediaAnswerPlan, decision: MediaDecision): SdesLegPlan {
  const sel = decision.sdes;
  if (decision.keying !== 'sdes' || sel === null) throw new GatehouseError('internal', 'SDES_PLAN_NOT_SDES', `m-line ${plan.index} was not keyed by SDES`);
  const section = offer.media[plan.index];
  if (section === undefined) throw new GatehouseError('internal', 'SDES_PLAN_NO_SECTION', `offer has no m-line ${plan.index}`);
  const suite = srtpSuite(sel.suite.name);
  const remoteParam = sel.remote.keys[0];
  if (remoteParam === undefined) throw new GatehouseError('protocol', 'SDES_NO_KEY', 'the chosen a=crypto line has no key', { sipStatus: 488 });
  const localLifetime = lifetimeOf(sel.local.lifetime);
  const remoteLifetime = lifetimeOf(remoteParam.lifetime);
  const localMki = mkiBytes(sel.local.mki);
  const remoteMki = mkiBytes(remoteParam.mki);
  return {
    ...mediaEndpoint(offer, plan),
    suite: suite.name,
    localKey: {
      ...split(sel.local.keySalt, suite.keyLength, 'our'),
      ...(localLifetime === undefined ? {} : { lifetime: localLifetime }),
      ...(localMki === undefined ? {} : { mki: localMki }),
    },
    remoteKey: {
      ...split(remoteParam.keySalt, suite.keyLength, "the peer's"),
      ...(remoteLifetime === undefined ? {} : { lifetime: remoteLifetime }),
      ...(remoteMki === undefined ? {} : { mki: remoteMki }),
    },
  };
}
