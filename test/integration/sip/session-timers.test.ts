/**
 * Issue 5, RFC 4028 session timers on the real gateway (`gatehouse start --config`), with SIPp
 * callers: long calls stay alive and dead ones end.
 *
 *   gateway refreshes (refresher=uas)     re-INVITE with our SDP offer, or an offerless UPDATE
 *                                         when the caller allows UPDATE (RFC 3311), carrying
 *                                         Session-Expires; before the session expires
 *   caller refreshes (refresher=uac)      its re-INVITE restarts the gateway's timer: no BYE at
 *                                         the first interval's deadline
 *   caller never refreshes                the gateway sends BYE before expiry (RFC 4028 10:
 *                                         expiry minus min(32 s, interval/3)), and logs why
 *
 * 90 s is the smallest interval RFC 4028 4 allows, so each call lasts 45-65 s; the four calls
 * run concurrently against one gateway. What must happen "before expiry" is enforced by the
 * scenarios' receive timeouts (88 s from the ACK, inside the 90 s interval), not by sleeps.
 * Media timeouts are off (rooms.media_timeout_s: 0): SIPp sends no RTP here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatehouse, type GatehouseChild } from '../../helpers/gatehouse-process.ts';
import { freeTcpPort, freeUdpTcpPort } from '../../helpers/ports.ts';
import { requireSipp, runSipp, type SippRun } from './helpers/sipp.ts';

const CALL_TIMEOUT_MS = 110_000;

let gw: GatehouseChild;
let dir = '';
let sipPort = 0;

beforeAll(async () => {
  requireSipp();
  sipPort = await freeUdpTcpPort();
  const adminPort = await freeTcpPort();
  const mediaBase = 12000 + 100 * Math.floor(Math.random() * 200); // below the ephemeral range; the allocator skips EADDRINUSE
  dir = mkdtempSync(join(tmpdir(), 'gh-session-timers-'));
  const config = join(dir, 'gatehouse.yaml');
  writeFileSync(
    config,
    [
      'log: { level: info, format: json }',
      `admin: { listen: "127.0.0.1:${adminPort}" }`,
      'sip:',
      `  udp: { enabled: true, listen: "127.0.0.1:${sipPort}" }`,
      `  tcp: { enabled: true, listen: "127.0.0.1:${sipPort}" }`,
      `media: { bind_address: 127.0.0.1, port_min: ${mediaBase}, port_max: ${mediaBase + 99} }`,
      'rooms:',
      '  media_timeout_s: 0',
      '  list:',
      '    - id: lobby',
      '',
    ].join('\n'),
  );
  gw = runGatehouse(['start', '--config', config]);
  await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'), 30_000);
});

afterAll(async () => {
  if (gw !== undefined && gw.child.exitCode === null && gw.child.signalCode === null) {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** One SIPp call into the lobby with a known Call-ID (`-cid_str`), to find it in the gateway's log. */
async function call(scenario: string, transport: 'u1' | 't1', tag: string): Promise<{ run: SippRun; callId: string }> {
  const callId = `st-${tag}-${String(process.pid)}@127.0.0.1`;
  const run = await runSipp({ scenario, target: `127.0.0.1:${String(sipPort)}`, transport, service: 'lobby', timeoutSeconds: 100, extra: ['-cid_str', callId] });
  return { run, callId };
}

function expectCallOk(run: SippRun): void {
  expect(run.errors).toBe('');
  expect(run.stderr).not.toMatch(/Aborting call|Unexpected/i);
  expect(run.exitCode).toBe(0);
  expect(run.successfulCalls).toBe(1);
}

const logsOf = (callId: string, msg: (m: string) => boolean): Record<string, unknown>[] =>
  gw.lines.filter((l) => l.callId === callId && typeof l.msg === 'string' && msg(l.msg));

describe.concurrent('RFC 4028 session timers through the gateway (issue 5)', () => {
  it('gateway as refresher: 2xx says 90;refresher=uas, then a re-INVITE with SDP and Session-Expires before expiry (UDP)', async () => {
    const { run, callId } = await call('uac-session-timer-uas-refreshes.xml', 'u1', 'reinvite');
    expectCallOk(run);
    const left = await gw.waitForLog((l) => l.callId === callId && typeof l.msg === 'string' && l.msg.startsWith('call left room'));
    expect(left.cause).toBe('bye'); // SIPp's BYE after the refresh: the session was alive until then
    expect(logsOf(callId, (m) => m.startsWith('SIP session expired'))).toEqual([]);
  }, CALL_TIMEOUT_MS);

  it('gateway as refresher with a caller that allows UPDATE: an offerless UPDATE with Session-Expires before expiry (TCP)', async () => {
    const { run, callId } = await call('uac-session-timer-update-refresh.xml', 't1', 'update');
    expectCallOk(run);
    const left = await gw.waitForLog((l) => l.callId === callId && typeof l.msg === 'string' && l.msg.startsWith('call left room'));
    expect(left.cause).toBe('bye');
    expect(logsOf(callId, (m) => m.startsWith('SIP session expired'))).toEqual([]);
  }, CALL_TIMEOUT_MS);

  it('caller as refresher that refreshes: its re-INVITE restarts the timer, no BYE at the first deadline (TCP)', async () => {
    const { run, callId } = await call('uac-session-timer-uac-refreshes.xml', 't1', 'uacrefresh');
    expectCallOk(run); // an unexpected BYE from the gateway during the scenario's 65 s would fail it
    const left = await gw.waitForLog((l) => l.callId === callId && typeof l.msg === 'string' && l.msg.startsWith('call left room'));
    expect(left.cause).toBe('bye');
    expect(logsOf(callId, (m) => m.startsWith('SIP session expired'))).toEqual([]);
  }, CALL_TIMEOUT_MS);

  it('caller as refresher that never refreshes: the gateway sends BYE before expiry and logs the cause (UDP)', async () => {
    const { run, callId } = await call('uac-session-timer-uac-silent.xml', 'u1', 'silent');
    expectCallOk(run); // the BYE arrived within 88 s of the ACK
    const joined = await gw.waitForLog((l) => l.callId === callId && l.msg === 'call joined room');
    const expired = await gw.waitForLog((l) => l.callId === callId && l.msg === 'SIP session expired without refresh (RFC 4028 10); sending BYE');
    expect(expired).toMatchObject({ intervalS: 90, refresher: 'peer', cause: 'session-expired' });
    const left = await gw.waitForLog((l) => l.callId === callId && typeof l.msg === 'string' && l.msg.startsWith('call left room'));
    expect(left.cause).toBe('timeout');
    // not before the caller was even due to refresh (half the interval, RFC 4028 10): a delay
    // on a busy machine only makes this larger
    expect(Number(expired.time) - Number(joined.time)).toBeGreaterThanOrEqual(45_000);
  }, CALL_TIMEOUT_MS);
});
