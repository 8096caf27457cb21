/**
 * The measured process of the `guest-memory` bench (forked by guest-memory.bench.ts with
 * --expose-gc; one fresh process per scenario, see guest-memory-protocol.ts).
 *
 * Browser guests go through the call layer's own path: src/app/room-leg-offer.ts openRoomLeg
 * (crypto policy `default`, GATEWAY_CAPABILITIES, planVideo, legRequest -> a `webrtc`
 * LegRequest) into the real RoomMediaPlane (a werift ICE-lite peer per guest, SRTP by our
 * core), joined to rooms of `roomSize` guests: 2 = relay, 3+ = mix (an Opus codec per guest).
 *
 * Memory: process.memoryUsage() after forced memory-reducing full GCs (node --expose-gc,
 * gc({ flavor: 'last-resort' }) twice, 100 ms apart), the median of 3 such readings. The
 * reducing GC matters: an ordinary full GC leaves V8's young generation at the size the
 * allocation rate grew it to (measured here: up to ~50 MiB with 96 guests being set up), a
 * process-wide buffer that is not per-guest state and would swamp the per-guest delta; its size
 * is reported separately. Per guest = (reading - baseline) / guests, baseline taken in this
 * process after a warm-up room (one room of guests opened, for werift also connected and
 * carrying traffic, then closed: one-off costs such as werift/opusscript lazy init, our DTLS
 * certificate and malloc arenas are then in the baseline, not charged to the first guests).
 * Guests are added cumulatively (levels), so the fitted slope over the levels is the cost of
 * one more guest with the fixed part in the intercept.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { createCryptoPolicy } from '../../crypto-policy/index.ts';
import { RoomMediaPlane } from '../../src/adapters/media/media-plane.ts';
import { MediaPortAllocator } from '../../src/adapters/media/port-allocator.ts';
import { selectSrtpEngine } from '../../src/adapters/media/native-srtp.ts';
import type { CallServiceDeps } from '../../src/app/call-service.ts';
import { openRoomLeg } from '../../src/app/room-leg-offer.ts';
import type { ResolvedRoom } from '../../src/app/room-directory.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { MediaLegHandle } from '../../src/ports/media-plane.ts';
import type { BenchRow } from './contract.ts';
import type { BrowserReply, BrowserRequest, GatewayReply, Scenario } from './guest-memory-protocol.ts';

/** The issue 6 target: 1.5 MB per browser guest, read as 1.5 MiB. */
const TARGET_KIB = 1.5 * 1024;
const CHROME_OFFER = fileURLToPath(new URL('../fixtures/sdp/chrome-audio-video.offer.sdp', import.meta.url));
const BROWSERS = fileURLToPath(new URL('./guest-memory-browsers.ts', import.meta.url));
const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => SILENT };

type Gc = (options?: { readonly type?: 'minor' | 'major'; readonly execution?: 'sync' | 'async'; readonly flavor?: 'regular' | 'last-resort' }) => void;
const gcFn = (globalThis as { gc?: Gc }).gc;
if (gcFn === undefined) throw new Error('guest-memory-gateway.ts needs node --expose-gc (guest-memory.bench.ts forks it so)');
const gc: Gc = gcFn;

