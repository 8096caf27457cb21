import { describe, expect, it } from 'vitest';
import { assignSlots, rankBySpeech } from '../../../src/core/rtp/video-slots.ts';

interface AssignCase {
  readonly name: string;
  readonly current: readonly (string | null)[];
  readonly ranked: readonly string[];
  readonly want: readonly (string | null)[];
}

// RFC 7667 3.7 selective forwarding: one outgoing stream per forwarded participant
const ASSIGN: readonly AssignCase[] = [
  { name: 'empty slots fill lowest-first in rank order', current: [null, null, null], ranked: ['b', 'c'], want: ['b', 'c', null] },
  { name: 'a participant still wanted keeps its slot', current: [null, 'c', null], ranked: ['b', 'c'], want: ['b', 'c', null] },
  { name: 'one who left frees its slot', current: ['b', 'c', null], ranked: ['c'], want: [null, 'c', null] },
  { name: 'a newcomer takes the lowest free slot (the one freed)', current: [null, 'c', null], ranked: ['c', 'd'], want: ['d', 'c', null] },
  { name: 'more others than slots: the K best ranked; the one falling out gives up its slot', current: ['b', 'c'], ranked: ['d', 'c', 'b'], want: ['d', 'c'] },
  { name: 'no slots: nothing assigned', current: [], ranked: ['b'], want: [] },
  { name: 'nobody else: every slot empty', current: ['b', null], ranked: [], want: [null, null] },
];

describe('assignSlots (video slots of a browser guest)', () => {
  for (const c of ASSIGN) {
    it(c.name, () => {
      expect(assignSlots(c.current, c.ranked)).toEqual(c.want);
    });
  }

  it('never puts one participant in two slots, and keeps every wanted one when there is room', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (let n = 0; n < 200; n++) {
      const slots = 1 + (n % 4);
      const current = Array.from({ length: slots }, (_, i) => ((n >> i) & 1 ? (ids[(n + i) % 5] ?? null) : null));
      const unique = current.map((id, i) => (id !== null && current.indexOf(id) === i ? id : null));
      const ranked = ids.filter((_, i) => ((n * 7) >> i) & 1);
      const out = assignSlots(unique, ranked);
      const placed = out.filter((x) => x !== null);
      expect(new Set(placed).size).toBe(placed.length);
      expect([...placed].sort()).toEqual(ranked.slice(0, slots).sort());
      out.forEach((id, i) => {
        if (id !== null && unique.includes(id)) expect(unique[i]).toBe(id); // kept where it was
      });
    }
  });
});

describe('rankBySpeech', () => {
  it('the active speaker first, then the most recent speakers, then join order', () => {
    const spoke = new Map([
      ['b', 100],
      ['c', 300],
      ['d', 200],
    ]);
    expect(rankBySpeech(['a', 'b', 'c', 'd', 'e'], 'b', spoke)).toEqual(['b', 'c', 'd', 'a', 'e']);
    expect(rankBySpeech(['a', 'b', 'c', 'd', 'e'], null, spoke)).toEqual(['c', 'd', 'b', 'a', 'e']);
    expect(rankBySpeech(['e', 'a'], null, new Map())).toEqual(['e', 'a']);
  });
});
