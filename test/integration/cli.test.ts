import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runGatehouse, runGatehouseToEnd, type GatehouseChild } from '../helpers/gatehouse-process.ts';
import { freeTcpPort, freeUdpTcpPort } from '../helpers/ports.ts';

const EXAMPLE = fileURLToPath(new URL('../../config/gatehouse.example.yaml', import.meta.url));
const running: GatehouseChild[] = [];
afterEach(() => {
  for (const g of running.splice(0)) if (g.child.exitCode === null) g.child.kill('SIGKILL');
});

async function startOnFreePorts(extra: string[] = []): Promise<{ g: GatehouseChild; admin: string }> {
  const adminPort = await freeTcpPort();
  const sipPort = await freeUdpTcpPort();
  const g = runGatehouse(['start', '--admin-listen', `127.0.0.1:${adminPort}`, '--sip-udp', `127.0.0.1:${sipPort}`, '--sip-tcp', `127.0.0.1:${sipPort}`, ...extra]);
  running.push(g);
  await g.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'));
  return { g, admin: `http://127.0.0.1:${adminPort}` };
}

describe('gatehouse CLI (issue 2)', () => {
  it('check-config accepts the documented example config and prints the effective config', async () => {
    const r = await runGatehouseToEnd(['check-config', EXAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# effective configuration/);
    expect(r.stdout).toContain('profile: default');
  });

  it('check-config exits 2 naming a misspelt key', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'gh-cli-')), 'typo.yaml');
    writeFileSync(file, 'media:\n  port_mni: 40000\n');
    const r = await runGatehouseToEnd(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`media.port_mni (from file ${file}): unknown key (did you mean "port_min"?)`);
  });

  it('a bad flag value exits 2 with the flag and what is expected; nothing starts', async () => {
    const r = await runGatehouseToEnd(['start', '--media-ports', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('flag --media-ports: expected MIN-MAX like 40000-49999, got "5"');
    expect(r.stdout).toBe('');
  });

  it('an unknown option exits 2', async () => {
    const r = await runGatehouseToEnd(['start', '--sip-udpp', '127.0.0.1:5060']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--sip-udpp'/);
  });

  it('a missing secret file is named and exits 2', async () => {
    const r = await runGatehouseToEnd(['check-config'], { GATEHOUSE_STATE_PASSWORD_FILE: '/nonexistent/redis.pw' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('state.password_file: cannot read /nonexistent/redis.pw (ENOENT)');
  });

  it('--version prints the package version', async () => {
    const r = await runGatehouseToEnd(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('start serves /healthz, /readyz and /metrics, and SIGTERM drains to exit 0', async () => {
    const { g, admin } = await startOnFreePorts();
    const health = await fetch(`${admin}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, phase: 'ready' });
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^gatehouse_ready 1$/m);
    expect(metrics).toMatch(/^gatehouse_process_resident_memory_bytes \d+/m);
    expect((await fetch(`${admin}/nope`)).status).toBe(404);
    g.child.kill('SIGTERM');
    expect((await g.exited).code).toBe(0);
    expect(g.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['draining: readiness is false, no new calls accepted', 'gatehouse stopped']));
  });

  it('SIGINT stops at once with exit 0', async () => {
    const { g } = await startOnFreePorts();
    g.child.kill('SIGINT');
    expect((await g.exited).code).toBe(0);
  });

  it('a listener that cannot bind exits 3 and says which key', async () => {
    const blocker = createServer();
    const port = await freeTcpPort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const r = await runGatehouseToEnd(['start', '--admin-listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`admin.listen 127.0.0.1:${port}`);
      expect(r.stderr).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });
});
