/**
 * One master key of a session: its derived session keys and its usage counters.
 *
 * Session keys are derived once (RFC 3711 s4.3) when the key derivation rate is 0. With a
 * non-zero rate, keys depend on r = index DIV kdr (s4.3.1): SRTP keys on the 48-bit SRTP index
 * of the packet, SRTCP keys on the SRTCP index, so different SSRCs, or a reordered packet from
 * just before a boundary, may need different r. A small cache keyed by r keeps re-derivation
 * off the common path.
 *
 * Lifetime (RFC 3711 s9.2, RFC 4568 s6.1): we count packets protected and packets
 * authenticated with this key separately (a session object normally carries one direction;
 * counting both would halve the budget of a loopback session). The signalled lifetime bounds
 * SRTP + SRTCP packets together; the suite maximum bounds each (2^48 SRTP, 2^31 SRTCP).
 */
import { deriveRtcpKeys, deriveRtpKeys, kdrIndex } from './kdf.ts';
import { prepareKeys } from './session-keys.ts';
import type { DirectionKeys } from './session-keys.ts';
import type { SrtpSuite } from './suites.ts';

const CACHE = 4;

export interface UsageCounters {
  srtp: number;
  srtcp: number;
}

export class MasterKey {
  readonly suite: SrtpSuite;
  readonly mki: Buffer | null;
  readonly lifetime: number;
  readonly kdr: number;
  readonly sent: UsageCounters = { srtp: 0, srtcp: 0 };
  readonly received: UsageCounters = { srtp: 0, srtcp: 0 };
  private readonly key: Buffer;
  private readonly salt: Buffer;
  private readonly rtp0: DirectionKeys;
  private readonly rtcp0: DirectionKeys;
  private readonly rtpCache = new Map<number, DirectionKeys>();
  private readonly rtcpCache = new Map<number, DirectionKeys>();

  constructor(suite: SrtpSuite, masterKey: Uint8Array, masterSalt: Uint8Array, mki: Uint8Array | null, lifetime: number, kdr: number) {
    this.suite = suite;
    this.key = Buffer.from(masterKey);
    this.salt = Buffer.from(masterSalt);
    this.mki = mki === null ? null : Buffer.from(mki);
    this.lifetime = lifetime;
    this.kdr = kdr;
    this.rtp0 = prepareKeys(suite, deriveRtpKeys(suite, this.key, this.salt, 0));
    this.rtcp0 = prepareKeys(suite, deriveRtcpKeys(suite, this.key, this.salt, 0));
  }

  rtpKeys(index: number): DirectionKeys {
    if (this.kdr === 0) return this.rtp0;
    const r = kdrIndex(index, this.kdr);
    if (r === 0) return this.rtp0;
    return this.cached(this.rtpCache, r, () => prepareKeys(this.suite, deriveRtpKeys(this.suite, this.key, this.salt, r)));
  }

  rtcpKeys(index: number): DirectionKeys {
    if (this.kdr === 0) return this.rtcp0;
    const r = kdrIndex(index, this.kdr);
    if (r === 0) return this.rtcp0;
    return this.cached(this.rtcpCache, r, () => prepareKeys(this.suite, deriveRtcpKeys(this.suite, this.key, this.salt, r)));
  }

  /** true when one more SRTP (rtcp=false) or SRTCP packet would exceed the lifetime. */
  exhausted(c: UsageCounters, rtcp: boolean): boolean {
    if (c.srtp + c.srtcp >= this.lifetime) return true;
    return rtcp ? c.srtcp >= this.suite.maxSrtcpPackets : c.srtp >= this.suite.maxSrtpPackets;
  }

  /** Packets left before the lifetime ends (the smaller of both directions' budgets). */
  remaining(): number {
    const used = Math.max(this.sent.srtp + this.sent.srtcp, this.received.srtp + this.received.srtcp);
    return Math.max(0, this.lifetime - used);
  }

  matchesMki(p: Uint8Array, offset: number): boolean {
    const m = this.mki;
    if (m === null) return false;
    for (let i = 0; i < m.length; i++) if (p[offset + i] !== m[i]) return false;
    return true;
  }

  private cached(cache: Map<number, DirectionKeys>, r: number, make: () => DirectionKeys): DirectionKeys {
    let k = cache.get(r);
    if (k === undefined) {
      k = make();
      if (cache.size >= CACHE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(r, k);
    }
    return k;
  }
}
