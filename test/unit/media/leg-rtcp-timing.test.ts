/**
 * RFC 3550 6.2/6.3.5: the first RTCP report comes after half the minimum interval, randomised
 * to 0.5-1.5 times that like every later interval, so legs set up together do not all report
 * in the same housekeeping tick.
 */
import { describe, expect, it } from 'vitest';
import { LegRtcp } from '../../../src/adapters/media/leg-rtcp.ts';

describe('LegRtcp first report (RFC 3550 6.2 initial delay, 6.3.5 randomisation)', () => {
  it('legs created at the same moment report first within [0.25, 0.75] x interval, not all at once', () => {
    const interval = 5000;
    const legs = Array.from({ length: 200 }, (_, i) => new LegRtcp(0x1000 + i, 8000, 0, interval));
    expect(legs.filter((l) => l.due(0.25 * interval - 1))).toEqual([]);
    expect(legs.every((l) => l.due(0.75 * interval))).toBe(true);
    // at the old fixed half interval, some are due and some are not yet
    const dueAtHalf = legs.filter((l) => l.due(0.5 * interval)).length;
    expect(dueAtHalf).toBeGreaterThan(0);
    expect(dueAtHalf).toBeLessThan(legs.length);
  });
});
