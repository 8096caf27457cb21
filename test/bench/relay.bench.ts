/**
 * `relay` bench: N concurrent two-party SDES calls through the media relay, one leg
 * AEAD_AES_256_GCM and the other AES_CM_128_HMAC_SHA1_80, G.711 20 ms packets both ways
 * (2 x 50 packets/s per call), load from a separate process (test/helpers/media-load.ts,
 * forked) that pre-encrypts everything it sends. All traffic on 127.0.0.1.
 *
 * Baseline in the same run, same loader, same packets: a plain node:dgram forwarder (one
 * socket pair per call, each datagram sent on unchanged to the partner: no SRTP, no parsing).
 *
 * Reported per load level: relayed packets/s, loss, this process's CPU, packets/s per 100% of
 * one core (pps / CPU fraction), end-to-end latency p50/p99 and the latency the relay adds
 * over the forwarder at the same percentile; RSS per call (after a full GC) once the calls are
 * set up and again after the traffic (SRTP stream state, pooled buffers, heap headroom). The loader's own
 * CPU and the machine's load average are reported too: on a shared machine, latency and loss
 * at high load say more about CPU contention than about the relay, while packets/s per core
 * (CPU time the relay process actually got) stays comparable.
 *
 * Then RSS per browser guest after traffic (werift peers, rooms of 2 and 4): the guest-memory
 * bench's rows (bench `guest-memory`), see guest-memory.bench.ts.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { MediaPortAllocator } from '../../src/adapters/media/port-allocator.ts';
import { SdesMediaLeg } from '../../src/adapters/media/media-leg.ts';
import { MediaRoom } from '../../src/adapters/media/media-room.ts';
import { selectSrtpEngine } from '../../src/adapters/media/native-srtp.ts';
import { selectSocketEngine, socketEngineName } from '../../src/adapters/media/socket-engine.ts';
import { srtpEngineName } from '../../src/core/srtp/native-binding.ts';
import { SRTP_SUITES } from '../../src/core/srtp/index.ts';
import type { SrtpMasterKeyConfig, SrtpSuiteName } from '../../src/core/srtp/index.ts';
import type { LoadEndpoint, LoadReply, LoadRequest, LoadResult } from '../helpers/media-load.ts';
import type { Bench, BenchRow } from './contract.ts';
import { AFTER_TRAFFIC, guestMemoryRows } from './guest-memory.bench.ts';

/** Calls per load level; GATEHOUSE_RELAY_BENCH_CALLS=200,400 overrides (profiling, bigger machines). */
const LEVELS = (process.env.GATEHOUSE_RELAY_BENCH_CALLS ?? '100,250,500')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
/**
 * Engine pairs to measure, each at every level, as SRTP/SOCKETS (media.srtp_engine /
 * media.socket_engine): `native/native` is what the gateway runs when built; `native/node`
 * isolates the socket engine's share and `node/node` is the all-fallback, measured in the same
 * run for the ratios. GATEHOUSE_RELAY_BENCH_ENGINES=native/native runs one. A native engine
 * fails loudly when not built.
 */
interface EnginePair {
  readonly srtp: 'native' | 'node';
  readonly sockets: 'native' | 'node';
}
const ENGINES: readonly EnginePair[] = (process.env.GATEHOUSE_RELAY_BENCH_ENGINES ?? 'native/native,native/node,node/node').split(',').map((e) => {
  const [srtp, sockets] = e.split('/');
  if ((srtp !== 'native' && srtp !== 'node') || (sockets !== 'native' && sockets !== 'node')) {
    throw new Error(`GATEHOUSE_RELAY_BENCH_ENGINES: '${e}' is not SRTP/SOCKETS with each native or node`);
  }
  return { srtp, sockets };
});
const WARMUP_MS = 1500;
const MEASURE_MS = 5000;
const SUITES: readonly [SrtpSuiteName, SrtpSuiteName] = ['AEAD_AES_256_GCM', 'AES_CM_128_HMAC_SHA1_80'];
/**
 * GATEHOUSE_RELAY_BENCH_PROFILE=DIR writes a V8 CPU profile of this process (the relay) during
 * each relay run (warm-up + measurement) to DIR/relay-CALLS.cpuprofile, for Chrome DevTools or
 * a script summing self time by function. Off by default: the sampler costs some CPU.
 */
const PROFILE_DIR = process.env.GATEHOUSE_RELAY_BENCH_PROFILE ?? '';
const LOADER = fileURLToPath(new URL('../helpers/media-load.ts', import.meta.url));
/**
 * Memory per browser guest (the second memory target) comes from the guest-memory
 * bench's scenarios with traffic (guest-memory.bench.ts), appended to this bench's rows;
 * GATEHOUSE_RELAY_BENCH_GUESTS=0 leaves them out.
 */
