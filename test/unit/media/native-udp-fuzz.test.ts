/**
 * The native media socket addon's argument checks, fuzzed: whatever JavaScript hands it (wrong
 * types, stale or foreign socket ids, negative, fractional or huge offsets and ports, ranges past
 * the end of a buffer, addresses that are not literals), every call either does what it says
 * inside the buffers it was given or throws: TypeError/RangeError for a bad argument, an Error
 * with an errno code for the OS refusing (bind). Bytes outside the range a send was given are
 * never sent. The process must survive all of it: a crash would end every call of the gateway.
 */
import fc from 'fast-check';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaUdpBinding } from '../../../src/adapters/media/native-udp.ts';
import { nativeSocketEngine, selectSocketEngine } from '../../../src/adapters/media/socket-engine.ts';

let b: MediaUdpBinding;
let live: number;
let stale: number;
let sink: Socket;
let sinkPort: number;
const received: Buffer[] = [];

beforeAll(async () => {
  await selectSocketEngine('native'); // fails loudly when not built (npm run build:native)
  const engine = nativeSocketEngine();
  if (engine === null) throw new Error('native socket engine not loaded');
  b = engine.binding;
  live = b.open(4, '127.0.0.1', 0);
  stale = b.open(4, '127.0.0.1', 0);
  b.close(stale);
  sink = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
  sinkPort = sink.address().port;
  sink.on('message', (m) => received.push(m));
});

afterAll(async () => {
  b.close(live);
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  await selectSocketEngine('node');
});

/** An argument as hostile JavaScript might pass it. */
const anyArg = fc.oneof(
  fc.integer({ min: -5, max: 400 }), // ports other tests never use (they bind 0 or high ports)
  fc.constantFrom(-1, 65_535, 65_536, 70_000, 2 ** 31, 2 ** 32, 2 ** 53, Number.NaN, Infinity, -Infinity, 0.5, 1e-9, 4, 6),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(undefined, null, 'x', '', '127.0.0.1', '::1', '1.2.3.4.5', 'a'.repeat(200), {}, [], true, new Int32Array(4)),
  fc.constantFrom('live', 'stale').map((k) => ({ socket: k })),
);

/** `{socket: 'live'}` is an open socket of its own per run (close() may close it), `stale` a closed one's id. */
function resolveArg(v: unknown, victim: number): unknown {
  if (typeof v === 'object' && v !== null && 'socket' in v) return (v as { socket: string }).socket === 'live' ? victim : stale;
  return v;
}

function expectCleanOutcome(f: () => unknown): void {
  try {
    const r = f();
    return void r;
  } catch (err) {
    expect(err).toSatisfy((e: unknown) => e instanceof TypeError || e instanceof RangeError || (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string'));
  }
}

describe('native media socket binding: hostile arguments', () => {
  for (const name of ['open', 'close', 'localPort', 'send', 'ntop'] as const) {
    it(`${name}() never crashes and throws only TypeError/RangeError/errno errors`, () => {
      fc.assert(
        fc.property(fc.array(anyArg, { maxLength: 7 }), (args) => {
          const f = b[name] as (...a: unknown[]) => unknown;
          const victim = b.open(4, '127.0.0.1', 0);
          expectCleanOutcome(() => {
            const r = f(...args.map((a) => resolveArg(a, victim)));
            // whatever a fuzzed open() bound is closed again
            if (name === 'open' && typeof r === 'number') b.close(r);
          });
          b.close(victim);
        }),
        { numRuns: 400 },
      );
      expect(b.localPort(live)).toBeGreaterThan(0);
    });
  }

  it('start() a second time is refused: one engine per thread', () => {
    expect(() => b.start(new Uint8Array(9216), 9216, new Int32Array(10), () => {})).toThrow(TypeError);
  });

  it('send() sends exactly the range it was given, or refuses', async () => {
    received.length = 0;
    let sent = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.integer({ min: -3, max: 80 }), fc.integer({ min: -3, max: 80 }), (size, offset, length) => {
        const bytes = Buffer.alloc(size);
        for (let i = 0; i < size; i++) bytes[i] = i;
        const inRange = offset >= 0 && length >= 0 && offset + length <= size;
        if (!inRange) {
          expect(() => b.send(live, bytes, offset, length, sinkPort, '127.0.0.1')).toThrow(RangeError);
          return;
        }
        expect(b.send(live, bytes, offset, length, sinkPort, '127.0.0.1')).toBe(0);
        sent++;
      }),
      { numRuns: 300 },
    );
    const deadline = Date.now() + 5000;
    while (received.length < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received.length).toBe(sent);
    // each datagram is a run of consecutive octets starting at its offset: nothing from outside the range
    for (const m of received) for (let i = 1; i < m.length; i++) expect(m[i]).toBe(((m[0] ?? 0) + i) & 0xff);
  });

  it('a stale socket id is refused, never used for a socket opened after it', () => {
    expect(() => b.send(stale, Buffer.alloc(4), 0, 4, sinkPort, '127.0.0.1')).toThrow(/socket is closed/);
    expect(() => b.localPort(stale)).toThrow(/socket is closed/);
    expect(b.close(stale)).toBe(false);
  });
});
