import { describe, expect, it } from 'vitest';
import { VideoSwitch } from '../../../src/core/rtp/video-switch.ts';

type Step =
  | readonly ['want', string | null, number, 'request' | 'none']
  | readonly ['packet', string, boolean, number, 'forward' | 'switch' | 'drop']
  | readonly ['due', number, string | null]
  | readonly ['forget', string];

/** Each case: the steps in order, then current and pending at the end (RFC 7667 3.5 switching). */
const TABLE: readonly (readonly [string, readonly Step[], string | null, string | null])[] = [
  ['first source is taken at once, with a key frame request', [['want', 'A', 0, 'request'], ['packet', 'A', false, 1, 'forward'], ['packet', 'B', true, 2, 'drop']], 'A', null],
  [
    'a new source waits for its key frame; the old one is forwarded until then',
    [['want', 'A', 0, 'request'], ['want', 'B', 10, 'request'], ['packet', 'A', false, 11, 'forward'], ['packet', 'B', false, 12, 'drop'], ['packet', 'B', true, 13, 'switch'], ['packet', 'A', false, 14, 'drop'], ['packet', 'B', false, 15, 'forward']],
    'B',
    null,
  ],
  ['wanting the current source again cancels a pending switch', [['want', 'A', 0, 'request'], ['want', 'B', 10, 'request'], ['want', 'A', 20, 'none'], ['packet', 'B', true, 21, 'drop']], 'A', null],
  ['wanting the pending source again asks nothing new', [['want', 'A', 0, 'request'], ['want', 'B', 10, 'request'], ['want', 'B', 20, 'none']], 'A', 'B'],
  ['a pending source that never sends a key frame is taken after maxWaitMs (3000)', [['want', 'A', 0, 'request'], ['want', 'B', 10, 'request'], ['packet', 'B', false, 3009, 'drop'], ['packet', 'B', false, 3010, 'switch']], 'B', null],
  ['the current source left: the pending one is taken at its next packet', [['want', 'A', 0, 'request'], ['want', 'B', 10, 'request'], ['forget', 'A'], ['packet', 'B', false, 11, 'switch']], 'B', null],
  ['key frame requests to a pending source repeat every retryMs (500)', [['want', 'A', 0, 'request'], ['want', 'B', 100, 'request'], ['due', 599, null], ['due', 600, 'B'], ['due', 700, null], ['due', 1100, 'B']], 'A', 'B'],
  ['nothing is due once the current source sent a key frame', [['want', 'A', 0, 'request'], ['packet', 'A', true, 1, 'forward'], ['due', 10_000, null]], 'A', null],
  [
    'the first source is asked again until its first key frame, for at most maxWaitMs',
    [['want', 'A', 0, 'request'], ['packet', 'A', false, 1, 'forward'], ['due', 499, null], ['due', 500, 'A'], ['due', 2999, 'A'], ['due', 3500, null]],
    'A',
    null,
  ],
  ['a switch taken without a key frame (maxWaitMs) keeps asking', [['want', 'A', 0, 'request'], ['packet', 'A', true, 1, 'forward'], ['want', 'B', 10, 'request'], ['packet', 'B', false, 3010, 'switch'], ['due', 3600, 'B']], 'B', null],
  ['want(null): nothing forwarded', [['want', 'A', 0, 'request'], ['want', null, 5, 'none'], ['packet', 'A', true, 6, 'drop']], null, null],
];

describe('VideoSwitch: one receiver, seamless source switch at a key frame', () => {
  it('says which packets to inspect for a key frame: the pending source, and the current one until its first', () => {
    const s = new VideoSwitch<string>();
    s.want('A', 0);
    expect([s.wantsKeyFrame('A'), s.wantsKeyFrame('B')]).toEqual([true, false]);
    s.onPacket('A', true, 1);
    expect(s.wantsKeyFrame('A')).toBe(false);
    s.want('B', 2);
    expect([s.wantsKeyFrame('A'), s.wantsKeyFrame('B')]).toEqual([false, true]);
  });

  for (const [name, steps, current, pending] of TABLE) {
    it(name, () => {
      const s = new VideoSwitch<string>();
      for (const step of steps) {
        if (step[0] === 'want') expect(s.want(step[1], step[2]), JSON.stringify(step)).toBe(step[3]);
        else if (step[0] === 'packet') expect(s.onPacket(step[1], step[2], step[3]), JSON.stringify(step)).toBe(step[4]);
        else if (step[0] === 'due') expect(s.due(step[1]), JSON.stringify(step)).toBe(step[2]);
        else s.forget(step[1]);
      }
      expect(s.current).toBe(current);
      expect(s.pending).toBe(pending);
    });
  }
});
