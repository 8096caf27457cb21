/**
 * SRTP metrics (issue 4). The core returns drop reasons; adapters that call protect/unprotect
 * count them here, so a flood of forged or replayed packets is visible per reason without any
 * log line per packet. Label values are closed sets (SrtpDropReason), never SSRCs or peers.
 */
import type { SrtpDropReason, SrtpResult } from '../core/srtp/result.ts';
import { counter } from './registry.ts';

export type SrtpDirection = 'protect' | 'unprotect';
export type SrtpProtocol = 'rtp' | 'rtcp';

export const srtpPackets = counter<'direction' | 'protocol'>(
  'gatehouse_srtp_packets_total',
  'SRTP/SRTCP packets successfully protected or unprotected',
  ['direction', 'protocol'],
);

export const srtpDropped = counter<'direction' | 'protocol' | 'reason'>(
  'gatehouse_srtp_dropped_total',
  'SRTP/SRTCP packets dropped, by reason (auth-failed, replay, too-old, truncated, ...)',
  ['direction', 'protocol', 'reason'],
);

/** Counts one result; returns it so a relay loop can write `if (!countSrtp(...).ok) continue`. */
export function countSrtp(result: SrtpResult, direction: SrtpDirection, protocol: SrtpProtocol): SrtpResult {
  if (result.ok) srtpPackets.inc({ direction, protocol });
  else srtpDropped.inc({ direction, protocol, reason: result.reason satisfies SrtpDropReason });
  return result;
}
