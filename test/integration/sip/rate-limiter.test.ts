import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from '../../../src/adapters/sip-net/rate-limiter.ts';
import type { RateLimitConfig } from '../../../src/adapters/sip-net/rate-limiter.ts';

const cfg: RateLimitConfig = { ratePerSecond: 10, burst: 3, rejectsPerSecond: 1, rejectBurst: 2, maxSources: 100 };

function actions(l: SourceRateLimiter, source: string, times: number[]): string[] {
  return times.map((t) => l.check(source, t).action);
}

describe('SourceRateLimiter (token buckets, time passed in)', () => {
  it('allows the burst, then 503s within the reject budget, then drops silently', () => {
    const l = new SourceRateLimiter(cfg);
    expect(actions(l, '192.0.2.1', [0, 0, 0, 0, 0, 0, 0])).toEqual(['allow', 'allow', 'allow', 'reject', 'reject', 'drop', 'drop']);
  });

  it('refills at the configured rate', () => {
    const l = new SourceRateLimiter(cfg);
    actions(l, 's', [0, 0, 0]);
    expect(l.check('s', 50).action).toBe('reject'); // half a token back
    expect(l.check('s', 100).action).toBe('allow'); // 10/s: one token per 100 ms
    expect(l.check('s', 100).action).toBe('reject');
  });

  it('gives Retry-After in whole seconds, at least 1 (RFC 3261 20.33)', () => {
    const slow = new SourceRateLimiter({ ...cfg, ratePerSecond: 0.2, burst: 1 });
    slow.check('s', 0);
    const v = slow.check('s', 0);
    expect(v).toEqual({ action: 'reject', retryAfterSeconds: 5 });
    const fast = new SourceRateLimiter(cfg);
    actions(fast, 's', [0, 0, 0]);
    expect(fast.check('s', 0)).toEqual({ action: 'reject', retryAfterSeconds: 1 });
  });

  it('keeps sources independent', () => {
    const l = new SourceRateLimiter(cfg);
    actions(l, 'a', [0, 0, 0, 0, 0, 0]);
    expect(l.check('a', 0).action).toBe('drop');
    expect(l.check('b', 0).action).toBe('allow');
  });

  it('recovers after the flood stops', () => {
    const l = new SourceRateLimiter(cfg);
    // 10,000 requests/s against 10/s for one second
    for (let i = 0; i < 10_000; i++) l.check('s', i / 10);
    expect(l.check('s', 1000).action).toBe('drop');
    expect(l.check('s', 4000).action).toBe('allow');
  });

  it('tolerates a clock that goes backwards (never mints tokens)', () => {
    const l = new SourceRateLimiter(cfg);
    actions(l, 's', [1000, 1000, 1000]);
    expect(l.check('s', 0).action).toBe('reject');
  });

  it('bounds memory: the least recently seen source is forgotten first', () => {
    const l = new SourceRateLimiter({ ...cfg, maxSources: 2 });
    actions(l, 'a', [0, 0, 0, 0, 0, 0]);
    l.check('b', 0);
    l.check('a', 0); // a becomes most recent
    l.check('c', 0); // evicts b
    expect(l.trackedSources).toBe(2);
    expect(l.check('a', 0).action).toBe('drop'); // a was kept with its empty buckets
  });

  it('rejects nonsense configuration', () => {
    expect(() => new SourceRateLimiter({ ...cfg, ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new SourceRateLimiter({ ...cfg, maxSources: 0 })).toThrow(RangeError);
  });
});
