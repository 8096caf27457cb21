/**
 * Process readiness as /readyz reports it (issue 2): not ready while starting or draining, so a
 * load balancer or orchestrator stops sending new calls before the process goes away.
 * Transitions only move forward: starting -> ready -> draining -> stopped.
 */
export type Phase = 'starting' | 'ready' | 'draining' | 'stopped';

const ORDER: readonly Phase[] = ['starting', 'ready', 'draining', 'stopped'];

export class Readiness {
  #phase: Phase = 'starting';

  get phase(): Phase {
    return this.#phase;
  }

  get ready(): boolean {
    return this.#phase === 'ready';
  }

  /** Moves forward to `next`; moving backwards is ignored (a drain is never undone). */
  advance(next: Phase): boolean {
    if (ORDER.indexOf(next) <= ORDER.indexOf(this.#phase)) return false;
    this.#phase = next;
    return true;
  }
}
