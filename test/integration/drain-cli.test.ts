/**
 * `gatehouse drain PID` (issue 7 "Drain": SIGTERM or `gatehouse drain`), run as an operator
 * would against a real running gateway: the gateway reports the drain, turns not ready and
 * exits 0; `--wait` returns once it has gone. A PID that is not a running `gatehouse start` is
 * refused without being signalled.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { GATEHOUSE_BIN } from '../helpers/gatehouse-process.ts';
import { startRoomGateway, type RoomGateway } from '../helpers/room-gateway.ts';

let gw: RoomGateway | undefined;
afterAll(async () => {
  await gw?.stop();
});

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [GATEHOUSE_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

it('drains a running gateway: readiness off, exit 0, and --wait returns once it has exited', { timeout: 90_000 }, async () => {
  gw = await startRoomGateway({ rooms: [{ id: 'lobby' }] });
  const pid = gw.process.child.pid ?? 0;
  expect((await fetch(`${gw.adminUrl}/readyz`)).status).toBe(200);
  const r = cli(['drain', String(pid), '--wait', '30']);
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toContain(`draining gatehouse ${String(pid)}`);
  expect(r.out).toContain(`gatehouse ${String(pid)} has exited`);
  expect((await gw.process.exited).code).toBe(0);
  expect(gw.logs('draining: readiness is false, no new calls accepted')).toHaveLength(1);
});

it('refuses what it must not signal: not a process id, no such process, not a gatehouse', { timeout: 30_000 }, async () => {
  expect(cli(['drain', 'abc'])).toMatchObject({ code: 2, err: 'gatehouse drain: "abc" is not a process id\n' });
  expect(cli(['drain', '4194304'])).toMatchObject({ code: 1, err: 'gatehouse drain: no process 4194304\n' });
  const other = spawn('sleep', ['30']);
  try {
    const r = cli(['drain', String(other.pid)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is not a running "gatehouse start"');
    expect(other.exitCode).toBeNull(); // not signalled
    expect(other.signalCode).toBeNull();
  } finally {
    other.kill();
  }
});
