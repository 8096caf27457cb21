/**
 * Runs the real `gatehouse` binary as a child process, the way an operator does, and collects
 * its JSON log lines so tests can wait for conditions (not sleeps).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const GATEHOUSE_BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

export interface GatehouseChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: Array<Record<string, unknown>>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log line matching `pred`; rejects on exit or after `ms`. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runGatehouse(args: readonly string[], env: Record<string, string> = {}): GatehouseChild {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], { env: { ...cleanEnv, ...env } });
  const lines: Array<Record<string, unknown>> = [];
  let out = '';
  let err = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        /* not a JSON log line (e.g. check-config output) */
      }
    }
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(pred, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no matching log line within ${ms} ms; stderr:\n${err}\nstdout:\n${out}`)), ms);
        const check = (): void => {
          const hit = lines.find(pred);
          if (hit) done(undefined, hit);
          else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`gatehouse exited (${child.exitCode ?? child.signalCode}) first; stderr:\n${err}\nstdout:\n${out}`));
        };
        const done = (e?: Error, line?: Record<string, unknown>): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else if (line) resolve(line);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs the binary to completion (for check-config, policy, --version ...). */
export async function runGatehouseToEnd(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const g = runGatehouse(args, env);
  const { code } = await g.exited;
  return { code, stdout: g.stdout(), stderr: g.stderr() };
}
