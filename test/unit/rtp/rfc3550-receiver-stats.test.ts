import { describe, expect, it } from 'vitest';
import { ntpFromUnixMs, ntpMiddle32 } from '../../../src/core/rtp/ntp-time.ts';
import { ReceiverStatistics } from '../../../src/core/rtp/receiver-stats.ts';
import { buildRtcpReport } from '../../../src/core/rtp/rtcp-report.ts';
import { parseRtcp } from '../../../src/core/rtp/rtcp-parse.ts';
import { serializeRtcp } from '../../../src/core/rtp/rtcp-serialize.ts';
import { SenderStatistics } from '../../../src/core/rtp/sender-stats.ts';

/** Feeds seq numbers with 20 ms spacing and matching 8 kHz timestamps (no jitter). */
function feed(s: ReceiverStatistics, seqs: readonly number[], startMs = 0): void {
  for (const seq of seqs) s.onPacket(seq & 0xffff, (seq * 160) >>> 0, startMs + seq * 20);
}

describe('RFC 3550 A.1 sequence validation', () => {
  it('A.1: a new source is on probation until MIN_SEQUENTIAL (2) in-order packets', () => {
    const s = new ReceiverStatistics(1, 8000);
    expect(s.onPacket(100, 0, 0)).toBe('probation');
    expect(s.expected).toBe(0);
    expect(s.onPacket(101, 160, 20)).toBe('valid');
    expect(s.received).toBe(1);
    expect(s.expected).toBe(1);
  });
  it('A.1: out-of-order packet during probation restarts it', () => {
    const s = new ReceiverStatistics(1, 8000);
    s.onPacket(100, 0, 0);
    expect(s.onPacket(105, 0, 20)).toBe('probation');
    expect(s.onPacket(106, 0, 40)).toBe('valid');
  });
  it('A.1: sequence wrap adds a cycle to the extended highest sequence number', () => {
    const s = new ReceiverStatistics(1, 8000);
    feed(s, [65533, 65534, 65535, 65536, 65537]);
    expect(s.extendedHighestSequence).toBe(0x10001);
    expect(s.expected).toBe(4);
    expect(s.lost).toBe(0);
  });
  it('A.1: a very large jump is ignored once, then accepted as a restart', () => {
    const s = new ReceiverStatistics(1, 8000);
    feed(s, [1, 2, 3, 4]);
    expect(s.onPacket(30000, 0, 100)).toBe('jump');
    expect(s.received).toBe(3);
    expect(s.onPacket(30001, 160, 120)).toBe('valid');
    expect(s.received).toBe(1);
    expect(s.expected).toBe(1);
  });
});

