/**
 * SdesMediaLeg.rekey (src/adapters/media/media-leg.ts, leg-rekey.ts): a re-INVITE's new SDES
 * key (RFC 4568 7.1.4) and/or new peer address (RFC 3264 8.3.1) switch the leg at once, with a
 * grace window for packets still in flight under the old key or from the old source. Real
 * sockets on 127.0.0.1: leg A relays to leg B in a MediaRoom; what B's peer decrypts (under its
 * own key) is what got through A.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import type { MediaEvent } from '../../../src/adapters/media/media-types.ts';
import { createSrtpSession } from '../../../src/core/srtp/index.ts';
import { parseRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer } from '../../helpers/media-fixture.ts';
import { RtpPeer, randomKey, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
let open: LegAndPeer[] = [];
let extra: RtpPeer[] = [];
let rooms: MediaRoom[] = [];

afterEach(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
  for (const x of extra) await x.close();
  open = [];
  extra = [];
  rooms = [];
});

async function pair(events: MediaEvent[] = []): Promise<[LegAndPeer, LegAndPeer]> {
  const a = await legWithPeer(allocator, { id: 'a', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0, rtcpMux: true });
  const b = await legWithPeer(allocator, { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
  open.push(a, b);
  const room = new MediaRoom({ id: 'r', onEvent: (e) => events.push(e) });
  rooms.push(room);
  room.addLeg(a.leg);
  room.addLeg(b.leg);
  return [a, b];
}

/** Sends `n` packets from `p` (paced a little so the relay keeps order) and waits until `to` has `total`. */
async function send(p: RtpPeer, n: number, to: RtpPeer, total: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await p.sendRaw(p.protect(p.nextPacket(p.toneFrame(500))));
    await sleep(2);
  }
  await waitUntil(() => to.received.length >= total, `${total} packets at the far peer`);
}

/** Lets anything in flight land, then asserts nothing more arrived. */
async function settledAt(p: RtpPeer, count: number): Promise<void> {
  await sleep(60);
  expect(p.received).toHaveLength(count);
}

describe('SdesMediaLeg.rekey: new peer key (RFC 4568 7.1.4)', () => {
  it('RFC 4568 7.1.4: old-key packets in flight still pass during the grace window; the first new-key packet ends it', async () => {
    const [a, b] = await pair();
    await send(a.peer, 5, b.peer, 5);
    const lateOld = a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(500))); // sent by the peer before it had our answer
    const newKey = randomKey('AES_CM_128_HMAC_SHA1_80');
    a.leg.rekey({ remoteKey: newKey });
    // in flight under the old key: still decrypted (old context kept for the grace window)
    await send(a.peer, 3, b.peer, 8);
    // the peer switches: a NEW crypto context (ROC 0, fresh replay window) on its side too
    a.peer.useSendKey(newKey);
    await send(a.peer, 5, b.peer, 13);
    // the grace ended at the first new-key packet: a late old-key packet is dropped now
    await a.peer.sendRaw(lateOld);
    await settledAt(b.peer, 13);
    expect(a.leg.counters().drops['auth-failed']).toBe(1);
  });

  it('RFC 3711 3.3.2: the old context keeps its replay window during the grace window', async () => {
    const [a, b] = await pair();
    const first = a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(500)));
    await a.peer.sendRaw(first);
    await waitUntil(() => b.peer.received.length === 1, 'first packet relayed');
    a.leg.rekey({ remoteKey: randomKey('AES_CM_128_HMAC_SHA1_80') });
    await a.peer.sendRaw(first); // a replay of an old-key packet
    await settledAt(b.peer, 1);
    await send(a.peer, 2, b.peer, 3); // genuine old-key packets still pass
  });

  it('RFC 4568 7.1.4: the grace window is bounded (N packets under the old key)', async () => {
    const [a, b] = await pair();
    await send(a.peer, 2, b.peer, 2);
    a.leg.rekey({ remoteKey: randomKey('AES_CM_128_HMAC_SHA1_80') }, 4);
    for (let i = 0; i < 10; i++) {
      await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(500))));
      await sleep(2);
    }
    await waitUntil(() => b.peer.received.length >= 6, '4 grace packets relayed');
    await settledAt(b.peer, 6);
    expect(a.leg.counters().drops['auth-failed']).toBe(6);
  });

  it('RFC 4568 7.1.4: a new suite with both keys: the peer\'s GCM packets decrypt and ours go out under our new GCM key', async () => {
    const [a, b] = await pair();
    await send(a.peer, 2, b.peer, 2);
    const peerKey = randomKey('AEAD_AES_256_GCM');
    const ourKey = randomKey('AEAD_AES_256_GCM');
    a.leg.rekey({ suite: 'AEAD_AES_256_GCM', remoteKey: peerKey, localKey: ourKey });
    expect(a.leg.srtpSuite).toBe('AEAD_AES_256_GCM');
    const tx = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...peerKey });
    for (let i = 0; i < 3; i++) {
      const r = tx.protectRtp(a.peer.nextPacket(a.peer.toneFrame(500)));
      if (!r.ok) throw new Error(r.reason);
      await a.peer.sendRaw(Buffer.from(r.out.subarray(0, r.length)));
    }
    await waitUntil(() => b.peer.received.length >= 5, 'GCM packets relayed');
    // B -> A: what A's peer receives now decrypts under our new GCM key only
    const rawBefore = a.peer.raw.length;
    for (let i = 0; i < 3; i++) await b.peer.sendRaw(b.peer.protect(b.peer.nextPacket(b.peer.toneFrame(700))));
    await waitUntil(() => a.peer.raw.length >= rawBefore + 3, 'packets toward A');
    const rx = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...ourKey });
    const opened = a.peer.raw.slice(rawBefore).map((d) => rx.unprotectRtp(d));
    expect(opened.every((r) => r.ok)).toBe(true);
    const plain = opened[0];
    if (plain?.ok) expect(parseRtp(Buffer.from(plain.out.subarray(0, plain.length))).ok).toBe(true);
  });

  it('is atomic: a suite change without both keys, or a bad key, throws and changes nothing', async () => {
    const [a, b] = await pair();
    expect(() => a.leg.rekey({ suite: 'AEAD_AES_256_GCM', remoteKey: randomKey('AEAD_AES_256_GCM') })).toThrow(/both directions/);
    expect(() => a.leg.rekey({ remoteKey: { masterKey: new Uint8Array(5), masterSalt: new Uint8Array(14) } })).toThrow();
    expect(a.leg.srtpSuite).toBe('AES_CM_128_HMAC_SHA1_80');
    await send(a.peer, 3, b.peer, 3); // the old key still works, with no grace involved
    expect(a.leg.counters().drops).toEqual({});
  });
});

