import { fromTag, getCallId, getCSeq, toTag } from '../headers.ts';
import type { SipRequest } from '../message.ts';
import { serverTransactionKey } from '../transaction/matcher.ts';

/**
 * Merged-request detection (RFC 3261 8.2.2.2): a request without a To tag whose From tag,
 * Call-ID and CSeq match a request already being processed, but which is a different
 * transaction (it came by another path after forking), is answered 482 (Loop Detected).
 *
 * The table is plain data the caller keeps per instance: merge key -> {transaction key, time}.
 * Pure helpers return a new table; `pruneRecent` drops entries older than `maxAgeMs`
 * (64*T1 = 32 s covers a transaction's life).
 */
export type RecentRequests = ReadonlyMap<string, { readonly txKey: string; readonly at: number }>;

export function mergeKey(req: SipRequest): string {
  const c = getCSeq(req);
  return `${fromTag(req) ?? ''}|${getCallId(req)}|${String(c.seq)}|${c.method}`;
}

export function isMergedRequest(table: RecentRequests, req: SipRequest): boolean {
  if (toTag(req) !== null || req.method === 'ACK' || req.method === 'CANCEL') return false;
  const seen = table.get(mergeKey(req));
  return seen !== undefined && seen.txKey !== serverTransactionKey(req);
}

export function recordRequest(table: RecentRequests, req: SipRequest, now: number): RecentRequests {
  if (toTag(req) !== null || req.method === 'ACK' || req.method === 'CANCEL') return table;
  const key = mergeKey(req);
  if (table.has(key)) return table;
  const out = new Map(table);
  out.set(key, { txKey: serverTransactionKey(req), at: now });
  return out;
}

export function pruneRecent(table: RecentRequests, now: number, maxAgeMs = 32_000): RecentRequests {
  let out: Map<string, { txKey: string; at: number }> | null = null;
  for (const [k, v] of table) {
    if (now - v.at <= maxAgeMs) continue;
    out ??= new Map(table);
    out.delete(k);
  }
  return out ?? table;
}
