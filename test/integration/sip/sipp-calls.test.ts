/**
 * SIPp (Debian sip-tester) against the embedded engine over UDP and TCP on 127.0.0.1: what a
 * user checks is SIPp's exit code (0 = every call passed its scenario) and the call counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from './helpers/gateway.ts';
import type { TestGateway } from './helpers/gateway.ts';
import { requireSipp, runSipp } from './helpers/sipp.ts';

let gw: TestGateway;
beforeAll(async () => {
  requireSipp();
  gw = await startTestGateway({
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    limits: { rateLimit: null },
  });
});
afterAll(async () => {
  await gw.stop();
});

const transports = [
  { name: 'UDP', sipp: 'u1', gw: 'udp' },
  { name: 'TCP', sipp: 't1', gw: 'tcp' },
] as const;

describe.each(transports)('SIPp over $name', ({ sipp, gw: t }) => {
  const target = (): string => `127.0.0.1:${String(gw.port(t))}`;

  it('basic call with an SDES offer is answered with SDP and ended by the caller (RFC 3261 13, RFC 4568)', async () => {
    const before = { ...gw.stats, bye: gw.stats.ended['bye'] ?? 0 };
    const r = await runSipp({ scenario: 'uac-sdes-call.xml', transport: sipp, target: target(), calls: 3, callLengthMs: 100 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.successfulCalls).toBe(3);
    expect(gw.stats.confirmed - before.confirmed).toBe(3);
    expect((gw.stats.ended['bye'] ?? 0) - before.bye).toBe(3);
  });

  it('CANCEL before the answer gets 200 and the INVITE 487 (RFC 3261 9.2)', async () => {
    const before = gw.stats.cancelled;
    const r = await runSipp({ scenario: 'uac-cancel.xml', transport: sipp, target: target(), service: 'slow', calls: 2 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.successfulCalls).toBe(2);
    expect(gw.stats.cancelled - before).toBe(2);
  });

  it('re-INVITE from the caller is answered with SDP (RFC 3261 14.2)', async () => {
    const before = gw.stats.reinvites;
    const r = await runSipp({ scenario: 'uac-reinvite.xml', transport: sipp, target: target(), calls: 2 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.successfulCalls).toBe(2);
    expect(gw.stats.reinvites - before).toBe(2);
  });

  it('the gateway sends a re-INVITE and then BYE (RFC 3261 14.1, 15.1.1)', async () => {
    const before = gw.stats.ended['local'] ?? 0;
    const r = await runSipp({ scenario: 'uac-gateway-hangs-up.xml', transport: sipp, target: target(), service: 'hangup', calls: 2 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.successfulCalls).toBe(2);
    expect((gw.stats.ended['local'] ?? 0) - before).toBe(2);
  });

  it('OPTIONS gets 200 with Allow (RFC 3261 11.2)', async () => {
    const r = await runSipp({ scenario: 'uac-options.xml', transport: sipp, target: target(), calls: 1 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('a malformed INVITE gets 400 whose reason phrase says what is wrong', async () => {
    const r = await runSipp({ scenario: 'uac-malformed.xml', transport: sipp, target: target(), calls: 1 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('200 calls in parallel all succeed (-m 200 -l 200)', async () => {
    const r = await runSipp({ scenario: 'uac-sdes-call.xml', transport: sipp, target: target(), calls: 200, limit: 200, rate: 400, callLengthMs: 1000, timeoutSeconds: 30 });
    expect(r.errors).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.successfulCalls).toBe(200);
    expect(r.failedCalls).toBe(0);
  });
});

it('a busy room is rejected with 480 (SIPp counts the call as failed)', async () => {
  const busy = await runSipp({ scenario: 'uac-sdes-call.xml', transport: 'u1', target: `127.0.0.1:${String(gw.port('udp'))}`, service: 'busy', calls: 1 });
  expect(busy.exitCode).toBe(1);
  expect(busy.failedCalls).toBe(1);
  expect(busy.errors).toMatch(/480/);
});
