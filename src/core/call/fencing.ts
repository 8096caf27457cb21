import type { CallOwnership } from './call-record.ts';

/**
 * Epoch fencing (DESIGN.md "State and takeover"). An instance acts on a call only while the
 * store still says (owner = me, epoch = the epoch I hold). Anything else means another instance
 * claimed it: the caller releases its media sockets and sends NOTHING on that dialog, because
 * the new owner already continues it (a BYE from us would kill the call for everyone).
 */
export type FenceVerdict =
  | { readonly kind: 'owner' }
  /** Someone else owns it now, or the epoch moved on (claimed and maybe claimed back). */
  | { readonly kind: 'lost'; readonly current: CallOwnership }
  /** The call no longer exists in the store (ended by its owner). */
  | { readonly kind: 'gone' };

export function fenceVerdict(current: CallOwnership | null, mine: CallOwnership): FenceVerdict {
  if (current === null) return { kind: 'gone' };
  if (current.owner === mine.owner && current.epoch === mine.epoch) return { kind: 'owner' };
  return { kind: 'lost', current: { owner: current.owner, epoch: current.epoch } };
}

/**
 * Self-fencing when the store is unreachable: once our own heartbeat has been unrenewed for
 * a full TTL, survivors may already have claimed our calls, so we must behave as if we lost
 * them even though we cannot read the store. `lastRenewedAt` and `now` are on the same clock.
 */
export function leaseLapsed(lastRenewedAt: number, ttlMs: number, now: number): boolean {
  return now - lastRenewedAt >= ttlMs;
}