interface Mem {
  /**
   * V8's young generation (new space) as the running process holds it, MiB: ordinary GCs keep
   * the size the allocation rate grew it to (process-wide, not per guest); the memory-reducing
   * GC shrinks it, so it is not in `rss`.
   */
  readonly youngMiB: number;
  /** After a memory-reducing GC (V8 "last resort": also shrinks the young generation). */
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const newSpaceMiB = (): number => (getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')?.physical_space_size ?? 0) / 2 ** 20;

/**
 * Median of 3 readings, each after memory-reducing full GCs 100 ms apart. The young
 * generation's size is read first, after ordinary full GCs (the reducing GC shrinks it).
 */
async function sample(): Promise<Mem> {
  const reduced: NodeJS.MemoryUsage[] = [];
  gc();
  gc();
  const youngMiB = newSpaceMiB();
  for (let i = 0; i < 3; i++) {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    await sleep(100);
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    reduced.push(process.memoryUsage());
  }
  if (process.env.GATEHOUSE_GUEST_BENCH_DEBUG) {
    const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
    const line = (x: NodeJS.MemoryUsage): string => `rss=${mb(x.rss)} heapTotal=${mb(x.heapTotal)} heapUsed=${mb(x.heapUsed)} ext=${mb(x.external)} ab=${mb(x.arrayBuffers)}`;
    console.error(`new_space ${youngMiB.toFixed(1)} -> ${newSpaceMiB().toFixed(1)} MiB; ${reduced.map(line).join(' | ')}`);
  }
  const med = (xs: readonly NodeJS.MemoryUsage[], k: 'rss' | 'heapUsed' | 'external'): number => median(xs.map((x) => x[k]));
  return { youngMiB, rss: med(reduced, 'rss'), heapUsed: med(reduced, 'heapUsed'), external: med(reduced, 'external') };
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

function chromeOffer(): string {
  // the fixture's provenance header (# lines) is not SDP
  return readFileSync(CHROME_OFFER, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\r\n');
}

class Browsers {
  private readonly child: ChildProcess;
  private waiters: ((m: BrowserReply) => void)[] = [];

  constructor() {
    this.child = fork(BROWSERS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: BrowserReply) => this.waiters.shift()?.(m));
    this.child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w({ type: 'error', message: `browsers process exited (${String(code)})` });
    });
  }

  async request<T extends BrowserReply['type']>(m: BrowserRequest, want: T): Promise<Extract<BrowserReply, { type: T }>> {
    const r = await new Promise<BrowserReply>((resolve) => {
      this.waiters.push(resolve);
      this.child.send(m);
    });
    if (r.type === 'error') throw new Error(`browsers: ${r.message}`);
    if (r.type !== want) throw new Error(`browsers answered ${r.type}, expected ${want}`);
    return r as Extract<BrowserReply, { type: T }>;
  }

  stop(): void {
    this.child.send({ type: 'exit' } satisfies BrowserRequest);
  }
}

interface Guest {
  readonly room: string;
  readonly handle: MediaLegHandle;
}

async function run(s: Scenario): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const row = (metric: string, value: number, unit: string, baseline?: string, ratio?: number): void => {
    rows.push({ bench: 'guest-memory', metric: `${s.label}: ${metric}`, value, unit, ...(baseline ? { baseline } : {}), ...(ratio !== undefined ? { ratio } : {}) });
  };
  const plane = new RoomMediaPlane({
    allocator: new MediaPortAllocator({ range: { min: 46000, max: 46099 }, address: '127.0.0.1' }),
    guestAddress: '127.0.0.1',
    guestPorts: { min: 47000, max: 47999 },
    mediaTimeoutMs: 600_000, // set-up guests never send: no media-timeout during the run
    logger: SILENT,
    onEvent: () => {},
  });
  // openRoomLeg reads only these fields of the call layer's deps
  const deps: Pick<CallServiceDeps, 'policy' | 'media' | 'logger' | 'wallclock' | 'mediaAddress'> = {
    policy: createCryptoPolicy(),
    media: plane,
    logger: SILENT,
    wallclock: () => Date.now(),
    mediaAddress: '127.0.0.1',
  };
  const guests: Guest[] = [];
  const browsers = s.offer === 'werift' ? new Browsers() : null;
  const chrome = chromeOffer();

  /** Opens `offers.length` guests in rooms of roomSize (continuing the numbering); returns the answers. */
  const open = async (offers: readonly string[], roomPrefix: string): Promise<{ answers: string[]; keyed: Promise<unknown>[] }> => {
    const answers: string[] = [];
    const keyed: Promise<unknown>[] = [];
    for (const sdp of offers) {
      const i = guests.length;
      const room: ResolvedRoom = { id: `${roomPrefix}-${Math.floor(i / s.roomSize)}`, name: 'bench', profile: undefined, maxParticipants: 32 };
      const r = await openRoomLeg(deps as CallServiceDeps, room, sdp, { ip: '127.0.0.1' }, `guest-${i}`);
      if (!r.ok) throw new Error(`guest ${i} refused: ${r.status} ${r.reason} ${r.warning ?? ''}`);
      if (r.request.kind !== 'webrtc') throw new Error(`guest ${i} became a ${r.request.kind} leg, not webrtc`);
      if (r.videoDeclined !== null) throw new Error(`guest ${i}: ${r.videoDeclined}`);
      guests.push({ room: room.id, handle: r.opened.leg });
      answers.push(r.answerSdp);
      if (r.opened.keyed) keyed.push(r.opened.keyed);
    }
    return { answers, keyed };
  };

