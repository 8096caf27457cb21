/**
 * State store metrics (issue 7). Adapters in src/adapters/state count here; labels never carry
 * call ids or keys.
 */
import { counter, gauge } from './registry.ts';

/** Every store operation by adapter, operation and outcome (ok/hit/miss/conflict/fenced/won/lost/...). */
export const stateOps = counter('gatehouse_state_operations_total', 'State store operations by adapter, operation and outcome', [
  'store',
  'op',
  'outcome',
]);

/** Operations refused fast because the store was unreachable. */
export const stateUnavailable = counter('gatehouse_state_unavailable_total', 'State operations failed fast: store unreachable', ['op']);

/** Writes held locally while the store is unreachable, waiting for resync. */
export const stateWriteBehindPending = gauge('gatehouse_state_write_behind_pending', 'Writes buffered while the state store is unreachable', ['store']);

/** Outcome of each buffered write when flushed after the store came back. */
export const stateResyncWrites = counter('gatehouse_state_resync_writes_total', 'Buffered writes flushed after reconnect, by outcome', ['outcome']);

/** Data keys re-wrapped under the active key id by `gatehouse keys rotate`. */
export const stateRewrapped = counter('gatehouse_state_rewrapped_total', 'Records re-wrapped by key rotation, by outcome', ['outcome']);
