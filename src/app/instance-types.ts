/**
 * Types of the instance lifecycle (src/app/instance-lifecycle.ts): its options, events and the
 * fencing verdict the call layer acts on. Kept apart so the lifecycle file stays about
 * behaviour; src/app/instance-lifecycle.ts re-exports them.
 */
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import type { InstanceRecord } from '../core/call/instance-record.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { InstanceRegistry, StateStore } from '../ports/state-store.ts';
import type { TimerDriver } from './instance-lease.ts';
import type { CallRecordSource } from './instance-record-cache.ts';
import type { AdoptOutcome, AdoptReason } from './takeover-adoption.ts';

/** What other instances see of us, apart from id, draining and timing (filled in here). */
export interface InstanceDescription {
  readonly addresses: InstanceRecord['addresses'];
  readonly capacity: InstanceRecord['capacity'];
  /** Default: the calls this lifecycle tracks. */
  readonly load?: InstanceRecord['load'];
}

/** state.on_lease_loss: what a lapsed lease does to the calls in progress (see above). */
export type LeaseLossAction = 'continue' | 'release';

export interface LeaseLost {
  /** The calls concerned, with the epoch held here. */
  readonly calls: readonly { readonly callId: string; readonly epoch: number }[];
  /** Monotonic time the lapsed lease was last renewed (null: never renewed). */
  readonly lastRenewedAt: number | null;
  readonly ttlMs: number;
}

/** Calls to release here without sending anything on their dialogs. */
export interface CallsLost {
  readonly calls: readonly { readonly callId: string; readonly epoch: number; readonly cause: 'claimed' | 'gone' }[];
}

export interface InstanceLifecycleEvents {
  /** 'release': release these calls' media, send nothing on their dialogs. */
  'lease-lost': [LeaseLost];
  /** 'continue': these calls keep their media but are unconfirmed (send nothing). */
  'calls-unconfirmed': [LeaseLost];
  /** After a lapse ('continue'): the store says these are not ours (any more): release silently. */
  'calls-lost': [CallsLost];
  /** After a lapse ('continue'): the store says these are still ours (re-stored if it lost them). */
  'calls-confirmed': [{ readonly calls: readonly { readonly callId: string; readonly epoch: number; readonly restored: boolean }[] }];
  /** A heartbeat succeeded after a lapse: the instance may run and adopt calls again. */
  'lease-renewed': [];
  adopted: [{ readonly callId: string; readonly ownership: CallOwnership; readonly reason: AdoptReason; readonly outcome: AdoptOutcome }];
  /** adopt() threw: the call is ours in the store but not running; adopt should have ended it. */
  'adopt-failed': [{ readonly callId: string; readonly ownership: CallOwnership; readonly reason: AdoptReason; readonly error: unknown }];
}

/**
 * `stillOwn` verdict: act on the dialog only for 'owner'. 'unconfirmed': keep the media, send
 * nothing, answer the peer's requests with 500/503 + Retry-After; the store decides later.
 * 'lost' and 'gone': release the media, send nothing.
 */
export type OwnershipCheck =
  | { readonly kind: 'owner'; readonly source: 'store' | 'lease' }
  | { readonly kind: 'unconfirmed'; readonly since: number | null }
  | { readonly kind: 'lost'; readonly current: CallOwnership | null; readonly reason: 'claimed' | 'lease-lapsed' }
  | { readonly kind: 'gone' };

export interface InstanceLifecycleOptions {
  readonly instanceId: string;
  readonly store: StateStore;
  readonly registry: InstanceRegistry;
  /** Monotonic time for the lease. */
  readonly clock: Clock;
  /** Wall time for `heartbeatAt`. */
  readonly wallclock: () => number;
  readonly describe: () => InstanceDescription;
  /** Continue a call this instance just won: bind fresh media, re-INVITE. Must end the call
   * (BYE if possible, remove the record) itself when it cannot continue it, then throw. */
  readonly adopt: (record: CallRecord, ownership: CallOwnership) => Promise<AdoptOutcome | void>;
  /** What a lapsed lease does to the calls (state.on_lease_loss); default 'continue'. */
  readonly onLeaseLoss?: LeaseLossAction;
  /** The last record written per call (src/app/instance-record-cache.ts), for re-sync. */
  readonly records?: CallRecordSource;
  readonly timers?: TimerDriver;
  /** [0, 1) for jitter and shuffling; default Math.random. */
  readonly random?: () => number;
  /** Default 1000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Default 3 x heartbeatIntervalMs; must exceed heartbeatIntervalMs + leaseMarginMs. */
  readonly ttlMs?: number;
  /** Default heartbeatIntervalMs. */
  readonly scanIntervalMs?: number;
  /** Scan delay varies by +/- scanJitter/2 of the interval; 0..1, default 0.5. */
  readonly scanJitter?: number;
  /** Default 10% of ttlMs. */
  readonly leaseMarginMs?: number;
  /** Claims + adoptions running at once; default 8. */
  readonly adoptConcurrency?: number;
  /** Orphans are claimed only while this is true (capacity); default always. */
  readonly canAdopt?: () => boolean;
  /** Orphans of a room are claimed only when this says the room is ours to continue (its home,
   * RoomHomes); default: every room. */
  readonly roomGate?: (roomId: string) => Promise<boolean>;
  readonly logger?: Logger;
}