  /** Adds `count` guests; werift ones are connected and then all guests carry traffic. */
  const add = async (count: number, roomPrefix: string, trafficMs: number): Promise<{ sent: number; received: number; silent: number; cpu: number; suites: readonly number[] }> => {
    if (browsers === null) {
      await open(Array.from({ length: count }, () => chrome), roomPrefix);
      return { sent: 0, received: 0, silent: 0, cpu: Number.NaN, suites: [] };
    }
    const { sdps } = await browsers.request({ type: 'create', count }, 'offers');
    const { answers, keyed } = await open(sdps, roomPrefix);
    const { suites } = await browsers.request({ type: 'answers', sdps: answers }, 'connected');
    await Promise.all(keyed);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const t = await browsers.request({ type: 'send', ms: trafficMs }, 'sent');
    const d = process.cpuUsage(cpu0);
    return { sent: t.sent, received: t.received, silent: t.silentPeers, cpu: (d.user + d.system) / 1000 / (performance.now() - t0), suites };
  };

  const closeAll = async (): Promise<void> => {
    for (const g of guests.splice(0)) await plane.leave(g.room, g.handle);
    if (browsers !== null) await browsers.request({ type: 'close' }, 'closed');
  };

  try {
    await plane.localFingerprint(); // our DTLS certificate: once per process, not per guest
    await add(s.roomSize, 'warm-up', Math.min(1000, s.trafficMs));
    await closeAll();
    const base = await sample();
    row('baseline rss', base.rss / 2 ** 20, 'MiB');
    row('baseline V8 young generation', base.youngMiB, 'MiB');
    const rss: [number, number][] = [];
    const heap: [number, number][] = [];
    const ext: [number, number][] = [];
    let suites: number[] = [];
    for (const level of s.levels) {
      const t0 = performance.now();
      const added = level - guests.length;
      const t = await add(added, 'room', s.trafficMs);
      const openMs = performance.now() - t0;
      suites = [...suites, ...t.suites];
      const m = await sample();
      const p = `guests=${level}`;
      const kib = (b: number): number => b / 1024 / level;
      rss.push([level, (m.rss - base.rss) / 1024]);
      heap.push([level, (m.heapUsed - base.heapUsed) / 1024]);
      ext.push([level, (m.external - base.external) / 1024]);
      row(`${p} rss per guest`, kib(m.rss - base.rss), 'KiB', 'target 1.5 MiB', kib(m.rss - base.rss) / TARGET_KIB);
      row(`${p} V8 young generation (process-wide, not in rss above)`, m.youngMiB, 'MiB');
      row(`${p} js heap used per guest`, kib(m.heapUsed - base.heapUsed), 'KiB');
      row(`${p} external per guest`, kib(m.external - base.external), 'KiB');
      if (browsers === null) {
        row(`${p} open+join time per added guest`, openMs / added, 'ms');
      } else {
        // every browser sends 50 packets/s; each should get 50/s back (its partner's stream or its mix)
        const perBrowser = (t.received * 1000) / s.trafficMs / level;
        row(`${p} audio received per browser`, perBrowser, 'packets/s', '50 packets/s sent per browser', perBrowser / 50);
        row(`${p} browsers that received nothing`, t.silent, 'guests');
        row(`${p} gateway cpu during traffic`, 100 * t.cpu, '% of a core');
      }
    }
    const levels = s.levels.join('/');
    const fitted = slope(rss);
    row(`rss per guest, slope over guests=${levels}`, fitted, 'KiB', 'target 1.5 MiB', fitted / TARGET_KIB);
    row(`js heap used per guest, slope over guests=${levels}`, slope(heap), 'KiB');
    row(`external per guest, slope over guests=${levels}`, slope(ext), 'KiB');
    if (browsers !== null) row('guests keyed with AEAD_AES_256_GCM (0x0008)', suites.filter((x) => x === 0x0008).length, `of ${suites.length}`);
    row('machine load', loadavg()[0] ?? Number.NaN, `loadavg-1m/${cpus().length} cpus`);
    return rows;
  } finally {
    await closeAll().catch(() => undefined);
    browsers?.stop();
  }
}

const scenario = JSON.parse(process.argv[2] ?? '{}') as Scenario;
// the SRTP engine a built gateway runs (media.srtp_engine: auto); fails here when not built
selectSrtpEngine('native');
/** To the coordinator; run by hand (no IPC channel), the reply is printed instead. */
const reply = (m: GatewayReply): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined) {
      console.log(JSON.stringify(m, null, 1));
      resolve();
    } else process.send(m, () => resolve());
  });
try {
  await reply({ type: 'rows', rows: await run(scenario) });
  process.exit(0);
} catch (err) {
  await reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
