/**
 * `guest-memory` bench: memory per browser guest (issue 6 target: <= 1.5 MB per browser guest,
 * read as 1.5 MiB; rows give it as the baseline with ratio = measured / target).
 *
 * Each scenario runs in a fresh gateway-side process (guest-memory-gateway.ts, node
 * --expose-gc) that opens guests through the call layer's own path (openRoomLeg -> a `webrtc`
 * LegRequest -> RoomMediaPlane.openLeg, joined to rooms), in cumulative levels, and reports
 * RSS, JS heap used and external memory per guest over a baseline taken in that process after a
 * warm-up room and forced GCs (median of 3 samples), per level and as the slope over the levels:
 *
 *   chrome offer   the Chromium audio+video offer fixture (test/fixtures/sdp), answered and
 *                  joined, never connected: the cost of a guest that is set up
 *   werift browser werift peers in a separate process (guest-memory-browsers.ts) that connect
 *                  (ICE, DTLS with AEAD_AES_256_GCM, SRTP) and send 20 ms Opus both ways
 *                  through the room for a while before each measurement: the cost after traffic
 *
 * Rooms of 2 relay (Opus forwarded untouched); rooms of 4 mix (a libopus encoder + decoder per
 * guest). GATEHOUSE_GUEST_BENCH_LEVELS=8,24,48 (multiples of 4) and
 * GATEHOUSE_GUEST_BENCH_TRAFFIC_MS=5000 override the defaults. The relay bench runs the two
 * scenarios with traffic too (issue 6 asks `npm run bench -- relay` for both memory targets).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './contract.ts';
import type { GatewayReply, Scenario } from './guest-memory-protocol.ts';

const GATEWAY = fileURLToPath(new URL('./guest-memory-gateway.ts', import.meta.url));
const LEVELS = (process.env.GATEHOUSE_GUEST_BENCH_LEVELS ?? '8,24,48')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0 && n % 4 === 0)
  .sort((a, b) => a - b);
const TRAFFIC_MS = Number(process.env.GATEHOUSE_GUEST_BENCH_TRAFFIC_MS ?? '5000');

const SCENARIOS: readonly Scenario[] = [
  { label: 'chrome offer, set up, rooms of 2', offer: 'chrome', roomSize: 2, levels: LEVELS, trafficMs: 0 },
  { label: 'chrome offer, set up, rooms of 4', offer: 'chrome', roomSize: 4, levels: LEVELS, trafficMs: 0 },
  { label: 'werift browser, after traffic, rooms of 2', offer: 'werift', roomSize: 2, levels: LEVELS, trafficMs: TRAFFIC_MS },
  { label: 'werift browser, after traffic, rooms of 4', offer: 'werift', roomSize: 4, levels: LEVELS, trafficMs: TRAFFIC_MS },
];

/** The two scenarios with traffic: what the relay bench reports as its per-browser-guest figure. */
export const AFTER_TRAFFIC: readonly Scenario[] = SCENARIOS.filter((s) => s.offer === 'werift');

/** Runs scenarios one after another, each in a fresh gateway-side process. */
export async function guestMemoryRows(scenarios: readonly Scenario[] = SCENARIOS): Promise<readonly BenchRow[]> {
  if (LEVELS.length < 2) throw new Error('GATEHOUSE_GUEST_BENCH_LEVELS needs at least two levels, multiples of 4');
  const rows: BenchRow[] = [];
  for (const s of scenarios) rows.push(...(await runScenario(s)));
  return rows;
}

function runScenario(s: Scenario): Promise<readonly BenchRow[]> {
  return new Promise((resolve, reject) => {
    const child = fork(GATEWAY, [JSON.stringify(s)], { execArgv: [...process.execArgv, '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: GatewayReply | null = null;
    child.on('message', (m: GatewayReply) => {
      reply = m;
    });
    child.on('exit', (code) => {
      const r = reply as GatewayReply | null;
      if (r?.type === 'rows') resolve(r.rows);
      else reject(new Error(`guest-memory scenario "${s.label}" failed (exit ${String(code)}): ${r?.type === 'error' ? r.message : 'no reply'}`));
    });
  });
}

export const bench: Bench = {
  name: 'guest-memory',
  description: 'memory per browser guest (werift ICE-lite peer + room leg) through the real media plane, set up and after traffic',
  run: () => guestMemoryRows(),
};
