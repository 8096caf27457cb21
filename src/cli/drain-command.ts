/**
 * `gatehouse drain PID [--wait SECONDS]`: asks a running gateway to drain (issue 7 "Drain"),
 * exactly as SIGTERM does (src/main.ts): readiness turns false, new calls get 503, live calls
 * are handed to other instances (with Redis) and the process exits once none is left. The
 * signal needs the operator's OS permission over that process, so no admin endpoint or token
 * is involved. Refuses a PID that is not a gatehouse process (Linux: /proc/PID/cmdline), so a
 * typo never signals something else.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EXIT } from './exit-codes.ts';

export interface DrainCommandDeps {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Exit with this code after the action (the caller's CliExit). */
  readonly exit: (code: number) => never;
  /** process.kill; injectable for tests of the refusals. */
  readonly kill?: (pid: number, signal: NodeJS.Signals | 0) => void;
  readonly cmdline?: (pid: number) => Promise<string | null>;
}

async function procCmdline(pid: number): Promise<string | null> {
  try {
    return (await readFile(`/proc/${String(pid)}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return null;
  }
}

/** Still running: signal 0 reaches it and, where /proc tells, it is not a zombie waiting for
 * its parent to reap it (it has exited then). */
async function alive(kill: NonNullable<DrainCommandDeps['kill']>, pid: number): Promise<boolean> {
  try {
    kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8').catch(() => null);
  return stat === null || !/^\d+ \(.*\) Z/.test(stat);
}

export function registerDrainCommand(program: Command, deps: DrainCommandDeps): Command {
  return program
    .command('drain')
    .description('drain a running gateway (as SIGTERM): no new calls, live calls move to other instances, then it exits')
    .argument('<pid>', 'process id of the gatehouse to drain')
    .option('--wait <seconds>', 'wait until it has exited (exit 1 if it is still running after this many seconds)')
    .action(async (pidText: string, opts: { wait?: string }) => {
      const kill = deps.kill ?? ((pid, signal) => process.kill(pid, signal));
      const pid = Number(pidText);
      if (!Number.isSafeInteger(pid) || pid <= 1) {
        deps.err(`gatehouse drain: "${pidText}" is not a process id\n`);
        deps.exit(EXIT.usage);
      }
      const wait = opts.wait === undefined ? null : Number(opts.wait);
      if (wait !== null && !(Number.isFinite(wait) && wait > 0)) {
        deps.err(`gatehouse drain: --wait needs a number of seconds > 0, got "${String(opts.wait)}"\n`);
        deps.exit(EXIT.usage);
      }
      const cmdline = await (deps.cmdline ?? procCmdline)(pid);
      if (cmdline === null) {
        deps.err(`gatehouse drain: no process ${String(pid)}\n`);
        deps.exit(EXIT.failure);
      }
      if (!/gatehouse/.test(cmdline) || !/\bstart\b/.test(cmdline)) {
        deps.err(`gatehouse drain: process ${String(pid)} is not a running "gatehouse start" (${cmdline.slice(0, 120)}); not signalling it\n`);
        deps.exit(EXIT.usage);
      }
      try {
        kill(pid, 'SIGTERM');
      } catch (err) {
        deps.err(`gatehouse drain: cannot signal process ${String(pid)}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (run as the user that runs the gateway)\n`);
        deps.exit(EXIT.failure);
      }
      deps.out(`draining gatehouse ${String(pid)}: readiness is false, calls are handed over or end, then it exits\n`);
      if (wait === null) return;
      const deadline = performance.now() + wait * 1000;
      while (await alive(kill, pid)) {
        if (performance.now() > deadline) {
          deps.err(`gatehouse drain: process ${String(pid)} still running after ${String(wait)} s (calls still active; see its log)\n`);
          deps.exit(EXIT.failure);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      deps.out(`gatehouse ${String(pid)} has exited\n`);
    });
}