describe('RFC 3550 A.3 loss and A.8 jitter', () => {
  it('A.3: expected, cumulative lost and fraction lost per interval', () => {
    const s = new ReceiverStatistics(0x1234, 8000);
    feed(s, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 10 counted (probation eats seq 0)
    let b = s.reportBlock(1000);
    expect(b).toMatchObject({ ssrc: 0x1234, fractionLost: 0, cumulativeLost: 0, highestSequence: 10 });
    // next interval: 11..20 expected, 12, 14, 15 lost -> 3 of 10 = 76/256
    feed(s, [11, 13, 16, 17, 18, 19, 20]);
    b = s.reportBlock(2000);
    expect(s.expected).toBe(20);
    expect(b).toMatchObject({ fractionLost: Math.floor((3 * 256) / 10), cumulativeLost: 3, highestSequence: 20 });
    // duplicates: more received than expected -> fraction 0, cumulative may go down (A.3)
    feed(s, [21, 21, 21, 22]);
    b = s.reportBlock(3000);
    expect(b.fractionLost).toBe(0);
    expect(b.cumulativeLost).toBe(1);
  });
  it('A.8: constant transit time gives zero jitter', () => {
    const s = new ReceiverStatistics(1, 8000);
    feed(s, Array.from({ length: 50 }, (_, i) => i));
    expect(s.jitter).toBe(0);
  });
  it('A.8: J += (|D| - J)/16 converges toward the mean absolute transit difference', () => {
    const s = new ReceiverStatistics(1, 8000);
    // alternate arrival offsets of 0 and +5 ms: |D| = 40 timestamp units every packet after the first
    for (let i = 0; i < 400; i++) s.onPacket(i, i * 160, i * 20 + (i % 2 === 0 ? 0 : 5));
    expect(s.jitter).toBeGreaterThanOrEqual(39);
    expect(s.jitter).toBeLessThanOrEqual(40);
    // a single step by the formula: from J = 0, |D| = 16 -> 1
    const t = new ReceiverStatistics(2, 8000);
    t.onPacket(0, 0, 0);
    t.onPacket(1, 160, 20);
    t.onPacket(2, 320, 42); // arrives 2 ms (16 units) late
    expect(t.jitter).toBe(1);
  });
  it('A.8: the 32-bit RTP timestamp wrap causes no jitter spike', () => {
    const s = new ReceiverStatistics(1, 8000);
    const base = 0xffffff00;
    for (let i = 0; i < 10; i++) s.onPacket(i, (base + i * 160) >>> 0, i * 20);
    expect(s.jitter).toBe(0);
  });
});

describe('RTCP report generation (RFC 3550 6.4, 6.5.1)', () => {
  it('6.4.1: LSR is the middle 32 bits of the SR NTP time, DLSR in 1/65536 s', () => {
    const s = new ReceiverStatistics(9, 8000);
    feed(s, [0, 1, 2]);
    s.onSenderReport(0xe5a1b2c3, 0x80000000, 1000);
    const b = s.reportBlock(1500);
    expect(b.lastSr).toBe(ntpMiddle32(0xe5a1b2c3, 0x80000000));
    expect(b.lastSr).toBe(0xb2c38000);
    expect(b.delaySinceLastSr).toBe(32768); // 0.5 s
  });
  it('NTP time from Unix ms (RFC 3550 4: seconds since 1900)', () => {
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    expect(ntpFromUnixMs(1500)).toEqual({ seconds: 2_208_988_801, fraction: 0x80000000 });
  });
  it('6.4: an active sender sends SR with counts and an extrapolated RTP timestamp, then SDES CNAME', () => {
    const sender = new SenderStatistics(0xabc, 8000);
    sender.onPacketSent(1000, 160, 0);
    sender.onPacketSent(1160, 160, 20);
    const src = new ReceiverStatistics(0xdef, 8000);
    feed(src, [0, 1, 2]);
    const report = buildRtcpReport({ ssrc: 0xabc, cname: 'leg-1@gatehouse', sender, sources: [src], nowMs: 120, wallclockMs: 1500 });
    expect(report[0]).toMatchObject({ type: 'sr', ssrc: 0xabc, ntpSeconds: 2_208_988_801, ntpFraction: 0x80000000, rtpTimestamp: 1960, packetCount: 2, octetCount: 320 });
    expect(report[0]?.type === 'sr' && report[0].reports.map((r) => r.ssrc)).toEqual([0xdef]);
    expect(report[1]).toMatchObject({ type: 'sdes', chunks: [{ ssrc: 0xabc, items: [{ type: 1 }] }] });
    // and it survives the wire
    const bytes = serializeRtcp(report);
    expect(parseRtcp(bytes)).toEqual({ ok: true, packets: report });
  });
  it('6.4: a participant that stopped sending reports with RR; sources without data get no block', () => {
    const sender = new SenderStatistics(1, 8000);
    sender.onPacketSent(0, 160, 0);
    const silent = new ReceiverStatistics(2, 8000);
    const report = buildRtcpReport({ ssrc: 1, cname: 'x', sender, sources: [silent], nowMs: 60_000, wallclockMs: 0 });
    expect(report[0]).toMatchObject({ type: 'rr', ssrc: 1, reports: [] });
  });
  it('6.4.2: more than 31 sources spill into additional RR packets', () => {
    const sources = Array.from({ length: 40 }, (_, i) => {
      const s = new ReceiverStatistics(i + 100, 8000);
      feed(s, [0, 1]);
      return s;
    });
    const report = buildRtcpReport({ ssrc: 1, cname: 'x', sender: null, sources, nowMs: 0, wallclockMs: 0 });
    expect(report.map((p) => p.type)).toEqual(['rr', 'rr', 'sdes']);
    expect(report[0]?.type === 'rr' && report[0].reports.length).toBe(31);
    expect(report[1]?.type === 'rr' && report[1].reports.length).toBe(9);
    expect(parseRtcp(serializeRtcp(report)).ok).toBe(true);
  });
});
