/**
 * Media timeout and hold (RFC 3264 8.4 directions), RTCP terminated per leg (RFC 3550 6.4:
 * each leg's SR/RR describe that leg's own streams, in its own SSRC space), and PLI/FIR
 * translated across the relay (RFC 4585 6.3.1, RFC 5104 4.3.1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import type { MediaEvent } from '../../../src/adapters/media/media-types.ts';
import { serializeRtcp, writePli } from '../../../src/core/rtp/rtcp-serialize.ts';
import type { RtcpPacket, RtcpReceiverReport, RtcpSenderReport } from '../../../src/core/rtp/rtcp-types.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer, LegSpec } from '../../helpers/media-fixture.ts';
import { sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
let open: LegAndPeer[] = [];
let rooms: MediaRoom[] = [];

afterEach(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
  open = [];
  rooms = [];
});

async function pair(a: Partial<LegSpec>, b: Partial<LegSpec>, events: MediaEvent[]): Promise<[LegAndPeer, LegAndPeer, MediaRoom]> {
  const x = await legWithPeer(allocator, { id: 'a', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0, ...a });
  const y = await legWithPeer(allocator, { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0, ...b });
  open.push(x, y);
  const room = new MediaRoom({ id: 'r', onEvent: (e) => events.push(e), housekeepingMs: 50 });
  rooms.push(room);
  room.addLeg(x.leg);
  room.addLeg(y.leg);
  return [x, y, room];
}

const timeouts = (events: MediaEvent[], legId: string): MediaEvent[] => events.filter((e) => e.type === 'media-timeout' && e.legId === legId);

describe('media timeout and hold', () => {
  it('reports a silent sendrecv leg once; a held leg (sendonly) is not expected to send until resumed', async () => {
    const events: MediaEvent[] = [];
    const [a, b, room] = await pair({ mediaTimeoutMs: 300 }, { mediaTimeoutMs: 300, direction: 'sendonly' }, events);
    await waitUntil(() => timeouts(events, 'a').length > 0, 'timeout of the silent leg');
    const first = timeouts(events, 'a')[0];
    expect(first).toMatchObject({ type: 'media-timeout', legId: 'a' });
    expect(first?.type === 'media-timeout' && first.silentForMs).toBeGreaterThanOrEqual(300);
    await sleep(700); // more than twice the timeout again
    expect(timeouts(events, 'a')).toHaveLength(1); // reported once
    expect(timeouts(events, 'b')).toHaveLength(0); // on hold: no timeout

    // resume: B's timeout is armed from the re-INVITE, and fires as B stays silent
    room.updateDirection(b.leg, 'sendrecv');
    await waitUntil(() => timeouts(events, 'b').length > 0, 'timeout of the resumed leg');
    // audio resets the timer: A talks, then goes quiet again -> a second report for A
    await a.peer.sendTone(400, 3);
    await waitUntil(() => timeouts(events, 'a').length === 2, 'second timeout of A after it spoke and fell silent');
  });

  it('does not send to a leg whose peer holds the call (sendonly), and resumes on sendrecv', async () => {
    const events: MediaEvent[] = [];
    const [a, b, room] = await pair({}, { direction: 'sendonly' }, events);
    await a.peer.sendTone(400, 5);
    await sleep(50);
    expect(b.peer.received).toHaveLength(0);
    room.updateDirection(b.leg, 'sendrecv');
    await a.peer.sendTone(400, 5);
    await waitUntil(() => b.peer.received.length >= 5, 'audio after resume');
  });
});

describe('RTCP terminated per leg', () => {
  function reports(packets: RtcpPacket[][]): (RtcpSenderReport | RtcpReceiverReport)[] {
    return packets.flat().filter((p): p is RtcpSenderReport | RtcpReceiverReport => p.type === 'sr' || p.type === 'rr');
  }

  it('each leg sends its own SR/RR (own SSRC, own counts, blocks only about its own peer), never the other leg\'s RTCP', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair({ rtcpIntervalMs: 200 }, { rtcpIntervalMs: 200 }, events);
    // B's peer sends an SR of its own: it must not be forwarded to A
    const peerSr = serializeRtcp([
      { type: 'sr', ssrc: b.peer.ssrc, ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 777, octetCount: 4, reports: [], profileExtension: new Uint8Array(0) },
      { type: 'sdes', chunks: [{ ssrc: b.peer.ssrc, items: [{ type: 1, value: Buffer.from('peer-b') }] }] },
    ]);
    await Promise.all([a.peer.sendTone(400, 20), b.peer.sendTone(1000, 20), b.peer.sendRaw(b.peer.protectRtcp(peerSr))]);
    // after the talk the next report of each leg (within the 2-interval sender window) is an SR
    // with the final counts and a block up to the peer's last sequence number
    const final = (x: LegAndPeer): boolean => {
      const all = reports(x.peer.rtcp);
      return (
        all.some((p) => p.type === 'sr' && p.packetCount === x.peer.audio(0).length) &&
        all.some((p) => p.reports.some((bl) => (bl.highestSequence & 0xffff) === ((x.peer.seq - 1) & 0xffff) && bl.cumulativeLost === 0))
      );
    };
    await waitUntil(() => a.peer.audio(0).length === 20 && b.peer.audio(0).length === 20 && final(a) && final(b), 'final SR at each peer');

    for (const [x, other] of [[a, b], [b, a]] as const) {
      const all = reports(x.peer.rtcp);
      expect(x.peer.undecryptable).toBe(0);
      expect(new Set(all.map((p) => p.ssrc))).toEqual(new Set([x.leg.ssrc])); // our SSRC on this leg only
      expect(all.some((p) => p.type === 'sr' && p.packetCount === 777)).toBe(false);
      const blocks = all.flatMap((p) => p.reports);
      // report blocks only about what this leg received: its own peer's SSRC, never the other peer's
      expect(blocks.length).toBeGreaterThan(0);
      expect(new Set(blocks.map((bl) => bl.ssrc))).toEqual(new Set([x.peer.ssrc]));
      expect(blocks.some((bl) => bl.ssrc === other.peer.ssrc)).toBe(false);
      // SDES CNAME is the leg's own random one
      const cnames = x.peer.rtcp.flat().flatMap((p) => (p.type === 'sdes' ? p.chunks.map((c) => Buffer.from(c.items[0]?.value ?? []).toString()) : []));
      expect(new Set(cnames)).toEqual(new Set([x.leg.rtcp.cname]));
    }
    // the SR from B's peer was consumed by leg B (LSR/DLSR), not relayed
    expect(b.leg.rtcp.srReceived).toBe(1);
    expect(a.peer.rtcp.flat().some((p) => p.type === 'sr' && p.ssrc === b.peer.ssrc)).toBe(false);
  });

  it('without rtcp-mux: reports leave from the RTCP socket (RTP port + 1) and the peer\'s SR is taken there', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair({ rtcpMux: false, rtcpIntervalMs: 200 }, {}, events);
    expect(a.leg.localRtcpPort).toBe(a.leg.localRtpPort + 1);
    await Promise.all([a.peer.sendTone(400, 10), b.peer.sendTone(1000, 10)]);
    const sr = serializeRtcp([{ type: 'sr', ssrc: a.peer.ssrc, ntpSeconds: 5, ntpFraction: 0, rtpTimestamp: 0, packetCount: 10, octetCount: 1600, reports: [], profileExtension: new Uint8Array(0) }]);
    await a.peer.sendRaw(a.peer.protectRtcp(sr), { address: '127.0.0.1', port: a.leg.localRtcpPort });
    await waitUntil(() => a.leg.rtcp.srReceived === 1 && reports(a.peer.rtcp).length > 0, 'SR taken on the RTCP port, report at the peer');
    expect(new Set(a.peer.rtcpFrom)).toEqual(new Set([a.leg.localRtcpPort]));
    expect(a.leg.counters().drops).toEqual({});
    // after the peer's SR, the leg's next report block carries LSR (RFC 3550 6.4.1)
    await waitUntil(() => reports(a.peer.rtcp).some((p) => p.reports.some((bl) => bl.lastSr !== 0)), 'a block with LSR');
  });

  it('translates a PLI (and a FIR) from one leg into a PLI toward the sender of that stream', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair({}, {}, events);
    await a.peer.sendTone(400, 3);
    await waitUntil(() => b.peer.received.length >= 3, 'A audio at B');
    // B's peer asks for a key frame of the stream it receives from the gateway (leg B's SSRC)
    const rr = serializeRtcp([{ type: 'rr', ssrc: b.peer.ssrc, reports: [], profileExtension: new Uint8Array(0) }]);
    const pli = Buffer.alloc(rr.length + 12);
    pli.set(rr, 0);
    writePli(pli, rr.length, b.peer.ssrc, b.leg.ssrc);
    await b.peer.sendRaw(b.peer.protectRtcp(pli));
    const fir = serializeRtcp([
      { type: 'rr', ssrc: b.peer.ssrc, reports: [], profileExtension: new Uint8Array(0) },
      { type: 'fir', senderSsrc: b.peer.ssrc, mediaSsrc: 0, entries: [{ ssrc: b.leg.ssrc, sequenceNumber: 1 }] },
    ]);
    await b.peer.sendRaw(b.peer.protectRtcp(fir));
    const plis = (): RtcpPacket[] => a.peer.rtcp.flat().filter((p) => p.type === 'pli');
    await waitUntil(() => plis().length >= 2, 'two PLIs at A');
    // toward A: from leg A's SSRC, about A's own stream (A's SSRC space), never B's SSRCs
    expect(plis()).toEqual([
      { type: 'pli', senderSsrc: a.leg.ssrc, mediaSsrc: a.peer.ssrc },
      { type: 'pli', senderSsrc: a.leg.ssrc, mediaSsrc: a.peer.ssrc },
    ]);
    // a PLI naming an SSRC that is not ours is ignored
    const stray = Buffer.alloc(rr.length + 12);
    stray.set(rr, 0);
    writePli(stray, rr.length, b.peer.ssrc, 0x12345678);
    await b.peer.sendRaw(b.peer.protectRtcp(stray));
    await sleep(50);
    expect(plis()).toHaveLength(2);
  });
});
