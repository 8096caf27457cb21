/**
 * Per-source request rate limiting as a pure class: every call takes `now` (ms, monotonic),
 * so tests drive it with plain numbers and the adapter passes its clock.
 *
 * Two token buckets per source address:
 * - the request bucket (`ratePerSecond`, `burst`): a request that finds a token is allowed;
 * - the reject bucket (`rejectsPerSecond`, `rejectBurst`): a request over the rate that finds
 *   a token here is answered 503 with Retry-After (RFC 3261 section 21.5.4), so a
 *   well-behaved peer backs off; when this bucket is empty too the source is flooding and
 *   requests are dropped silently, so the flood cannot turn us into a response amplifier.
 *
 * Memory is bounded by `maxSources`: the least recently seen source is forgotten first
 * (a forgotten source starts again with a full bucket, which only errs towards allowing).
 */

export interface RateLimitConfig {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly rejectsPerSecond: number;
  readonly rejectBurst: number;
  readonly maxSources: number;
}

export type RateVerdict =
  | { readonly action: 'allow' }
  | { readonly action: 'reject'; readonly retryAfterSeconds: number }
  | { readonly action: 'drop' };

interface Buckets {
  tokens: number;
  rejectTokens: number;
  last: number;
}

const ALLOW: RateVerdict = { action: 'allow' };
const DROP: RateVerdict = { action: 'drop' };

export class SourceRateLimiter {
  private readonly config: RateLimitConfig;
  private readonly sources = new Map<string, Buckets>();

  constructor(config: RateLimitConfig) {
    if (!(config.ratePerSecond > 0) || !(config.burst >= 1)) throw new RangeError('rate limit needs ratePerSecond > 0 and burst >= 1');
    if (!(config.rejectsPerSecond >= 0) || !(config.rejectBurst >= 0)) throw new RangeError('reject rate must be >= 0');
    if (!(config.maxSources >= 1)) throw new RangeError('maxSources must be >= 1');
    this.config = config;
  }

  get trackedSources(): number {
    return this.sources.size;
  }

  check(source: string, now: number): RateVerdict {
    const c = this.config;
    let b = this.sources.get(source);
    if (b === undefined) {
      b = { tokens: c.burst, rejectTokens: c.rejectBurst, last: now };
      if (this.sources.size >= c.maxSources) this.evictOldest();
    } else {
      const elapsed = Math.max(0, now - b.last) / 1000;
      b.tokens = Math.min(c.burst, b.tokens + elapsed * c.ratePerSecond);
      b.rejectTokens = Math.min(c.rejectBurst, b.rejectTokens + elapsed * c.rejectsPerSecond);
      b.last = Math.max(b.last, now);
      this.sources.delete(source); // re-insert: Map order doubles as LRU order
    }
    this.sources.set(source, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return ALLOW;
    }
    if (b.rejectTokens >= 1) {
      b.rejectTokens -= 1;
      // Seconds until one request token is back, at least 1 (Retry-After is whole seconds).
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / c.ratePerSecond));
      return { action: 'reject', retryAfterSeconds };
    }
    return DROP;
  }

  private evictOldest(): void {
    const oldest = this.sources.keys().next();
    if (oldest.done !== true) this.sources.delete(oldest.value);
  }
}