describe('SdesMediaLeg.rekey: new peer address (RFC 3264 8.3.1, docs/media-latching.md)', () => {
  it('RFC 3264 8.3.1: media goes to the new address at once; late packets from the old one pass but never latch back', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair(events);
    await send(a.peer, 3, b.peer, 3);
    await send(b.peer, 3, a.peer, 3);
    expect(a.leg.rtpDestination).toEqual({ address: '127.0.0.1', port: a.peer.port, confirmed: true });
    // the peer now receives (and sends) on another socket, same key (the context continues)
    const moved = await RtpPeer.open({ ...a.peer.opts });
    extra.push(moved);
    moved.target = a.peer.target;
    moved.seq = (a.peer.seq + 100) & 0xffff;
    a.leg.rekey({ remote: { address: '127.0.0.1', rtpPort: moved.port, rtcpPort: moved.port } });
    expect(a.leg.rtpDestination).toEqual({ address: '127.0.0.1', port: moved.port, confirmed: false });
    await send(b.peer, 3, moved, 3);
    expect(a.peer.received).toHaveLength(3); // nothing more to the old address
    // in flight from the old source: relayed, the latch stays at the new address
    await send(a.peer, 2, b.peer, 5);
    expect(a.leg.rtpDestination.port).toBe(moved.port);
    // the peer speaks from the new address: confirmed there, the grace ends
    await send(moved, 2, b.peer, 7);
    expect(a.leg.rtpDestination).toEqual({ address: '127.0.0.1', port: moved.port, confirmed: true });
    // the old source now is just another source: authentic but not forwarded (rule 4)
    await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(500))));
    await settledAt(b.peer, 7);
    expect(a.leg.counters().drops['wrong-source']).toBe(1);
    expect(events.filter((e) => e.type === 'source-latched')).toEqual([]);
  });

  it('docs/media-latching.md rule 3: after a move the first authentic packet decides (peer behind NAT sends from elsewhere)', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair(events);
    await send(a.peer, 2, b.peer, 2);
    const nat = await RtpPeer.open({ ...a.peer.opts });
    extra.push(nat);
    nat.target = a.peer.target;
    nat.seq = (a.peer.seq + 100) & 0xffff;
    // the SDP names a private address nobody sends from; packets come from `nat`
    a.leg.rekey({ remote: { address: '127.0.0.1', rtpPort: 9, rtcpPort: 9 } }, 0);
    await send(nat, 2, b.peer, 4);
    expect(a.leg.rtpDestination).toEqual({ address: '127.0.0.1', port: nat.port, confirmed: true });
    expect(events.filter((e) => e.type === 'source-latched').map((e) => (e.type === 'source-latched' ? e.how : ''))).toEqual(['first']);
    // a packet under a wrong key from elsewhere moves nothing
    const attacker = await RtpPeer.open({ ...a.peer.opts, sendKey: randomKey('AES_CM_128_HMAC_SHA1_80') });
    extra.push(attacker);
    attacker.target = a.peer.target;
    await attacker.sendRaw(attacker.protect(attacker.nextPacket(attacker.toneFrame(500))));
    await settledAt(b.peer, 4);
    expect(a.leg.rtpDestination.port).toBe(nat.port);
  });
});
