import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MediaSocket } from '../../../src/adapters/media/media-socket.ts';
import { MediaPortAllocator, type MediaPorts } from '../../../src/adapters/media/port-allocator.ts';
import { selectSocketEngine } from '../../../src/adapters/media/socket-engine.ts';
import { GatehouseError } from '../../../src/core/errors.ts';

// Real sockets on loopback. Each test uses its own small range so parallel test files do not
// meet; the ranges sit in the dynamic area above what other tests here use.
const held: MediaPorts[] = [];
const foreign: Socket[] = [];

afterEach(async () => {
  await Promise.all(held.splice(0).map((p) => p.release()));
  await Promise.all(foreign.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function take(a: MediaPortAllocator, rtcpMux: boolean): Promise<MediaPorts> {
  const p = await a.allocate({ rtcpMux });
  held.push(p);
  return p;
}

function bindForeign(port: number, address = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(port, address, () => {
      foreign.push(s);
      resolve(s);
    });
  });
}

function roundTrip(from: MediaSocket, toPort: number, to: MediaSocket, address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    to.setReceiver((msg) => resolve(msg.toString()));
    from.send(Buffer.from('ping'), 4, toPort, address, (err) => {
      if (err !== null) reject(err);
    });
  });
}

// both socket engines (media.socket_engine): node:dgram and the native batched one
describe.each(['node', 'native'] as const)('MediaPortAllocator (real UDP sockets on loopback, %s socket engine)', (engine) => {
  beforeAll(async () => {
    await selectSocketEngine(engine);
  });
  afterAll(async () => {
    await selectSocketEngine('node');
  });

  it('binds an even RTP port and RTP+1 for RTCP (RFC 3550 11), both usable', async () => {
    const a = new MediaPortAllocator({ range: { min: 42101, max: 42120 }, address: '127.0.0.1' });
    const p = await take(a, false);
    expect(p.rtpPort % 2).toBe(0);
    expect(p.rtpPort).toBe(42102); // odd min: first even port above it
    expect(p.rtcpPort).toBe(p.rtpPort + 1);
    expect(p.rtp.address().port).toBe(p.rtpPort);
    expect(p.rtcp?.address().port).toBe(p.rtcpPort);
    expect(await roundTrip(p.rtp, p.rtcpPort, p.rtcp ?? p.rtp, '127.0.0.1')).toBe('ping');
    expect(a.inUse).toBe(2);
  });

  it('rtcp-mux (RFC 5761) allocates a single socket', async () => {
    const a = new MediaPortAllocator({ range: { min: 42130, max: 42139 }, address: '127.0.0.1' });
    const p = await take(a, true);
    expect(p.rtcp).toBeNull();
    expect(p.rtcpPort).toBe(p.rtpPort);
    expect(a.inUse).toBe(1);
  });

  it('moves on when another process holds a port (EADDRINUSE), RTP or RTCP', async () => {
    await bindForeign(42140);
    await bindForeign(42143); // RTCP of the second pair
    const a = new MediaPortAllocator({ range: { min: 42140, max: 42149 }, address: '127.0.0.1' });
    const p = await take(a, false);
    expect(p.rtpPort).toBe(42144);
    expect(a.inUse).toBe(2); // the failed candidates were given back
  });

  it('exhaustion: a clear capacity error naming the range', async () => {
    const a = new MediaPortAllocator({ range: { min: 42150, max: 42153 }, address: '127.0.0.1' });
    await take(a, false);
    await take(a, false);
    const err = await a.allocate({ rtcpMux: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toMatchObject({ category: 'capacity', code: 'MEDIA_PORTS_EXHAUSTED', sipStatus: 503 });
    expect((err as Error).message).toContain('42150-42153 on 127.0.0.1');
    // a one-port range has no room for an RTP/RTCP pair but still serves a muxed leg
    const b = new MediaPortAllocator({ range: { min: 42154, max: 42154 }, address: '127.0.0.1' });
    await expect(b.allocate({ rtcpMux: false })).rejects.toMatchObject({ code: 'MEDIA_PORTS_EXHAUSTED' });
    expect((await take(b, true)).rtpPort).toBe(42154);
  });

  it('concurrent allocations never share a port, and the one too many fails', async () => {
    const a = new MediaPortAllocator({ range: { min: 42160, max: 42179 }, address: '127.0.0.1' });
    const results = await Promise.allSettled(Array.from({ length: 11 }, () => a.allocate({ rtcpMux: false })));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    held.push(...ok);
    expect(ok.length).toBe(10);
    expect(new Set(ok.map((p) => p.rtpPort)).size).toBe(10);
    const failed = results.find((r) => r.status === 'rejected');
    expect(failed?.status === 'rejected' && failed.reason).toMatchObject({ code: 'MEDIA_PORTS_EXHAUSTED' });
  });

  it('release returns the ports (idempotent); the search continues round robin', async () => {
    const a = new MediaPortAllocator({ range: { min: 42180, max: 42183 }, address: '127.0.0.1' });
    const first = await a.allocate({ rtcpMux: false });
    await first.release();
    await first.release();
    expect(a.inUse).toBe(0);
    const second = await take(a, false);
    expect(second.rtpPort).toBe(42182); // not the just-released port
    const third = await take(a, false);
    expect(third.rtpPort).toBe(42180); // wrapped around to the released one
  });

  it('IPv6 loopback', async () => {
    const a = new MediaPortAllocator({ range: { min: 42190, max: 42199 }, address: '::1' });
    const p = await take(a, false);
    expect(p.rtp.address()).toMatchObject({ address: '::1', family: 'IPv6', port: p.rtpPort });
    expect(await roundTrip(p.rtp, p.rtcpPort, p.rtcp ?? p.rtp, '::1')).toBe('ping');
  });

  it('rejects an invalid range at construction (config error)', () => {
    expect(() => new MediaPortAllocator({ range: { min: 5000, max: 4000 }, address: '127.0.0.1' })).toThrow(GatehouseError);
    expect(() => new MediaPortAllocator({ range: { min: 80, max: 4000 }, address: '127.0.0.1' })).toThrow(/1024-65535/);
  });

  it('a non-EADDRINUSE bind failure is reported, not skipped', async () => {
    const a = new MediaPortAllocator({ range: { min: 42200, max: 42209 }, address: '192.0.2.1' }); // TEST-NET, not local
    await expect(a.allocate({ rtcpMux: true })).rejects.toMatchObject({ code: 'MEDIA_PORT_BIND_FAILED' });
    expect(a.inUse).toBe(0);
  });
});
