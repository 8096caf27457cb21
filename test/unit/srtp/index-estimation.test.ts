/**
 * RFC 3711 Appendix A index estimation and s3.3.2 replay window, as tables.
 */
import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../../src/core/srtp/replay-window.ts';
import { estimateRoc } from '../../../src/core/srtp/roc.ts';

describe('RFC 3711 Appendix A: ROC estimate v from (ROC, s_l, SEQ)', () => {
  const table: [string, number, number, number, number][] = [
    ['in order, low half', 5, 100, 101, 5],
    ['late packet from before a wrap (s_l < 2^15, SEQ far above)', 5, 10, 65530, 4],
    ['just under the 2^15 distance stays in this ROC', 5, 10, 10 + 0x8000, 5],
    ['one past 2^15 below belongs to the previous ROC', 5, 10, 11 + 0x8000, 4],
    ['wrap forward (s_l >= 2^15, SEQ far below)', 5, 65530, 3, 6],
    ['in order, high half', 5, 40000, 40001, 5],
    ['reordered inside the high half', 5, 40000, 39000, 5],
    ['s_l - 2^15 == SEQ stays in this ROC', 5, 0x8000 + 100, 100, 5],
    ['ROC 0 never goes negative (libsrtp keeps ROC 0)', 0, 10, 65530, 0],
  ];
  it.each(table)('%s', (_name, roc, sl, seq, v) => {
    expect(estimateRoc(roc, sl, seq)).toBe(v);
  });
});

describe('RFC 3711 s3.3.2 replay window', () => {
  it('accepts new, rejects replays and too-old, slides without clearing', () => {
    const w = new ReplayWindow(64);
    expect(w.check(1000)).toBe('new');
    w.accept(1000);
    expect(w.check(1000)).toBe('replay');
    expect(w.check(999)).toBe('new');
    expect(w.check(1000 - 63)).toBe('new');
    expect(w.check(1000 - 64)).toBe('too-old');
    w.accept(990);
    expect(w.check(990)).toBe('replay');
    // the slot of 990 is reused by 1054 once the window moved past 990
    w.accept(1054);
    expect(w.check(990)).toBe('too-old');
    expect(w.check(1054)).toBe('replay');
    expect(w.check(1053)).toBe('new');
    expect(w.highest).toBe(1054);
  });

  it('handles 48-bit indices exactly', () => {
    const w = new ReplayWindow(128);
    const top = 2 ** 48 - 1;
    w.accept(top);
    expect(w.check(top)).toBe('replay');
    expect(w.check(top - 1)).toBe('new');
    expect(w.check(top - 128)).toBe('too-old');
  });
});
