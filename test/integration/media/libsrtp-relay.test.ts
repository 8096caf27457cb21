/**
 * Independence from our own SRTP core: the packets one peer sends are protected by libsrtp2,
 * and what each peer receives is unprotected by libsrtp2 with the key from the gateway's side
 * of the offer/answer. The gateway relays between an AEAD_AES_256_GCM leg and an
 * AES_CM_128_HMAC_SHA1_80 leg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer } from '../../helpers/media-fixture.ts';
import { Libsrtp } from '../../helpers/media-libsrtp.ts';
import { keyBytes, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

let libsrtp: Libsrtp;
beforeAll(() => {
  libsrtp = Libsrtp.compile();
});
afterAll(() => libsrtp.dispose());

describe('relay checked by libsrtp2', () => {
  it('libsrtp-protected GCM-256 in, libsrtp-verified SHA1_80 out (and the reverse direction verified by libsrtp too)', async () => {
    const allocator = testAllocator();
    const a = await legWithPeer(allocator, { id: 'a', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 });
    const b = await legWithPeer(allocator, { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    const all: LegAndPeer[] = [a, b];
    const room = new MediaRoom({ id: 'r' });
    try {
      room.addLeg(a.leg);
      room.addLeg(b.leg);
      // A's 20 packets: plain RTP built here, protected by libsrtp2 with A's (the peer's) key
      const plainA = Array.from({ length: 20 }, () => a.peer.nextPacket(a.peer.toneFrame(400)));
      const wireA = libsrtp.run('AEAD_AES_256_GCM', 'protect', keyBytes(a.peerKey), plainA).map((h) => Buffer.from(h, 'hex'));
      expect(wireA.every((p) => p.length === 172 + 16)).toBe(true);
      // B's 20 packets protected by our core
      const plainB = Array.from({ length: 20 }, () => b.peer.nextPacket(b.peer.toneFrame(1000)));
      for (let i = 0; i < 20; i++) {
        await a.peer.sendRaw(wireA[i] ?? Buffer.alloc(0));
        await b.peer.sendRaw(b.peer.protect(plainB[i] ?? Buffer.alloc(0)));
        await sleep(20);
      }
      await waitUntil(() => b.peer.raw.length >= 20 && a.peer.raw.length >= 20, '20 relayed packets each way');

      // what B got, unprotected by libsrtp2 under the SHA1_80 key the gateway put in B's answer
      const atB = libsrtp.run('AES_CM_128_HMAC_SHA1_80', 'unprotect', keyBytes(b.gatewayKey), b.peer.raw.slice(0, 20));
      expect(atB.filter((l) => l.startsWith('ERR'))).toEqual([]);
      expect(atB.map((h) => h.slice(24))).toEqual(plainA.map((p) => p.subarray(12).toString('hex')));
      expect(new Set(atB.map((h) => h.slice(16, 24)))).toEqual(new Set([b.leg.ssrc.toString(16).padStart(8, '0')]));

      // what A got, unprotected by libsrtp2 under the GCM-256 key the gateway put in A's answer
      const atA = libsrtp.run('AEAD_AES_256_GCM', 'unprotect', keyBytes(a.gatewayKey), a.peer.raw.slice(0, 20));
      expect(atA.filter((l) => l.startsWith('ERR'))).toEqual([]);
      expect(atA.map((h) => h.slice(24))).toEqual(plainB.map((p) => p.subarray(12).toString('hex')));

      // and under the wrong leg's key libsrtp2 refuses them (the legs really use different keys)
      const crossed = libsrtp.run('AES_CM_128_HMAC_SHA1_80', 'unprotect', keyBytes(b.peerKey), b.peer.raw.slice(0, 3));
      expect(crossed.every((l) => l.startsWith('ERR'))).toBe(true);
    } finally {
      room.close();
      await closeAll(all);
    }
  });
});