const WITH_GUESTS = process.env.GATEHOUSE_RELAY_BENCH_GUESTS !== '0';

/**
 * Memory readings after memory-reducing full GCs (`flavor: 'last-resort'` also shrinks V8's
 * young generation, which otherwise stays at whatever size the packet rate grew it to and would
 * be counted as per-call memory; see guest-memory-gateway.ts), median of three.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { readonly type?: string; readonly execution?: string; readonly flavor?: string }) => void;

function settledRss(): number {
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    readings.push(process.memoryUsage().rss);
  }
  return readings.sort((a, b) => a - b)[1] as number;
}

interface Measured {
  readonly result: LoadResult;
  readonly cpu: number; // fraction of one core over the measurement window
}

class Loader {
  private readonly child: ChildProcess;
  private waiters: ((m: LoadReply) => void)[] = [];
  private cpuStart: NodeJS.CpuUsage | null = null;
  private tStart = 0;
  cpu = 0;

  constructor() {
    this.child = fork(LOADER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: LoadReply) => {
      if (m.type === 'measuring') {
        this.cpuStart = process.cpuUsage();
        this.tStart = performance.now();
      } else if (m.type === 'measured' && this.cpuStart !== null) {
        const d = process.cpuUsage(this.cpuStart);
        this.cpu = (d.user + d.system) / 1000 / (performance.now() - this.tStart);
      } else {
        const w = this.waiters.shift();
        w?.(m);
      }
    });
  }

  request(m: LoadRequest): Promise<LoadReply> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.child.send(m);
    });
  }

  stop(): void {
    this.child.send({ type: 'exit' } satisfies LoadRequest);
  }
}

function key(suite: SrtpSuiteName): SrtpMasterKeyConfig {
  const s = SRTP_SUITES[suite];
  return { masterKey: randomBytes(s.keyLength), masterSalt: randomBytes(s.saltLength) };
}

const hex = (k: SrtpMasterKeyConfig): string => Buffer.concat([k.masterKey, k.masterSalt]).toString('hex');

async function openPorts(loader: Loader, calls: number): Promise<number[]> {
  const r = await loader.request({ type: 'open', endpoints: 2 * calls });
  if (r.type !== 'opened') throw new Error('loader did not open its sockets');
  return [...r.ports];
}

async function finish(loader: Loader, req: LoadRequest): Promise<Measured> {
  const r = await loader.request(req);
  if (r.type !== 'result') throw new Error('loader sent no result');
  return { result: r, cpu: loader.cpu };
}

/** Runs `f`, under the V8 CPU profiler when GATEHOUSE_RELAY_BENCH_PROFILE is set. */
async function profiled<T>(name: string, f: () => Promise<T>): Promise<T> {
  if (PROFILE_DIR === '') return f();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await f();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${PROFILE_DIR}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

/** The relay under test: 2 SDES legs + a room per call. Returns measurement and RSS per call. */
async function runRelay(loader: Loader, calls: number): Promise<Measured & { idleKbPerCall: number; loadedKbPerCall: number }> {
  const peerPorts = await openPorts(loader, calls);
  const allocator = new MediaPortAllocator({ range: { min: 30000, max: 30000 + 4 * calls + 200 }, address: '127.0.0.1' });
  const rssBefore = settledRss();
  const legs: SdesMediaLeg[] = [];
  const rooms: MediaRoom[] = [];
  const endpoints: LoadEndpoint[] = [];
  for (let c = 0; c < calls; c++) {
    const room = new MediaRoom({ id: `room-${c}` });
    for (let side = 0; side < 2; side++) {
      const suite = SUITES[side] ?? 'AEAD_AES_256_GCM';
      const peerKey = key(suite);
      const gwKey = key(suite);
      const ports = await allocator.allocate({ rtcpMux: true });
      const port = peerPorts[2 * c + side] ?? 0;
      const leg = new SdesMediaLeg({
        id: `c${c}-${side}`,
        ports,
        suite,
        remoteKey: peerKey,
        localKey: gwKey,
        remote: { address: '127.0.0.1', rtpPort: port, rtcpPort: port },
        formats: [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 101, name: 'telephone-event', clockRate: 8000 }],
      });
      room.addLeg(leg);
      legs.push(leg);
      endpoints.push({ gwPort: ports.rtpPort, partner: 2 * c + (1 - side), suite, sendKey: hex(peerKey), recvKey: hex(gwKey) });
    }
    rooms.push(room);
  }
  const idleKbPerCall = (settledRss() - rssBefore) / 1024 / calls;
  const m = await profiled(`relay-${calls}-${srtpEngineName()}-${socketEngineName()}`, () => finish(loader, { type: 'run', mode: 'relay', endpoints, warmupMs: WARMUP_MS, measureMs: MEASURE_MS }));
  const loadedKbPerCall = (settledRss() - rssBefore) / 1024 / calls;
  for (const r of rooms) r.close();
  await Promise.all(legs.map((l) => l.close()));
  return { ...m, idleKbPerCall, loadedKbPerCall };
}

