/**
 * The gateway as an operator runs it (`gatehouse start` with a config file) answering SIPp:
 * room calls negotiated by the crypto policy (policy order, not offer order), plaintext refused
 * with 488 + Warning, unknown rooms 404, and what /metrics shows afterwards.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatehouse, type GatehouseChild } from '../helpers/gatehouse-process.ts';
import { freeTcpPort, freeUdpTcpPort } from '../helpers/ports.ts';
import { runSipp } from './sip/helpers/sipp.ts';

let gw: GatehouseChild;
let sipPort = 0;
let admin = '';

beforeAll(async () => {
  sipPort = await freeUdpTcpPort();
  const adminPort = await freeTcpPort();
  admin = `http://127.0.0.1:${adminPort}`;
  const dir = mkdtempSync(join(tmpdir(), 'gh-gw-'));
  const config = join(dir, 'gatehouse.yaml');
  writeFileSync(
    config,
    [
      'sip:',
      `  udp: { listen: "127.0.0.1:${sipPort}" }`,
      `  tcp: { listen: "127.0.0.1:${sipPort}" }`,
      '  limits: { max_message_bytes: 4000 }',
      `admin: { listen: "127.0.0.1:${adminPort}" }`,
      'media: { port_min: 46000, port_max: 46999 }',
      'admission: { max_calls: 1, retry_after_s: 7 }',
      'rooms:',
      '  list:',
      '    - id: lobby',
      '',
    ].join('\n'),
  );
  gw = runGatehouse(['start', '--config', config]);
  await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'));
});

afterAll(async () => {
  if (gw && gw.child.exitCode === null) {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
});

describe('gatehouse start answers room calls (issues 3 and 5)', () => {
  for (const transport of ['u1', 't1'] as const) {
    it(`answers an SDES offer over ${transport === 'u1' ? 'UDP' : 'TCP'} with AEAD_AES_256_GCM chosen by policy order, then BYE`, async () => {
      const r = await runSipp({ scenario: 'uac-room-gcm.xml', target: `127.0.0.1:${sipPort}`, transport, service: 'lobby', calls: 1 });
      expect(r.errors).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.successfulCalls).toBe(1);
    });
  }

  it('refuses plaintext RTP/AVP with 488 and a Warning naming the profile', async () => {
    const r = await runSipp({ scenario: 'uac-plaintext-refused.xml', target: `127.0.0.1:${sipPort}`, transport: 'u1', service: 'lobby' });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('answers 404 for a room that does not exist', async () => {
    const r = await runSipp({ scenario: 'uac-unknown-room.xml', target: `127.0.0.1:${sipPort}`, transport: 'u1', service: 'nosuchroom' });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('a full instance answers 503 with Retry-After while its one call is up (admission)', async () => {
    const joined = (): number => gw.lines.filter((l) => l.msg === 'call joined room').length;
    const before = joined();
    const first = runSipp({ scenario: 'uac-room-gcm.xml', target: `127.0.0.1:${sipPort}`, transport: 'u1', service: 'lobby', callLengthMs: 4000 });
    await gw.waitForLog(() => joined() > before);
    const second = await runSipp({ scenario: 'uac-at-capacity.xml', target: `127.0.0.1:${sipPort}`, transport: 'u1', service: 'lobby' });
    expect(second.errors).toBe('');
    expect(second.exitCode).toBe(0);
    expect((await first).exitCode).toBe(0);
    expect(gw.lines.find((l) => l.code === 'AT_CAPACITY')).toMatchObject({ msg: 'call rejected', status: 503 });
  });

  it('applies sip.limits from the config file: a message over max_message_bytes gets 513', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = (sock.address() as { port: number }).port;
    const msg = [
      `OPTIONS sip:lobby@127.0.0.1:${sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-big-1;rport`,
      'From: <sip:probe@127.0.0.1>;tag=big1',
      'To: <sip:lobby@127.0.0.1>',
      'Call-ID: big-1@127.0.0.1',
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
      'Content-Type: text/plain',
      'Content-Length: 4500',
      '',
      'x'.repeat(4500),
    ].join('\r\n');
    const reply = new Promise<string>((resolve) => sock.once('message', (d) => resolve(d.toString())));
    sock.send(msg, sipPort, '127.0.0.1');
    expect((await reply).split('\r\n')[0]).toMatch(/^SIP\/2\.0 513 /);
    sock.close();
  });

  it('counts what happened in /metrics and logs the choice without key material', async () => {
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/^gatehouse_calls_answered_total\{transport="udp"\} 2$/m);
    expect(metrics).toMatch(/^gatehouse_calls_rejected_total\{status="503",code="AT_CAPACITY"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_calls_answered_total\{transport="tcp"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_calls_rejected_total\{status="488",code="POLICY_PLAINTEXT_REFUSED"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_calls_rejected_total\{status="404",code="ROOM_UNKNOWN"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_srtp_negotiations_total\{.*suite="AEAD_AES_256_GCM".*\} 3$/m);
    // a built gateway (npm ci builds both) runs its media on the native engines, and says so
    expect(metrics).toMatch(/^gatehouse_srtp_engine_info\{engine="native"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_media_socket_engine_info\{engine="native"\} 1$/m);
    expect(gw.lines.find((l) => l.msg === 'media socket engine')).toMatchObject({ engine: 'native' });
    const joined = gw.lines.filter((l) => l.msg === 'call joined room');
    expect(joined.map((l) => l.suite)).toEqual(['AEAD_AES_256_GCM', 'AEAD_AES_256_GCM', 'AEAD_AES_256_GCM']);
    const out = gw.stdout();
    expect(out).not.toContain('ZGVmZ2hpamtsbW5vcHFyc3R1');
    expect(out).not.toMatch(/inline:[A-Za-z0-9+/]{20}/);
    // both calls ended by the caller's BYE; the room ended with the last one
    expect(gw.lines.filter((l) => l.msg === 'call left room; room ended')).toHaveLength(3);
  });
});
