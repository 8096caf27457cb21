/**
 * media.socket_engine: what each setting does when the native addon loads, does not load, or
 * fails its self-test; the metric says which engine runs; sockets opened afterwards use it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DgramMediaSocket } from '../../../src/adapters/media/media-socket.ts';
import type { MediaSocket } from '../../../src/adapters/media/media-socket.ts';
import { NativeMediaSocket } from '../../../src/adapters/media/native-udp.ts';
import { nativeSocketEngine, openMediaSocket, selectSocketEngine, selfTest, socketEngineName } from '../../../src/adapters/media/socket-engine.ts';
import { GatehouseError } from '../../../src/core/errors.ts';
import { registry } from '../../../src/metrics/registry.ts';

async function engineMetric(): Promise<string> {
  return (await registry.getSingleMetricAsString('gatehouse_media_socket_engine_info')).split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

afterAll(async () => {
  await selectSocketEngine('node');
});

describe('media.socket_engine', () => {
  it('auto without the addon: node:dgram, and the reason to put in the warning', async () => {
    const choice = await selectSocketEngine('auto', '/x/media-udp.node');
    expect(choice.engine).toBe('node');
    expect(choice.fallbackReason).toMatch(/\/x\/media-udp\.node is not built \(run `npm run build:native`/);
    expect(socketEngineName()).toBe('node');
    expect(await engineMetric()).toBe('gatehouse_media_socket_engine_info{engine="node"} 1');
    const s = await openMediaSocket('127.0.0.1', 0);
    expect(s).toBeInstanceOf(DgramMediaSocket);
    await s.close();
  });

  it('native without the addon: a config error naming the key', async () => {
    const err = await selectSocketEngine('native', '/x/media-udp.node').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect((err as Error).message).toMatch(/^media\.socket_engine: native is not usable: \/x\/media-udp\.node is not built.*set media\.socket_engine: auto\|node$/);
    expect(socketEngineName()).toBe('node');
  });

  it('auto with the built addon: native, its self-test passed, new sockets are native', async () => {
    const choice = await selectSocketEngine('auto');
    expect(choice).toEqual({ engine: 'native' });
    expect(socketEngineName()).toBe('native');
    expect(await engineMetric()).toBe('gatehouse_media_socket_engine_info{engine="native"} 1');
    const s = await openMediaSocket('127.0.0.1', 0);
    expect(s).toBeInstanceOf(NativeMediaSocket);
    expect(s.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    await s.close();
  });

  it('node: node:dgram even when the addon is there', async () => {
    expect(await selectSocketEngine('node')).toEqual({ engine: 'node' });
    const s = await openMediaSocket('127.0.0.1', 0);
    expect(s).toBeInstanceOf(DgramMediaSocket);
    await s.close();
  });

  it('the self-test catches an engine that does not move datagrams correctly', async () => {
    await selectSocketEngine('native');
    const engine = nativeSocketEngine();
    if (engine === null) throw new Error('native socket engine not loaded');
    const open = (address: string, port: number): MediaSocket => engine.open(address, port);
    expect(await selfTest(open)).toBeNull();
    /** An engine like the real one but for the methods `faulty` replaces. */
    const broken =
      (faulty: (s: MediaSocket) => Partial<MediaSocket>) =>
      (address: string, port: number): MediaSocket => {
        const s = open(address, port);
        return {
          address: () => s.address(),
          onError: () => {},
          send: (b, l, p, a, done) => s.send(b, l, p, a, done),
          close: () => s.close(),
          setReceiver: (h, oversize) => s.setReceiver(h, oversize),
          ...faulty(s),
        };
      };
    // sends that never leave
    expect(await selfTest(broken(() => ({ send: (_b, _l, _p, _a, done) => done(null) })), 300)).toBe('no datagram arrived');
    // bytes cut short on the way in, and no oversize report
    const cutting = broken((s) => ({ setReceiver: (h) => s.setReceiver(h === null ? null : (msg, rinfo) => h(msg.subarray(0, 4), rinfo)) }));
    expect(await selfTest(cutting, 300)).toBe('the bytes received differ from those sent');
    // whole datagrams, but an oversize one delivered instead of reported
    const noOversize = broken((s) => ({ send: (b, l, p, a, done) => s.send(b, Math.min(l, 64), p, a, done) }));
    expect(await selfTest(noOversize, 300)).toBe('a 9217-octet datagram was delivered as 64 octets');
    expect(engine.openSockets).toBe(0); // the self-test closes what it opened
  });
});