/** The ceiling: a plain node:dgram forwarder with the same socket layout. */
async function runEcho(loader: Loader, calls: number): Promise<Measured> {
  const peerPorts = await openPorts(loader, calls);
  const sockets: Socket[] = [];
  for (let i = 0; i < 2 * calls; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    sockets.push(s);
  }
  const endpoints: LoadEndpoint[] = [];
  for (let i = 0; i < 2 * calls; i++) {
    const partner = i ^ 1;
    const out = sockets[partner] as Socket;
    const to = peerPorts[partner] ?? 0;
    (sockets[i] as Socket).on('message', (msg: Buffer) => out.send(msg, to, '127.0.0.1'));
    const suite = SUITES[i % 2] ?? 'AEAD_AES_256_GCM';
    const k = hex(key(suite));
    endpoints.push({ gwPort: (sockets[i] as Socket).address().port, partner, suite, sendKey: k, recvKey: k });
  }
  const m = await profiled(`echo-${calls}`, () => finish(loader, { type: 'run', mode: 'echo', endpoints, warmupMs: WARMUP_MS, measureMs: MEASURE_MS }));
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return m;
}

function pps(m: Measured): number {
  return (m.result.received * 1000) / m.result.measureMs;
}

function loss(m: Measured): number {
  return m.result.sent === 0 ? Number.NaN : (100 * (m.result.sent - m.result.received)) / m.result.sent;
}

export const bench: Bench = {
  name: 'relay',
  description: 'SDES media relay (GCM-256 <-> SHA1_80, G.711 20 ms) under load from a separate process, against a plain node:dgram forwarder',
  async run(): Promise<readonly BenchRow[]> {
    const rows: BenchRow[] = [];
    const loader = new Loader();
    const row = (metric: string, value: number, unit: string, baseline?: string, ratio?: number): void => {
      rows.push({ bench: 'relay', metric, value, unit, ...(baseline ? { baseline } : {}), ...(ratio !== undefined ? { ratio } : {}) });
    };
    try {
      for (const calls of LEVELS) {
        const echo = await runEcho(loader, calls);
        for (const engine of ENGINES) {
          selectSrtpEngine(engine.srtp);
          await selectSocketEngine(engine.sockets);
          const relay = await runRelay(loader, calls);
          const p = `calls=${calls} srtp=${engine.srtp} sockets=${engine.sockets}`;
          const perCore = pps(relay) / relay.cpu;
          const echoPerCore = pps(echo) / echo.cpu;
          row(`${p} relayed`, pps(relay), 'packets/s', 'dgram forwarder', pps(relay) / pps(echo));
          row(`${p} loss`, loss(relay), '%', 'dgram forwarder', loss(echo) === 0 ? undefined : loss(relay) / loss(echo));
          row(`${p} relay cpu`, 100 * relay.cpu, '% of a core', 'dgram forwarder', relay.cpu / echo.cpu);
          row(`${p} relayed per core`, perCore, 'packets/s/core', 'dgram forwarder', perCore / echoPerCore);
          row(`${p} latency p50`, relay.result.p50, 'ms', 'dgram forwarder', relay.result.p50 / echo.result.p50);
          row(`${p} latency p99`, relay.result.p99, 'ms', 'dgram forwarder', relay.result.p99 / echo.result.p99);
          row(`${p} added latency p50`, relay.result.p50 - echo.result.p50, 'ms');
          row(`${p} added latency p99`, relay.result.p99 - echo.result.p99, 'ms');
          row(`${p} forwarder loss`, loss(echo), '%');
          row(`${p} loader cpu`, 100 * relay.result.loaderCpu, '% of a core');
          row(`${p} machine load`, loadavg()[0] ?? Number.NaN, 'loadavg-1m/' + String(cpus().length) + ' cpus');
          row(`${p} rss per call, set up`, relay.idleKbPerCall, 'KiB');
          row(`${p} rss per call, after traffic`, relay.loadedKbPerCall, 'KiB');
        }
      }
    } finally {
      loader.stop();
    }
    if (WITH_GUESTS) rows.push(...(await guestMemoryRows(AFTER_TRAFFIC)));
    return rows;
  },
};
