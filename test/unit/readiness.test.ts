import { describe, expect, it } from 'vitest';
import { Readiness, type Phase } from '../../src/app/readiness.ts';

describe('Readiness (issue 2: /readyz false while starting or draining)', () => {
  const table: ReadonlyArray<readonly [Phase[], Phase, boolean]> = [
    [[], 'starting', false],
    [['ready'], 'ready', true],
    [['ready', 'draining'], 'draining', false],
    [['ready', 'draining', 'ready'], 'draining', false], // a drain is never undone
    [['ready', 'stopped', 'draining'], 'stopped', false],
  ];
  for (const [steps, phase, ready] of table) {
    it(`${steps.join(' -> ') || '(new)'} => ${phase}`, () => {
      const r = new Readiness();
      for (const s of steps) r.advance(s);
      expect(r.phase).toBe(phase);
      expect(r.ready).toBe(ready);
    });
  }
});
