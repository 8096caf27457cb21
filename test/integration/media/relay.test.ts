/**
 * Two-party relay over real sockets on 127.0.0.1: audio both ways between an AEAD_AES_256_GCM
 * leg and an AES_CM_128_HMAC_SHA1_80 leg, each peer decrypting with its own leg's key; PT
 * remapping; PCMU<->PCMA and G.722<->PCMU transcoding; a codec the room cannot decode (iLBC)
 * forwarded only to the same codec. Opus transcoding and mixing: opus.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import type { MediaEvent } from '../../../src/adapters/media/media-types.ts';
import { GatehouseError } from '../../../src/core/errors.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer, LegSpec } from '../../helpers/media-fixture.ts';
import { amplitudeAt, sleep, waitUntil } from '../../helpers/rtp-peer.ts';

const allocator = testAllocator();
let open: LegAndPeer[] = [];
let rooms: MediaRoom[] = [];

afterEach(async () => {
  for (const r of rooms) r.close();
  await closeAll(open);
  open = [];
  rooms = [];
});

async function pair(a: Omit<LegSpec, 'id'>, b: Omit<LegSpec, 'id'>, events: MediaEvent[] = []): Promise<[LegAndPeer, LegAndPeer, MediaRoom]> {
  const x = await legWithPeer(allocator, { id: 'a', ...a });
  const y = await legWithPeer(allocator, { id: 'b', ...b });
  open.push(x, y);
  const room = new MediaRoom({ id: 'r', onEvent: (e) => events.push(e) });
  rooms.push(room);
  room.addLeg(x.leg);
  room.addLeg(y.leg);
  return [x, y, room];
}

/** Amplitude at `freq` over the received audio after the first `skip` samples (codec/resampler start-up). */
function heard(p: LegAndPeer, pt: number, codec: 'PCMU' | 'PCMA' | 'G722', freq: number, skip = 800): number {
  const pcm = p.peer.decoded(pt, codec);
  const rate = codec === 'G722' ? 16000 : 8000;
  return amplitudeAt(pcm.subarray(skip), freq, rate);
}

