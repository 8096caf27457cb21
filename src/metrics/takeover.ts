/**
 * Takeover metrics (issue 7): heartbeats, lease, orphan scans, claims, adoptions, fencing
 * checks and drain hand-overs. Counted by src/app/instance-lifecycle.ts and
 * src/app/drain-migration.ts; labels never carry call ids, instance ids or keys.
 */
import { counter, gauge, histogram } from './registry.ts';

/** Heartbeats sent by this instance, by outcome (ok / unavailable / error). */
export const takeoverHeartbeats = counter('gatehouse_takeover_heartbeats_total', 'Instance heartbeats to the state store, by outcome', ['outcome']);

/** Times this instance's lease lapsed (store unreachable longer than the TTL), by what it did
 * with its calls (state.on_lease_loss: continue = kept unconfirmed, release = dropped). */
export const takeoverLeaseLost = counter('gatehouse_takeover_lease_lost_total', 'Lease lapses: the store was unreachable for a whole TTL; calls kept unconfirmed (continue) or dropped (release)', ['action']);

/** Calls running unconfirmed right now (lease lapsed, state.on_lease_loss continue). */
export const takeoverUnconfirmedCalls = gauge('gatehouse_takeover_unconfirmed_calls', 'Calls kept running while this instance cannot confirm it still owns them');

/**
 * Call records re-synced with the store after it came back, by case (unconfirmed: the lease
 * had lapsed; reconnect: it had not) and outcome: confirmed (still ours), restored (the store
 * had lost it: written back), present (reconnect, nothing to do), claimed (another instance
 * owns it: released without signalling), gone (no record and none to restore: released),
 * unknown (reconnect, no record remembered), unavailable (store lost again: retried later), error.
 */
export const takeoverResyncs = counter('gatehouse_takeover_resync_total', 'Call records checked against the store after it came back, by case and outcome', ['case', 'outcome']);

/** 1 while the lease is valid, 0 after it lapsed until the next successful heartbeat. */
export const takeoverLeaseValid = gauge('gatehouse_takeover_lease_valid', 'Whether this instance holds a valid heartbeat lease (1) or not (0)');

/** Orphan/inbox scans, by kind (orphans / inbox) and outcome (ok / unavailable / error / skipped). */
export const takeoverScans = counter('gatehouse_takeover_scans_total', 'Scans of the state store for calls to adopt, by kind and outcome', ['kind', 'outcome']);

/** Claims attempted, by why (orphan / inbox / handover) and outcome (won / lost / missing / owner-alive / error). */
export const takeoverClaims = counter('gatehouse_takeover_claims_total', 'Call claims, by reason and outcome', ['reason', 'outcome']);

/** Adoptions after a won claim, by outcome (ok / failed). */
export const takeoverAdoptions = counter('gatehouse_takeover_adoptions_total', 'Adopted calls handed to the call layer, by outcome', ['outcome']);

/** Claim won -> adopt callback settled (fresh media bound and re-INVITE answered). */
export const takeoverAdoptSeconds = histogram('gatehouse_takeover_adopt_seconds', 'Time from a won claim until the adopt callback settled', [], [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10]);

/** Claims queued or running right now. */
export const takeoverAdoptsInFlight = gauge('gatehouse_takeover_adopts_in_flight', 'Claims and adoptions queued or running');

/** Fencing checks before acting on a dialog, by verdict (owner / unconfirmed / lost / gone) and source (store / lease). */
export const takeoverFenceChecks = counter('gatehouse_takeover_fence_checks_total', 'Ownership checks before sending on a dialog, by verdict and source', ['verdict', 'source']);

/** Drain hand-overs of live calls to other instances, by outcome (handed / lost / missing / no-target / error). */
export const takeoverHandovers = counter('gatehouse_takeover_handovers_total', 'Calls handed over to another instance while draining, by outcome', ['outcome']);
