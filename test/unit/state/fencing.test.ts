import { describe, expect, it } from 'vitest';
import { fenceVerdict, leaseLapsed } from '../../../src/core/call/fencing.ts';

describe('epoch fencing verdicts', () => {
  const mine = { owner: 'a', epoch: 3 };
  const table = [
    { current: { owner: 'a', epoch: 3 }, verdict: { kind: 'owner' } },
    { current: { owner: 'b', epoch: 4 }, verdict: { kind: 'lost', current: { owner: 'b', epoch: 4 } } },
    { current: { owner: 'a', epoch: 5 }, verdict: { kind: 'lost', current: { owner: 'a', epoch: 5 } } },
    { current: { owner: 'b', epoch: 3 }, verdict: { kind: 'lost', current: { owner: 'b', epoch: 3 } } },
    { current: null, verdict: { kind: 'gone' } },
  ];
  for (const row of table) {
    it(`store ${JSON.stringify(row.current)} vs mine a@3 -> ${row.verdict.kind}`, () => {
      expect(fenceVerdict(row.current, mine)).toEqual(row.verdict);
    });
  }
  it('lease lapses after a full TTL without renewal', () => {
    expect(leaseLapsed(1000, 300, 1299)).toBe(false);
    expect(leaseLapsed(1000, 300, 1300)).toBe(true);
  });
});
