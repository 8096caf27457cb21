/**
 * Protection limits of the embedded SIP transports. All are configurable (the config schema
 * in src/config feeds them); the defaults suit one gateway facing room systems and browsers.
 */
import type { RateLimitConfig } from './rate-limiter.ts';

export interface SipNetLimits {
  /** Largest SIP message accepted on any transport, bytes (RFC 3261 section 18.1.1 talks
   * about 65,535 for UDP; real signalling with SDP stays far below). Larger: 513 or drop. */
  readonly maxMessageSize: number;
  /** Open stream connections (TCP, TLS, WS, WSS together) per source IP address. */
  readonly maxConnectionsPerIp: number;
  /** Open stream connections per transport listener. */
  readonly maxConnections: number;
  /** Close a connection with no bytes at all for this long, ms. */
  readonly idleTimeoutMs: number;
  /** Close a connection whose current message is not complete this long after its first
   * byte, ms (slowloris: a peer dribbling bytes never hits the idle timeout). */
  readonly incompleteMessageTimeoutMs: number;
  /** Per-source request rate; null disables rate limiting. */
  readonly rateLimit: RateLimitConfig | null;
  /** Path MTU used by the UDP size rule (RFC 3261 section 18.1.1). */
  readonly mtu: number;
  /** UDP socket receive/send buffer, bytes (the kernel caps it at net.core.rmem_max): bursts
   * of calls overflow the 208 KiB default and every lost INVITE costs a 500 ms retransmit. */
  readonly udpBufferBytes: number;
  /** RFC 3261 17.2.1: send 100 Trying only if the call logic has not answered within this
   * time (the RFC allows skipping it when the TU answers within 200 ms). 0 = at once. */
  readonly tryingDelayMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { ratePerSecond: 50, burst: 200, rejectsPerSecond: 2, rejectBurst: 10, maxSources: 100_000 };

export const DEFAULT_LIMITS: SipNetLimits = {
  maxMessageSize: 65_535,
  maxConnectionsPerIp: 64,
  maxConnections: 10_000,
  idleTimeoutMs: 300_000,
  incompleteMessageTimeoutMs: 10_000,
  rateLimit: DEFAULT_RATE_LIMIT,
  mtu: 1500,
  udpBufferBytes: 4 * 1024 * 1024,
  tryingDelayMs: 100,
};

export function withLimits(overrides: Partial<SipNetLimits> | undefined): SipNetLimits {
  return { ...DEFAULT_LIMITS, ...(overrides ?? {}) };
}
