/**
 * The native media socket engine (native/media-udp.c) on real loopback sockets: datagrams
 * arrive whole, in order and from the right source across many batches; a socket closed during
 * a batch gets nothing more; a throwing handler neither loses the rest of the batch nor goes
 * unreported; IPv6 and dual-stack sockets; names as destinations; send errors reach `done`;
 * oversize datagrams are counted on the leg, never delivered cut short; a full send buffer
 * queues datagrams in order instead of dropping them (a rate-limited veth into a network
 * namespace the test creates); open sockets keep the process alive and closed ones do not.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaRoom } from '../../../src/adapters/media/media-room.ts';
import type { MediaSocket } from '../../../src/adapters/media/media-socket.ts';
import { NativeMediaSocket } from '../../../src/adapters/media/native-udp.ts';
import { nativeSocketEngine, openMediaSocket, selectSocketEngine } from '../../../src/adapters/media/socket-engine.ts';
import { droppedTotal, mediaSocketSendsQueued } from '../../../src/metrics/media.ts';
import { Netns } from '../../helpers/linphone.ts';
import { closeAll, legWithPeer, testAllocator } from '../../helpers/media-fixture.ts';
import type { LegAndPeer } from '../../helpers/media-fixture.ts';
import { waitUntil } from '../../helpers/rtp-peer.ts';

const sockets: MediaSocket[] = [];
const peers: Socket[] = [];

beforeAll(async () => {
  await selectSocketEngine('native'); // fails loudly when not built (npm run build:native)
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
  await Promise.all(peers.splice(0).map((p) => new Promise<void>((r) => p.close(() => r()))));
});
afterAll(async () => {
  await selectSocketEngine('node');
});

async function open(address = '127.0.0.1'): Promise<MediaSocket> {
  const s = await openMediaSocket(address, 0);
  expect(s).toBeInstanceOf(NativeMediaSocket);
  sockets.push(s);
  return s;
}

async function peer(type: 'udp4' | 'udp6' = 'udp4', address = '127.0.0.1'): Promise<Socket> {
  const p = createSocket(type);
  await new Promise<void>((resolve) => p.bind(0, address, () => resolve()));
  peers.push(p);
  return p;
}

function sendFrom(p: Socket, bytes: Buffer, port: number, address = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => p.send(bytes, port, address, (err) => (err ? reject(err) : resolve())));
}

describe('native media socket engine (real sockets on loopback)', () => {
  it('delivers bursts to several sockets whole, in order, from the right source, across many batches', async () => {
    const targets = [await open(), await open(), await open()];
    const from = await peer();
    const got = targets.map(() => [] as number[]);
    const wrong: string[] = [];
    targets.forEach((t, i) =>
      t.setReceiver((msg, rinfo) => {
        const seq = msg.readUInt32BE(0);
        if (rinfo.address !== '127.0.0.1' || rinfo.port !== from.address().port || rinfo.size !== msg.length) wrong.push(`${seq}: source ${rinfo.address}:${rinfo.port} size ${rinfo.size}`);
        // length and filler vary with the sequence number: a reused slot shows as a mismatch
        if (msg.length !== 100 + (seq % 300) || !msg.subarray(4).every((b) => b === (seq & 0xff))) wrong.push(`${seq}: bytes`);
        got[i]?.push(seq);
      }),
    );
    const N = 1200; // per socket, > the 256 slots of a batch several times over
    const sends: Promise<void>[] = [];
    for (let seq = 0; seq < N; seq++) {
      const b = Buffer.alloc(100 + (seq % 300), seq & 0xff);
      b.writeUInt32BE(seq, 0);
      for (const t of targets) sends.push(sendFrom(from, b, t.address().port));
      if (seq % 40 === 39) {
        // stay well under the sockets' receive buffers: a kernel drop would not be the engine's
        await Promise.all(sends.splice(0));
        await new Promise((r) => setImmediate(r));
      }
    }
    await Promise.all(sends);
    await waitUntil(() => got.every((g) => g.length >= N), `all ${N} datagrams at each socket`, 10_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: got ${got.map((g) => g.length).join(', ')}`);
    });
    expect(wrong).toEqual([]);
    for (const g of got) expect(g).toEqual([...Array(N).keys()]);
  });

  it('a socket closed during a batch gets none of its datagrams still in that batch', async () => {
    const a = await open();
    const b = await open();
    const from = await peer();
    let closedB = false;
    let afterClose = 0;
    let heardA = 0;
    b.setReceiver(() => {
      if (closedB) afterClose++;
    });
    a.setReceiver(() => {
      heardA++;
      if (!closedB) {
        closedB = true;
        void b.close();
      }
    });
    // queued before the engine reads: both sockets' datagrams land in the same batches
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) sends.push(sendFrom(from, Buffer.alloc(20), a.address().port), sendFrom(from, Buffer.alloc(20), b.address().port));
    await Promise.all(sends);
    // every datagram was queued before the first batch: once A has all of its own, B's were read too
    await waitUntil(() => heardA === 50, "all of A's datagrams");
    expect(afterClose).toBe(0);
    expect(nativeSocketEngine()?.openSockets).toBe(1);
  });

  it('IPv6 and dual stack: v4-mapped sources, and replies to an IPv4 literal', async () => {
    const v6 = await open('::1');
    const p6 = await peer('udp6', '::1');
    const heard6 = new Promise<string>((resolve) => v6.setReceiver((msg, rinfo) => resolve(`${msg.toString()} ${rinfo.address} ${rinfo.family} ${rinfo.port}`)));
    await sendFrom(p6, Buffer.from('six'), v6.address().port, '::1');
    expect(await heard6).toBe(`six ::1 IPv6 ${p6.address().port}`);

    const dual = await open('::');
    const p4 = await peer();
    const heard4 = new Promise<string>((resolve) => dual.setReceiver((msg, rinfo) => resolve(`${msg.toString()} ${rinfo.address} ${rinfo.port}`)));
    await sendFrom(p4, Buffer.from('four'), dual.address().port);
    expect(await heard4).toBe(`four ::ffff:127.0.0.1 ${p4.address().port}`);
    const back = new Promise<string>((resolve) => p4.once('message', (msg) => resolve(msg.toString())));
    dual.send(Buffer.from('back'), 4, p4.address().port, '127.0.0.1', (err) => expect(err).toBeNull());
    expect(await back).toBe('back');
  });

  it('a name as destination is resolved (SDP c= may carry an FQDN), and send errors reach done', async () => {
    const s = await open();
    const p = await peer();
    const heard = new Promise<string>((resolve) => p.once('message', (msg) => resolve(msg.toString())));
    await new Promise<void>((resolve, reject) => s.send(Buffer.from('by name'), 7, p.address().port, 'localhost', (err) => (err ? reject(err) : resolve())));
    expect(await heard).toBe('by name');
    // the kernel refuses a broadcast without SO_BROADCAST: nothing leaves the host
    const err = await new Promise<Error | null>((resolve) => s.send(Buffer.from('x'), 1, 9, '255.255.255.255', resolve));
    expect(err).toMatchObject({ code: 'EACCES' });
    const bad = await new Promise<Error | null>((resolve) => s.send(Buffer.from('x'), 1, 9, 'no-such-host.invalid', resolve));
    expect(bad).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('binding a port in use fails with EADDRINUSE, as node:dgram', async () => {
    const s = await open();
    await expect(openMediaSocket('127.0.0.1', s.address().port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('an oversize datagram on a live call is counted on the leg, never delivered cut short; audio goes on', async () => {
    const allocator = testAllocator();
    const legs: LegAndPeer[] = [];
    try {
      const a = await legWithPeer(allocator, { id: 'a', suite: 'AEAD_AES_256_GCM', codec: 'PCMU', pt: 0 });
      const b = await legWithPeer(allocator, { id: 'b', suite: 'AES_CM_128_HMAC_SHA1_80', codec: 'PCMU', pt: 0 });
      legs.push(a, b);
      const room = new MediaRoom({ id: 'r' });
      room.addLeg(a.leg);
      room.addLeg(b.leg);
      const before = await droppedTotal('oversize');
      await a.peer.sendTone(400, 5);
      await waitUntil(() => b.peer.received.length >= 5, 'audio at B');
      await a.peer.sendRaw(Buffer.alloc(20_000, 0x80));
      await waitUntil(() => a.leg.drops.get('oversize') === 1, 'oversize counted on leg A');
      expect(await droppedTotal('oversize')).toBe(before + 1);
      await a.peer.sendTone(400, 5);
      await waitUntil(() => b.peer.received.length >= 10, 'audio at B after it');
      room.close();
    } finally {
      await closeAll(legs);
    }
  });
});

describe('native media socket engine: a full send buffer', () => {
  it('queues datagrams in order when the kernel pushes back (EAGAIN) and sends them all once writable', async () => {
    // a veth into a namespace of our own, shaped to 20 Mbit/s: skbs waiting in the qdisc count
    // against the socket's send buffer, so a 1 MB burst fills it (the queue takes up to 1024)
    const ns = await Netns.create();
    const net = `10.213.${process.pid % 250}`;
    const veth = `ghq${process.pid % 100000}`;
    const ip = (...args: string[]): void => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    };
    const N = 1000;
    try {
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
      ip('link', 'set', `${veth}p`, 'netns', ns.name);
      ip('addr', 'add', `${net}.1/30`, 'dev', veth);
      ip('link', 'set', veth, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'addr', 'add', `${net}.2/30`, 'dev', `${veth}p`);
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', `${veth}p`, 'up');
      const tc = spawnSync('tc', ['qdisc', 'add', 'dev', veth, 'root', 'tbf', 'rate', '20mbit', 'burst', '16kb', 'limit', '8mb'], { encoding: 'utf8' });
      if (tc.status !== 0) throw new Error(`tc (iproute2) could not shape ${veth}: ${tc.stderr.trim()}`);
      // the receiver, inside the namespace: counts datagrams and checks their order
      const receiver = ns.spawn(process.execPath, [
        '-e',
        `const s = require('node:dgram').createSocket('udp4'); let next = 0, bad = 0;
         s.on('message', (m) => { if (m.readUInt32BE(0) !== next) bad++; next = m.readUInt32BE(0) + 1; if (next === ${N}) { console.log('got ' + next + ' bad ' + bad); process.exit(0); } });
         s.bind(5000, '${net}.2', () => console.log('ready'));`,
      ]);
      let out = '';
      receiver.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await waitUntil(() => out.includes('ready'), 'receiver bound');
      const s = await openMediaSocket(`${net}.1`, 0);
      sockets.push(s);
      const queuedBefore = (await mediaSocketSendsQueued.get()).values[0]?.value ?? 0;
      const errors: Error[] = [];
      for (let seq = 0; seq < N; seq++) {
        const b = Buffer.alloc(1000);
        b.writeUInt32BE(seq, 0);
        s.send(b, b.length, 5000, `${net}.2`, (err) => {
          if (err !== null) errors.push(err);
        });
      }
      expect(errors).toEqual([]);
      nativeSocketEngine()?.publishStats();
      const queued = ((await mediaSocketSendsQueued.get()).values[0]?.value ?? 0) - queuedBefore;
      expect(queued).toBeGreaterThan(0); // the kernel did push back: the queue was used
      await waitUntil(() => out.includes('got'), `all ${N} datagrams in the namespace (queued ${queued})`, 20_000);
      expect(out).toContain(`got ${N} bad 0`);
    } finally {
      spawnSync('ip', ['link', 'del', veth], { stdio: 'ignore' });
      await ns.delete();
    }
  });
});

const run = promisify(execFile);
const SOCKET_ENGINE = fileURLToPath(new URL('../../../src/adapters/media/socket-engine.ts', import.meta.url));

/** A fresh Node process: uncaught exceptions and event-loop liveness are per process. */
async function child(script: string): Promise<{ code: number; stdout: string }> {
  const src = `import { selectSocketEngine, openMediaSocket } from ${JSON.stringify(SOCKET_ENGINE)};\nawait selectSocketEngine('native');\n${script}`;
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', src], { timeout: 15_000 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

describe('native media socket engine: process behaviour', () => {
  it('a handler that throws: the rest of the batch is delivered, the error reaches uncaughtException', async () => {
    const r = await child(`
      let delivered = 0; let uncaught = '';
      process.on('uncaughtException', (e) => { uncaught = e.message; });
      const s = await openMediaSocket('127.0.0.1', 0);
      const t = await openMediaSocket('127.0.0.1', 0);
      s.setReceiver(() => { delivered++; if (delivered === 1) throw new Error('handler bug'); });
      for (let i = 0; i < 10; i++) t.send(Buffer.alloc(8), 8, s.address().port, '127.0.0.1', () => {});
      setTimeout(async () => { console.log(delivered + ' ' + uncaught); await s.close(); await t.close(); }, 300);
    `);
    expect(r).toEqual({ code: 0, stdout: '10 handler bug\n' });
  });

  it('an open socket keeps the process alive; once every socket is closed it may exit', async () => {
    const alive = await child(`
      await openMediaSocket('127.0.0.1', 0);
      setTimeout(() => process.exit(7), 300).unref();
    `);
    expect(alive.code).toBe(7);
    const done = await child(`
      const s = await openMediaSocket('127.0.0.1', 0);
      await s.close();
      setTimeout(() => process.exit(7), 3000).unref();
    `);
    expect(done.code).toBe(0);
  });
});
