/**
 * Bad packets on a live call: malformed, forged, replayed, unknown payload types, other
 * protocols. Each is dropped and counted by reason (per leg and in
 * gatehouse_media_packets_dropped_total{reason}); none reaches the other leg; none stops the
 * call: good audio before and after flows unchanged.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import { droppedTotal } from '../../../src/metrics/media.ts';
import type { MediaDropReason } from '../../../src/metrics/media.ts';
import { serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer } from '../../helpers/media-fixture.ts';
import { sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const open: LegAndPeer[] = [];
const rooms: MediaRoom[] = [];
afterAll(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
});

describe('bad input on a live call', () => {
  it('drops and counts malformed, forged, replayed and foreign packets while the call continues', async () => {
    const allocator = testAllocator();
    const a = await legWithPeer(allocator, { id: 'a', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 });
    const b = await legWithPeer(allocator, { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    open.push(a, b);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    room.addLeg(a.leg);
    room.addLeg(b.leg);
    const reasons: MediaDropReason[] = ['truncated', 'auth-failed', 'replay', 'not-rtp', 'malformed-rtp', 'unknown-payload-type'];
    const before = new Map<MediaDropReason, number>();
    for (const r of reasons) before.set(r, await droppedTotal(r));

    // good audio first
    const good: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const p = a.peer.protect(a.peer.nextPacket(a.peer.toneFrame(400)));
      good.push(p);
      await a.peer.sendRaw(p);
    }
    await waitUntil(() => b.peer.received.length >= 5, 'good audio at B');

    const peer = a.peer;
    // RFC 3550 5.1 header in the 128-191 range but shorter than any SRTP packet
    await peer.sendRaw(Buffer.from([0x80, 0x00, 0x00, 0x01, 0x00]));
    // forged: a valid-looking header with random "ciphertext" and tag
    const forged = Buffer.concat([peer.nextPacket(Buffer.alloc(160)).subarray(0, 12), randomBytes(160 + 16)]);
    await peer.sendRaw(forged);
    // a bit flipped in a genuine packet's payload
    const flipped = peer.protect(peer.nextPacket(peer.toneFrame(400)));
    flipped[40] = (flipped[40] ?? 0) ^ 0x01;
    await peer.sendRaw(flipped);
    // replays of packets already delivered (RFC 3711 3.3.2)
    await peer.sendRaw(good[1] ?? Buffer.alloc(0));
    await peer.sendRaw(good[4] ?? Buffer.alloc(0));
    // STUN and DTLS first octets (RFC 7983) on an SDES leg
    await peer.sendRaw(Buffer.from('000100002112a442000000000000000000000000', 'hex'));
    await peer.sendRaw(Buffer.from('16fefd000000000000000000', 'hex'));
    // authentic but with padding that overruns the payload (RFC 3550 5.1 P bit): malformed RTP
    const badPadding = peer.nextPacket(Buffer.from([1, 2, 3, 0]));
    badPadding[0] = (badPadding[0] ?? 0) | 0x20;
    badPadding[badPadding.length - 1] = 200;
    await peer.sendRaw(peer.protect(badPadding));
    // authentic, but payload type 50 was never negotiated
    await peer.sendRaw(peer.protect(peer.nextPacket(Buffer.alloc(160), 50)));
    // RTP version 3: first octet 0xC0 is outside RFC 7983's 128-191 RTP/RTCP range
    const v3 = Buffer.from(serializeRtp({ marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1, csrcs: [], extension: null, payload: Buffer.alloc(20), paddingLength: 0 }));
    v3[0] = 0xc0;
    await peer.sendRaw(v3);

    // good audio after
    for (let i = 0; i < 5; i++) await peer.sendRaw(peer.protect(peer.nextPacket(peer.toneFrame(400))));
    await waitUntil(() => b.peer.received.length >= 10, 'good audio after the bad packets');
    await sleep(50);

    expect(b.peer.received).toHaveLength(10); // exactly the ten good packets got through
    expect(b.peer.undecryptable).toBe(0);
    const drops = a.leg.counters().drops;
    expect(drops).toEqual({ truncated: 1, 'auth-failed': 2, replay: 2, 'not-rtp': 3, 'malformed-rtp': 1, 'unknown-payload-type': 1 });
    for (const r of reasons) expect((await droppedTotal(r)) - (before.get(r) ?? 0), r).toBe(drops[r]);
    expect(a.leg.counters().rtpIn).toBe(10);
  });
});
