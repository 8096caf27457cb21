/**
 * Source address rules (docs/media-latching.md): packets from an address other than the SDP's
 * are ignored unless they authenticate under the leg's SRTP key, and then only per the latching
 * rules. An attacker without the key can neither inject audio nor redirect our media.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import type { MediaEvent } from '../../../src/adapters/media/media-types.ts';
import { droppedTotal } from '../../../src/metrics/media.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer, LegSpec } from '../../helpers/media-fixture.ts';
import { RtpPeer, randomKey, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
let open: LegAndPeer[] = [];
let extra: { close(): unknown }[] = [];
let rooms: MediaRoom[] = [];

afterEach(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
  for (const x of extra) await x.close();
  open = [];
  extra = [];
  rooms = [];
});

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  extra.push({ close: () => new Promise<void>((resolve) => s.close(() => resolve())) });
  return s;
}

async function pair(aSpec: Partial<LegSpec>, events: MediaEvent[]): Promise<[LegAndPeer, LegAndPeer]> {
  const a = await legWithPeer(allocator, { id: 'a', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0, ...aSpec });
  const b = await legWithPeer(allocator, { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
  open.push(a, b);
  const room = new MediaRoom({ id: 'r', onEvent: (e) => events.push(e) });
  rooms.push(room);
  room.addLeg(a.leg);
  room.addLeg(b.leg);
  return [a, b];
}

/** An impostor sending to `leg`'s port from its own address, with `key` (same SSRC/seq space as `victim`). */
async function impostor(victim: LegAndPeer, key = randomKey(victim.peer.opts.suite)): Promise<RtpPeer> {
  const p = await RtpPeer.open({ ...victim.peer.opts, sendKey: key });
  extra.push(p);
  p.target = victim.peer.target;
  return p;
}

describe('source latching and anti-hijack', () => {
  it('ignores a hijack attempt from another address with a wrong key, before and after the real peer spoke', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair({}, events);
    const wrongSourceBefore = await droppedTotal('wrong-source');
    const attacker = await impostor(a);
    // before the real peer sent anything: the latch is still open, but nothing authenticates
    for (let i = 0; i < 20; i++) await attacker.sendRaw(attacker.protect(attacker.nextPacket(attacker.toneFrame(3000))));
    await a.peer.sendTone(400, 5);
    for (let i = 0; i < 20; i++) await attacker.sendRaw(attacker.protect(attacker.nextPacket(attacker.toneFrame(3000))));
    await b.peer.sendTone(1000, 5);
    await waitUntil(() => b.peer.received.length >= 5 && a.peer.received.length >= 5, 'audio between the real peers');
    await sleep(50);

    expect(a.leg.counters().drops['wrong-source']).toBe(40);
    expect((await droppedTotal('wrong-source')) - wrongSourceBefore).toBe(40);
    expect(b.peer.received).toHaveLength(5); // nothing of the attacker's reached B
    expect(attacker.received).toHaveLength(0); // and none of B's audio went to the attacker
    expect(a.leg.rtpDestination).toEqual({ address: '127.0.0.1', port: a.peer.port, confirmed: true });
    expect(events.filter((e) => e.type === 'source-latched')).toEqual([]);
  });

  it('latches to the first source whose packets authenticate when the SDP address is wrong (NAT)', async () => {
    const events: MediaEvent[] = [];
    const sdpSocket = await udp(); // the address the SDP claims: bound, never sends
    const [a, b] = await pair({ sdpPort: sdpSocket.address().port }, events);
    let toSdp = 0;
    sdpSocket.on('message', () => toSdp++);
    await a.peer.sendTone(400, 5);
    await waitUntil(() => b.peer.received.length >= 5, 'A audio at B');
    await b.peer.sendTone(1000, 5);
    await waitUntil(() => a.peer.received.length >= 5, 'B audio sent to the latched address');
    expect(events).toContainEqual({ type: 'source-latched', legId: 'a', proto: 'rtp', how: 'first', address: '127.0.0.1', port: a.peer.port });
    expect(a.leg.rtpDestination).toEqual({ address: '127.0.0.1', port: a.peer.port, confirmed: true });
    expect(toSdp).toBe(0);
  });

  it('strict mode never leaves the SDP address', async () => {
    const events: MediaEvent[] = [];
    const sdpSocket = await udp();
    const [a, b] = await pair({ sdpPort: sdpSocket.address().port, latching: { mode: 'strict' } }, events);
    await a.peer.sendTone(400, 5);
    await sleep(100);
    expect(b.peer.received).toHaveLength(0);
    expect(a.leg.counters().drops['wrong-source']).toBe(5);
    expect(events).toEqual([]);
  });

  it('moves to a new source only after N authentic packets with the old source silent for M ms', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair({ latching: { relatchPackets: 5, relatchSilenceMs: 300 } }, events);
    await a.peer.sendTone(400, 5);
    await waitUntil(() => b.peer.received.length >= 5, 'A audio at B');
    // a second socket with the RIGHT key continuing A's stream (NAT rebinding), while A still talks
    const moved = await impostor(a, a.peerKey);
    moved.seq = a.peer.seq + 100;
    moved.ts = a.peer.ts + 16000;
    const interleave = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(400))));
        await moved.sendRaw(moved.protect(moved.nextPacket(moved.toneFrame(400))));
        await sleep(20);
      }
    };
    await interleave(8);
    expect(a.leg.rtpDestination.port).toBe(a.peer.port); // the old source is not silent: no move
    expect(a.leg.counters().drops['wrong-source']).toBe(8);
    // the old source goes quiet for longer than M; the new one keeps sending
    await sleep(400);
    for (let i = 0; i < 6; i++) {
      await moved.sendRaw(moved.protect(moved.nextPacket(moved.toneFrame(400))));
      await sleep(20);
    }
    await waitUntil(() => events.some((e) => e.type === 'source-latched' && e.how === 'moved'), 'the move');
    expect(events).toContainEqual({ type: 'source-latched', legId: 'a', proto: 'rtp', how: 'moved', address: '127.0.0.1', port: moved.port });
    expect(a.leg.rtpDestination.port).toBe(moved.port);
    // our media now goes to the new source, and the old address is ignored
    await b.peer.sendTone(1000, 5);
    await waitUntil(() => moved.received.length >= 5, 'B audio at the moved source');
    const oldGot = a.peer.received.length;
    await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(400))));
    await sleep(50);
    expect(a.peer.received.length).toBe(oldGot);
  });
});
