/**
 * A long call: > 70,000 packets per suite, two sequence-number wraps (ROC 0 -> 2), delivered
 * with jitter reordering, duplicates and a few hopelessly late packets (RFC 3711 s3.3.1 index
 * estimation and Appendix A; s3.3.2 replay list).
 */
import { describe, expect, it } from 'vitest';
import { SRTP_SUITE_NAMES } from '../../../src/core/srtp/index.ts';
import { bytes, bytesOf, pair, rng, rtp } from './helpers.ts';

const PACKETS = 75_000;
const FIRST_SEQ = 60_000; // wraps at packet 5,536 and 71,072

describe('long call', () => {
  it.each(SRTP_SUITE_NAMES.map((s) => [s]))('%s: 75,000 packets over two wraps with reordering, duplicates and late packets', (suite) => {
    const { tx, rx } = pair(suite);
    const random = rng(42);
    const payload = bytes(160, 7);
    const ssrc = 0x1234abcd;
    const sent: Buffer[] = [];
    for (let i = 0; i < PACKETS; i++) {
      payload.writeUInt32BE(i, 0); // every payload distinct, so a wrong ROC guess cannot pass
      sent.push(bytesOf(tx.protectRtp(rtp(FIRST_SEQ + i, ssrc, payload))));
    }
    // delivery order: shuffle inside windows of 16, then add duplicates and late stragglers
    const order: number[] = [];
    for (let base = 0; base < PACKETS; base += 16) {
      const block = Array.from({ length: Math.min(16, PACKETS - base) }, (_, j) => base + j);
      for (let j = block.length - 1; j > 0; j--) {
        const k = Math.floor(random() * (j + 1));
        [block[j], block[k]] = [block[k] as number, block[j] as number];
      }
      order.push(...block);
    }
    const late = new Set<number>();
    const deliveries: { i: number; expect: 'ok' | 'replay' | 'too-old' }[] = [];
    const seen = new Set<number>();
    for (let n = 0; n < order.length; n++) {
      const i = order[n] as number;
      if (i > 0 && i % 5000 === 0) {
        late.add(i); // held back and delivered 300 packets later: beyond the 128 window
        continue;
      }
      deliveries.push({ i, expect: 'ok' });
      seen.add(i);
      if (n % 997 === 0) deliveries.push({ i, expect: 'replay' });
      const lateOne = order[n - 300];
      if (lateOne !== undefined && late.has(lateOne)) deliveries.push({ i: lateOne, expect: 'too-old' });
    }
    const counts = { ok: 0, replay: 0, 'too-old': 0 };
    for (const d of deliveries) {
      const r = rx.unprotectRtp(sent[d.i] as Buffer);
      const got = r.ok ? 'ok' : r.reason;
      if (got !== d.expect) throw new Error(`packet ${d.i} (seq ${(FIRST_SEQ + d.i) % 65536}): expected ${d.expect}, got ${got}`);
      if (r.ok) expect(r.out.readUInt32BE(12)).toBe(d.i);
      counts[d.expect]++;
    }
    expect(counts.ok).toBe(PACKETS - late.size);
    expect(counts.replay).toBeGreaterThan(50);
    expect(counts['too-old']).toBe(late.size);
    expect(seen.size).toBe(PACKETS - late.size);
  });
});
