import { describe, expect, it } from 'vitest';
import { ActiveSpeakerDetector } from '../../../src/core/mix/active-speaker.ts';

/** Runs 20 ms ticks from `from` to `to` with the given levels; returns the speaker after each tick. */
function run(d: ActiveSpeakerDetector<string>, from: number, to: number, levels: Record<string, number>): (string | null)[] {
  const out: (string | null)[] = [];
  for (let t = from; t < to; t += 20) {
    for (const [id, l] of Object.entries(levels)) d.update(id, l, t);
    out.push(d.speaker(t));
  }
  return out;
}

describe('active speaker detector', () => {
  it('nobody is the speaker while everyone is below the threshold', () => {
    const d = new ActiveSpeakerDetector<string>({ thresholdDbov: -50 });
    expect(run(d, 0, 1000, { a: -70, b: -60 }).every((s) => s === null)).toBe(true);
  });

  it('the first voice above the threshold becomes the speaker once its smoothed level crosses it', () => {
    const d = new ActiveSpeakerDetector<string>({ thresholdDbov: -50 });
    run(d, 0, 200, { a: -90, b: -90 });
    const seq = run(d, 200, 1000, { a: -20, b: -90 });
    expect(seq.at(-1)).toBe('a');
  });

  it('hysteresis: a slightly louder participant does not take over', () => {
    const d = new ActiveSpeakerDetector<string>({ hysteresisDb: 6, holdMs: 300 });
    run(d, 0, 1000, { a: -20, b: -90 });
    const seq = run(d, 1000, 5000, { a: -20, b: -16 }); // b only 4 dB louder
    expect(seq.every((s) => s === 'a')).toBe(true);
  });

  it('hold time: a clearly louder participant takes over only after holdMs, short bursts do not', () => {
    const d = new ActiveSpeakerDetector<string>({ hysteresisDb: 6, holdMs: 400, smoothingMs: 20 });
    run(d, 0, 1000, { a: -20, b: -90 });
    // 200 ms burst from b while a is quiet-ish: not long enough
    expect(run(d, 1000, 1200, { a: -40, b: -10 }).every((s) => s === 'a')).toBe(true);
    run(d, 1200, 1600, { a: -40, b: -90 });
    // sustained: switches after ~400 ms
    const seq = run(d, 1600, 2600, { a: -40, b: -10 });
    const firstB = seq.indexOf('b');
    expect(firstB).toBeGreaterThanOrEqual(400 / 20 - 1);
    expect(firstB).toBeLessThanOrEqual(700 / 20);
    expect(seq.at(-1)).toBe('b');
  });

  it('the last speaker stays through silence; leaving clears it', () => {
    const d = new ActiveSpeakerDetector<string>({ staleMs: 200 });
    run(d, 0, 1000, { a: -20 });
    expect(run(d, 1000, 3000, { a: -127 }).at(-1)).toBe('a');
    expect(d.speaker(10_000)).toBe('a'); // stale levels, still the last speaker
    d.remove('a');
    expect(d.speaker(10_020)).toBeNull();
  });

  it('a participant with no level updates is treated as silent after staleMs', () => {
    const d = new ActiveSpeakerDetector<string>({ staleMs: 200 });
    d.update('a', -10, 0);
    expect(d.level('a', 100)).toBeCloseTo(-10, 5);
    expect(d.level('a', 500)).toBe(-127);
    expect(d.level('nobody', 0)).toBe(-127);
  });
});
