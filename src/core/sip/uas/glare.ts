/**
 * re-INVITE glare (RFC 3261 14). Inputs are what the dialog layer knows about INVITE
 * transactions in progress on the dialog.
 */
export type ReinviteVerdict =
  | { readonly kind: 'accept' }
  /** 14.2: our own INVITE on this dialog is in progress. */
  | { readonly kind: 'reject'; readonly status: 491; readonly reason: 'Request Pending' }
  /** 14.2: we have not answered their previous INVITE yet; Retry-After 0-10 s. */
  | { readonly kind: 'reject'; readonly status: 500; readonly reason: string; readonly retryAfter: number };

export function checkIncomingReinvite(p: { readonly outgoingInvitePending: boolean; readonly incomingInvitePending: boolean }, random01: number): ReinviteVerdict {
  if (p.outgoingInvitePending) return { kind: 'reject', status: 491, reason: 'Request Pending' };
  if (p.incomingInvitePending) return { kind: 'reject', status: 500, reason: 'Server Internal Error - previous INVITE pending', retryAfter: Math.floor(clamp01(random01) * 10) };
  return { kind: 'accept' };
}

/**
 * 14.1: after a 491 the UAC retries after T: 2.1-4 s if it owns the Call-ID (created the dialog
 * as UAC), else 0-2 s, in units of 10 ms. `random01` in [0, 1).
 */
export function glareRetryDelayMs(ownsCallId: boolean, random01: number): number {
  const r = clamp01(random01);
  return ownsCallId ? 2100 + Math.floor(r * 191) * 10 : Math.floor(r * 201) * 10;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 0.999_999) : 0;
}
