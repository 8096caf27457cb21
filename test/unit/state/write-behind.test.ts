import { describe, expect, it } from 'vitest';
import { WriteBehind } from '../../../src/adapters/state/write-behind.ts';
import type { PendingWrite } from '../../../src/adapters/state/write-behind.ts';

const put = (id: string, text: string, expect: PendingWrite['expect']): PendingWrite => ({ op: 'put', kind: 'call', id, text, ownership: { owner: 'a', epoch: 1 }, expect });
const rm = (id: string, expect: number | 'any'): PendingWrite => ({ op: 'remove', kind: 'call', id, expect, fence: { owner: 'a', epoch: 1 } });

describe('write-behind buffer merge rules', () => {
  const table: { name: string; writes: PendingWrite[]; result: Partial<PendingWrite> & { op: string } }[] = [
    { name: 'put then put keeps the first revision expectation, latest value', writes: [put('c', 'v1', 4), put('c', 'v2', 4)], result: { op: 'put', text: 'v2', expect: 4 } },
    { name: 'create then put stays a create', writes: [put('c', 'v1', 'absent'), put('c', 'v2', 1)], result: { op: 'put', text: 'v2', expect: 'absent' } },
    { name: 'any then numbered put takes the later expectation', writes: [put('c', 'v1', 'any'), put('c', 'v2', 3)], result: { op: 'put', text: 'v2', expect: 3 } },
    { name: 'put then remove removes at the first expectation', writes: [put('c', 'v1', 4), rm('c', 4)], result: { op: 'remove', expect: 4 } },
    { name: 'create then remove removes whatever is there (fenced)', writes: [put('c', 'v1', 'absent'), rm('c', 1)], result: { op: 'remove', expect: 'any' } },
    { name: 'remove then put overwrites at the remove expectation', writes: [rm('c', 2), put('c', 'v3', 'absent')], result: { op: 'put', text: 'v3', expect: 2 } },
  ];
  for (const row of table) {
    it(row.name, () => {
      const wb = new WriteBehind();
      for (const w of row.writes) wb.add(w);
      expect(wb.size).toBe(1);
      expect(wb.get('call', 'c')).toMatchObject(row.result);
    });
  }

  it('keeps first-failure order across records and settles only the entry that was sent', () => {
    const wb = new WriteBehind();
    const a = wb.add(put('a', 'x', 'any'));
    wb.add(put('b', 'x', 'any'));
    const a2 = wb.add(put('a', 'y', 'any'));
    expect(wb.entries().map((w) => w.id)).toEqual(['a', 'b']);
    wb.settle(a); // replaced meanwhile: stays
    expect(wb.get('call', 'a')).toBe(a2);
    wb.settle(a2);
    expect(wb.entries().map((w) => w.id)).toEqual(['b']);
  });
});
