/**
 * The latching rules of docs/media-latching.md as a table over SourceLatch (time passed in, no
 * sockets): each case is a sequence of (time, source, authenticated?) steps with the expected
 * admit decision and verdict.
 */
import { describe, expect, it } from 'vitest';
import { SourceLatch } from '../../../src/adapters/media/source-latch.ts';
import type { LatchingOptions } from '../../../src/adapters/media/media-types.ts';

const SDP = ['10.0.0.5', 4000] as const;
const NAT = ['203.0.113.7', 61000] as const;
const EVIL = ['198.51.100.9', 5555] as const;

type Src = readonly [string, number];
interface Step {
  readonly t: number;
  readonly src: Src;
  readonly auth: boolean;
  readonly admit: 'current' | 'probe' | 'ignore';
  readonly verdict?: 'accept' | 'latched-first' | 'moved' | 'candidate';
  readonly dest?: Src;
}

function run(steps: readonly Step[], options: LatchingOptions = { relatchPackets: 3, relatchSilenceMs: 500 }): void {
  const latch = new SourceLatch(SDP[0], SDP[1], options);
  steps.forEach((s, i) => {
    const admit = latch.admit(s.src[0], s.src[1], s.t);
    expect(admit, `step ${i} admit`).toBe(s.admit);
    if (admit !== 'ignore' && s.auth) expect(latch.authenticated(s.src[0], s.src[1], s.t), `step ${i} verdict`).toBe(s.verdict);
    if (s.dest) expect([latch.address, latch.port], `step ${i} destination`).toEqual([...s.dest]);
  });
}

describe('SourceLatch (docs/media-latching.md)', () => {
  it('rule 3: unauthenticated packets from elsewhere never latch; the first authenticated one does', () => {
    run([
      { t: 0, src: EVIL, auth: false, admit: 'probe', dest: SDP },
      { t: 10, src: SDP, auth: false, admit: 'current', dest: SDP },
      { t: 20, src: NAT, auth: true, admit: 'probe', verdict: 'latched-first', dest: NAT },
      { t: 40, src: NAT, auth: true, admit: 'current', verdict: 'accept', dest: NAT },
    ]);
  });

  it('rule 3: an authenticated packet from the SDP address confirms it; later sources are candidates', () => {
    run([
      { t: 0, src: SDP, auth: true, admit: 'current', verdict: 'accept' },
      { t: 20, src: NAT, auth: true, admit: 'probe', verdict: 'candidate', dest: SDP },
    ]);
  });

  it('rule 4: N authentic packets are not enough while the current source still talks', () => {
    run([
      { t: 0, src: SDP, auth: true, admit: 'current', verdict: 'accept' },
      { t: 10, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 20, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 30, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 400, src: NAT, auth: true, admit: 'probe', verdict: 'candidate', dest: SDP }, // 4 packets, only 400 ms quiet
      { t: 520, src: NAT, auth: true, admit: 'probe', verdict: 'moved', dest: NAT }, // 520 ms quiet
      { t: 540, src: SDP, auth: true, admit: 'probe', verdict: 'candidate', dest: NAT }, // the old address is now the stranger
    ]);
  });

  it('rule 4: a packet from the current source resets the count; silence alone is not enough', () => {
    run([
      { t: 0, src: SDP, auth: true, admit: 'current', verdict: 'accept' },
      { t: 600, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 620, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 630, src: SDP, auth: true, admit: 'current', verdict: 'accept' },
      { t: 1200, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 1220, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 1240, src: NAT, auth: true, admit: 'probe', verdict: 'moved', dest: NAT },
    ]);
  });

  it('a different candidate address starts its own count', () => {
    run([
      { t: 0, src: SDP, auth: true, admit: 'current', verdict: 'accept' },
      { t: 600, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 610, src: NAT, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 620, src: EVIL, auth: true, admit: 'probe', verdict: 'candidate' },
      { t: 630, src: NAT, auth: true, admit: 'probe', verdict: 'candidate', dest: SDP },
    ]);
  });

  it('strict mode ignores every other address, authenticated or not', () => {
    run(
      [
        { t: 0, src: NAT, auth: true, admit: 'ignore', dest: SDP },
        { t: 10, src: SDP, auth: true, admit: 'current', verdict: 'accept' },
      ],
      { mode: 'strict' },
    );
  });

  it('probe budget: at most probesPerSecond crypto attempts per second for other addresses', () => {
    const latch = new SourceLatch(SDP[0], SDP[1], { probesPerSecond: 3 });
    const admits = [0, 1, 2, 3, 4, 999, 1000, 1001].map((t) => latch.admit(EVIL[0], EVIL[1], t));
    expect(admits).toEqual(['probe', 'probe', 'probe', 'ignore', 'ignore', 'ignore', 'probe', 'probe']);
    expect(latch.admit(SDP[0], SDP[1], 5)).toBe('current'); // the real peer is never rate limited
  });

  it('0.0.0.0 / port 0 in the SDP (RFC 3264 8.4 hold) means nowhere to send until a packet authenticates', () => {
    const latch = new SourceLatch('0.0.0.0', 0);
    expect(latch.canSend).toBe(false);
    expect(latch.authenticated(NAT[0], NAT[1], 0)).toBe('latched-first');
    expect(latch.canSend).toBe(true);
  });
});
