/**
 * Runs SIPp (Debian `sip-tester`) as a child process and reports what a user checks: the
 * exit code (0 = every call succeeded) and the call counters from its final statistics.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/sipp');

/** Throws with the install line when sipp is missing (tests must fail loudly, not skip). */
export function requireSipp(): void {
  const r = spawnSync('sipp', ['-v'], { stdio: 'pipe' });
  if (r.error !== undefined) throw new Error('sipp not found; install with: apt-get install sip-tester');
}

export interface SippRun {
  readonly exitCode: number | null;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  /** Per-call response times of the `invite` rtd in ms, when `rtt: true`. */
  readonly rttMs: readonly number[];
  /** Elapsed wall time of the run as SIPp measured it, seconds. */
  readonly elapsedSeconds: number;
  readonly stderr: string;
  readonly errors: string;
}

export interface SippOptions {
  readonly scenario: string; // file name in test/fixtures/sipp, or 'uas' etc via -sf anyway
  readonly target?: string; // host:port (uac)
  readonly transport: 'u1' | 'un' | 't1' | 'tn';
  readonly service?: string;
  readonly calls?: number;
  readonly limit?: number;
  readonly rate?: number;
  readonly rateMax?: number;
  readonly callLengthMs?: number;
  readonly localIp?: string;
  readonly localPort?: number;
  readonly timeoutSeconds?: number;
  readonly rtt?: boolean;
  readonly extra?: readonly string[];
}

/** A free port for both UDP and TCP on `host` (SIPp needs a fixed local port). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, host, () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      u.once('error', () => resolve(false));
      u.bind(port, host, () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

export function sippArgs(o: SippOptions, dir: string, localPort: number): string[] {
  const args = ['-sf', join(SIPP_FIXTURES, o.scenario), '-t', o.transport, '-i', o.localIp ?? '127.0.0.1', '-p', String(localPort)];
  args.push('-m', String(o.calls ?? 1), '-l', String(o.limit ?? o.calls ?? 1), '-r', String(o.rate ?? 10));
  if (o.rateMax !== undefined) args.push('-rate_max', String(o.rateMax));
  args.push('-d', String(o.callLengthMs ?? 0), '-s', o.service ?? 'room');
  args.push('-timeout', `${o.timeoutSeconds ?? 20}s`, '-timeout_error', '-recv_timeout', '5000', '-nostdin');
  args.push('-trace_stat', '-stf', join(dir, 'stat.csv'), '-trace_err', '-error_file', join(dir, 'errors.log'));
  if (o.rtt === true) args.push('-trace_rtt', '-rtt_freq', '1');
  // Media ports must not clash between parallel SIPp instances: no media is sent anyway.
  args.push('-mp', String(localPort + 2), ...(o.extra ?? []));
  if (o.target !== undefined) args.push(o.target);
  return args;
}

export async function runSipp(o: SippOptions): Promise<SippRun> {
  requireSipp();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sipp-'));
  const localPort = o.localPort ?? (await freePort(o.localIp));
  try {
    const child = spawn('sipp', sippArgs(o, dir, localPort), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { exitCode, stderr, ...readStats(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a SIPp process without waiting (e.g. the UAS of the bench ceiling). */
export function startSipp(o: SippOptions, localPort: number): { stop: () => Promise<void> } {
  requireSipp();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sipp-'));
  const child = spawn('sipp', sippArgs(o, dir, localPort), { cwd: dir, stdio: 'ignore' });
  return {
    stop: async () => {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('close', r));
        child.kill('SIGUSR1'); // SIPp: stop gracefully... then hard
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readStats(dir: string): Omit<SippRun, 'exitCode' | 'stderr'> {
  const files = readdirSync(dir);
  const stat = files.find((f) => f === 'stat.csv');
  let successfulCalls = 0;
  let failedCalls = 0;
  let elapsedSeconds = 0;
  if (stat !== undefined) {
    const lines = readFileSync(join(dir, stat), 'utf8').trim().split('\n');
    const header = (lines[0] ?? '').split(';');
    const last = (lines[lines.length - 1] ?? '').split(';');
    const col = (name: string): string => last[header.indexOf(name)] ?? '0';
    successfulCalls = Number(col('SuccessfulCall(C)'));
    failedCalls = Number(col('FailedCall(C)'));
    // ElapsedTime(C) has whole seconds only; Start/CurrentTime end with epoch seconds.micro.
    const epoch = (cell: string): number => Number(cell.split('\t').pop() ?? 'NaN');
    elapsedSeconds = epoch(col('CurrentTime')) - epoch(col('StartTime'));
  }
  const rttFile = files.find((f) => f.endsWith('_rtt.csv'));
  const rttMs: number[] = [];
  if (rttFile !== undefined) {
    for (const line of readFileSync(join(dir, rttFile), 'utf8').trim().split('\n').slice(1)) {
      const cells = line.split(';');
      const v = Number(cells[1]);
      if (Number.isFinite(v)) rttMs.push(v);
    }
  }
  const errFile = files.find((f) => f === 'errors.log');
  const errors = errFile === undefined ? '' : readFileSync(join(dir, errFile), 'utf8').slice(0, 4000);
  return { successfulCalls, failedCalls, rttMs, elapsedSeconds, errors };
}
