/**
 * Starts a real redis-server for tests: 127.0.0.1, a random free port, its own temp dir,
 * `--save ''` (no snapshots unless a test asks with SAVE), no AOF. Fails loudly when
 * redis-server is missing. Restartable on the same port and dir (fault tests).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Runs redis-cli against this server; resolves with stdout. */
  cli(...args: string[]): Promise<string>;
  /** SIGTERM (or the given signal) and wait for exit. Data is lost unless SAVEd first. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal without waiting (e.g. SIGSTOP/SIGCONT to simulate a hung server). */
  signal(signal: NodeJS.Signals): void;
  /** Start again on the same port and dir (loads dump.rdb if a test SAVEd one). */
  restart(): Promise<void>;
  /** Stop and delete the temp dir. */
  dispose(): Promise<void>;
}

function requireBinary(name: string, pkg: string): void {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${name} not found or not runnable (${r.error?.message ?? `exit ${r.status}`}); install with: apt-get install ${pkg}`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string, extra: readonly string[], leading: readonly string[] = [], ready = 'Ready to accept connections'): Promise<ChildProcess> {
  const args = [...leading, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', '', ...extra];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (out.includes(ready)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', (err) => reject(new Error(`redis-server failed to start: ${err.message}; install with: apt-get install redis-server`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited early (code ${code}):\n${out.slice(-2000)}`)));
  });
}

export interface RedisServerOptions {
  /** Extra config directives, e.g. ['--rdbcompression', 'no']. */
  readonly extraArgs?: readonly string[];
  /** Run as a Sentinel monitoring this master (name, port) instead of a data server. */
  readonly sentinelFor?: { readonly name: string; readonly masterPort: number };
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireBinary('redis-server', 'redis-server');
  requireBinary('redis-cli', 'redis-server');
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-'));
  const extra = options.extraArgs ?? [];
  let leading: string[] = [];
  let ready = 'Ready to accept connections';
  if (options.sentinelFor) {
    // Sentinel needs a writable config file; it rewrites it with what it learns.
    const conf = join(dir, 'sentinel.conf');
    const s = options.sentinelFor;
    await writeFile(conf, `sentinel monitor ${s.name} 127.0.0.1 ${s.masterPort} 1\nsentinel down-after-milliseconds ${s.name} 1000\n`);
    leading = [conf, '--sentinel'];
    ready = '+monitor master';
  }
  let port = 0;
  let child: ChildProcess | null = null;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5 && child === null; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port, dir, extra, leading, ready);
    } catch (err) {
      lastError = err; // most likely the port was taken between probe and bind
    }
  }
  if (child === null) throw lastError instanceof Error ? lastError : new Error('redis-server did not start');

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const c = child;
    if (c === null || c.exitCode !== null || c.signalCode !== null) {
      child = null;
      return;
    }
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
    child = null;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    cli: (...args) =>
      new Promise((resolve, reject) => {
        execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`redis-cli ${args[0] ?? ''} failed: ${err.message} ${stderr.toString()}`));
          else resolve(stdout.toString('latin1'));
        });
      }),
    stop,
    signal: (signal) => {
      child?.kill(signal);
    },
    restart: async () => {
      await stop();
      child = await launch(port, dir, extra, leading, ready);
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