describe('two-party relay (RFC 3711 / RFC 7714 re-encryption per leg)', () => {
  it('AEAD_AES_256_GCM leg <-> AES_CM_128_HMAC_SHA1_80 leg: audio both ways, each decrypting with its own leg key', async () => {
    const [a, b] = await pair({ suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 }, { suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
    const sentByA: Buffer[] = [];
    const sendA = (async () => {
      for (let i = 0; i < 25; i++) {
        const frame = a.peer.toneFrame(400);
        sentByA.push(frame);
        await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(frame)));
        await sleep(20);
      }
    })();
    await Promise.all([sendA, b.peer.sendTone(1000, 25)]);
    await waitUntil(() => b.peer.received.length >= 25 && a.peer.received.length >= 25, 'relayed audio both ways');

    // B decrypted everything with the SHA1_80 key of its leg, A with the GCM-256 key of its leg
    expect(b.peer.undecryptable).toBe(0);
    expect(a.peer.undecryptable).toBe(0);
    // same codec: the payloads arrive bit-exact, in order, as one stream of the leg's SSRC
    expect(b.peer.audio(0).map((p) => Buffer.from(p.payload).toString('hex'))).toEqual(sentByA.map((f) => f.toString('hex')));
    const bSeq = b.peer.audio(0).map((p) => p.sequenceNumber);
    bSeq.slice(1).forEach((s, i) => expect(s).toBe(((bSeq[i] ?? 0) + 1) & 0xffff));
    expect(new Set(b.peer.audio(0).map((p) => p.ssrc))).toEqual(new Set([b.leg.ssrc]));
    expect(new Set(a.peer.audio(0).map((p) => p.ssrc))).toEqual(new Set([a.leg.ssrc]));
    expect(b.leg.ssrc).not.toBe(a.peer.ssrc);
    // what each peer hears is the other's tone
    expect(heard(b, 0, 'PCMU', 400)).toBeGreaterThan(7000);
    expect(heard(a, 0, 'PCMU', 1000)).toBeGreaterThan(7000);
    expect(heard(a, 0, 'PCMU', 400)).toBeLessThan(100);
    expect(a.leg.counters().drops).toEqual({});
    expect(b.leg.counters().drops).toEqual({});
  });

  it('remaps payload types: telephone-event 101 -> 96 and Opus 111 -> 96 (forwarded Opus-to-Opus, not decoded)', async () => {
    const events: MediaEvent[] = [];
    const [a, b] = await pair(
      { suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 111, formats: [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2 }, { pt: 101, name: 'telephone-event', clockRate: 48000 }] },
      { suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 96, formats: [{ pt: 96, name: 'OPUS', clockRate: 48000, channels: 2 }, { pt: 97, name: 'telephone-event', clockRate: 48000 }] },
      events,
    );
    const opaque = Buffer.from('fc ff fe 01 02 03'.replace(/ /g, ''), 'hex');
    for (let i = 0; i < 5; i++) await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(opaque, 111, false, 960)));
    // RFC 4733 DTMF '5': two updates and the end packet sent three times (2.5.1.4), one timestamp
    const start = a.peer.ts;
    for (const [end, dur] of [[0, 480], [0, 960], [1, 1440], [1, 1440], [1, 1440]] as const) {
      a.peer.ts = start;
      await a.peer.sendRaw(a.peer.protect(a.peer.nextPacket(Buffer.from([5, end ? 0x8a : 0x0a, dur >> 8, dur & 0xff]), 101, dur === 480)));
    }
    await waitUntil(() => b.peer.received.length >= 10, 'opus and DTMF at B');
    expect(b.peer.audio(96).map((p) => Buffer.from(p.payload).toString('hex'))).toEqual(Array(5).fill(opaque.toString('hex')));
    const dtmf = b.peer.audio(97);
    expect(dtmf).toHaveLength(5);
    expect(dtmf.map((p) => p.payload[0])).toEqual([5, 5, 5, 5, 5]);
    expect(new Set(dtmf.map((p) => p.timestamp)).size).toBe(1);
    expect(events.filter((e) => e.type === 'dtmf')).toEqual([{ type: 'dtmf', legId: 'a', event: 5, end: true }]);
  });

  it('transcodes PCMU <-> PCMA (G.711 code tables)', async () => {
    const [a, b] = await pair({ suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 }, { suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMA', pt: 8 });
    await Promise.all([a.peer.sendTone(400, 25), b.peer.sendTone(1000, 25)]);
    await waitUntil(() => b.peer.received.length >= 25 && a.peer.received.length >= 25, 'transcoded audio both ways');
    expect(b.peer.audio(8)).toHaveLength(25);
    expect(a.peer.audio(0)).toHaveLength(25);
    // within tandem G.711 quantisation error (a 1 kHz tone hits only 8 phases: a fixed bias ~4%)
    expect(Math.abs(heard(b, 8, 'PCMA', 400, 0) - 8000)).toBeLessThan(500);
    expect(Math.abs(heard(a, 0, 'PCMU', 1000, 0) - 8000)).toBeLessThan(500);
    expect(heard(b, 8, 'PCMA', 1000, 0)).toBeLessThan(100);
  });

  it('transcodes G.722 <-> PCMU with 8/16 kHz resampling', async () => {
    const [a, b] = await pair({ suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'G722', pt: 9 }, { suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 });
    await Promise.all([a.peer.sendTone(1000, 30), b.peer.sendTone(600, 30)]);
    await waitUntil(() => b.peer.received.length >= 30 && a.peer.received.length >= 30, 'transcoded audio both ways');
    expect(b.peer.audio(0)).toHaveLength(30);
    expect(a.peer.audio(9)).toHaveLength(30);
    // G.722 is lossy and both resamplers add delay: generous bounds, the other tone absent
    expect(heard(b, 0, 'PCMU', 1000)).toBeGreaterThan(6000);
    expect(heard(a, 9, 'G722', 600, 1600)).toBeGreaterThan(6000);
    expect(heard(a, 9, 'G722', 1000, 1600)).toBeLessThan(300);
  });

  it('refuses a pair it cannot serve: iLBC with PCMU (488, no decoder), and iLBC in a three-party mix', async () => {
    const ilbc = [{ pt: 97, name: 'iLBC', clockRate: 8000 }];
    const x = await legWithPeer(allocator, { id: 'x', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 97, formats: ilbc });
    const y = await legWithPeer(allocator, { id: 'y', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 });
    const z = await legWithPeer(allocator, { id: 'z', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 97, formats: ilbc });
    open.push(x, y, z);
    const room = new MediaRoom({ id: 'r' });
    rooms.push(room);
    room.addLeg(x.leg);
    const err = (() => {
      try {
        room.addLeg(y.leg);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toMatchObject({ code: 'MEDIA_NO_COMMON_CODEC', sipStatus: 488 });
    expect((err as Error).message).toMatch(/iLBC\/8000 cannot be decoded/);
    expect(room.size).toBe(1);
    room.addLeg(z.leg);
    expect(room.mode).toBe('relay');
    expect(() => room.addLeg(y.leg)).toThrow(expect.objectContaining({ code: 'MEDIA_CODEC_NOT_MIXABLE', sipStatus: 488, sipReason: 'iLBC cannot be mixed; offer opus, PCMU, PCMA or G722' }) as Error);
    expect(room.size).toBe(2);
    expect(room.mode).toBe('relay');
  });
});
