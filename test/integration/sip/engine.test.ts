/** The engine over real sockets with hand-written messages: exact statuses and headers. */
import { createServer } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sipRateLimited } from '../../../src/metrics/sip.ts';
import { startTestGateway } from './helpers/gateway.ts';
import type { TestGateway } from './helpers/gateway.ts';
import { readUntil } from './helpers/net.ts';
import { OFFER_PLAIN_RTP, OFFER_SDES, UdpPeer, header, ids, request, status, toTagOf } from './helpers/raw-uac.ts';

const running: Array<{ stop: () => Promise<void> } | { close: () => void }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await ('stop' in r ? r.stop() : Promise.resolve(r.close()));
});

async function gateway(host = '127.0.0.1', limits = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ listen: [{ transport: 'udp', host, port: 0 }, { transport: 'tcp', host, port: 0 }], limits: { rateLimit: null, ...limits } });
  running.push(gw);
  return gw;
}
async function peer(host = '127.0.0.1'): Promise<UdpPeer> {
  const p = await UdpPeer.open(host);
  running.push(p);
  return p;
}

describe('embedded engine over UDP', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`answers an SDES offer, is confirmed by ACK and ended by BYE (${host})`, async () => {
      const gw = await gateway(host);
      const p = await peer(host);
      const port = gw.port('udp', host === '::1' ? 'IPv6' : 'IPv4');
      const id = ids();
      p.send(request({ method: 'INVITE', transport: 'UDP', host, port, local: p.local, ids: id, body: OFFER_SDES }), port, host);
      // answered within tryingDelayMs: no 100 Trying needed (RFC 3261 17.2.1)
      const ok = await p.next();
      expect(status(ok)).toBe(200);
      expect(ok).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
      // RFC 3581: our Via came back stamped with received and rport
      expect(header(ok, 'Via')).toContain(`rport=${String(p.port)}`);
      const tag = toTagOf(ok);
      const confirmed = new Promise((r) => gw.backend.once('confirmed', r));
      p.send(request({ method: 'ACK', transport: 'UDP', host, port, local: p.local, ids: { ...id, branch: id.branch + 'a' }, toTag: tag }), port, host);
      await confirmed;
      p.send(request({ method: 'BYE', transport: 'UDP', host, port, local: p.local, ids: { ...id, branch: id.branch + 'b' }, toTag: tag, cseq: 2 }), port, host);
      expect(status(await p.next((m) => /CSeq: 2 BYE/.test(m)))).toBe(200);
    });
  }

  it('488 with a Warning for an offer without SRTP', async () => {
    const gw = await gateway();
    const p = await peer();
    p.send(request({ method: 'INVITE', transport: 'UDP', host: '127.0.0.1', port: gw.port('udp'), local: p.local, ids: ids(), body: OFFER_PLAIN_RTP }), gw.port('udp'), '127.0.0.1');
    const r = await p.next((m) => status(m) >= 200);
    expect(status(r)).toBe(488);
    expect(header(r, 'Warning')).toBe('399 gatehouse "no acceptable SRTP suite"');
  });

  const refusals: Array<[string, { method: string; extra?: string; toTag?: string }, number, RegExp | null]> = [
    ['RFC 3261 8.2.1: 405 with Allow for a method we do not handle', { method: 'SUBSCRIBE' }, 405, /^Allow: .*INVITE/m],
    ['RFC 3261 8.2.2.3: 420 with Unsupported for an unknown Require', { method: 'INVITE', extra: 'Require: foo\r\n' }, 420, /^Unsupported: foo/m],
    ['RFC 3261 12.2.2: 481 for BYE outside any dialog', { method: 'BYE', toTag: 'nope' }, 481, null],
  ];
  for (const [name, o, want, headerRe] of refusals) {
    it(name, async () => {
      const gw = await gateway();
      const p = await peer();
      p.send(request({ transport: 'UDP', host: '127.0.0.1', port: gw.port('udp'), local: p.local, ids: ids(), ...o }), gw.port('udp'), '127.0.0.1');
      const r = await p.next((m) => status(m) >= 200);
      expect(status(r)).toBe(want);
      if (headerRe !== null) expect(r).toMatch(headerRe);
    });
  }

  it('per-source rate: 503 with Retry-After over the rate, then silent drop under flood', async () => {
    const gw = await gateway('127.0.0.1', { rateLimit: { ratePerSecond: 1, burst: 2, rejectsPerSecond: 0.001, rejectBurst: 2, maxSources: 10 } });
    const p = await peer();
    const before = (await sipRateLimited.get()).values.find((v) => v.labels.action === 'drop')?.value ?? 0;
    for (let i = 0; i < 10; i++) p.send(request({ method: 'OPTIONS', transport: 'UDP', host: '127.0.0.1', port: gw.port('udp'), local: p.local, ids: ids() }), gw.port('udp'), '127.0.0.1');
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(status(await p.next()));
    expect(got.sort()).toEqual([200, 200, 503, 503]);
    const after = (await sipRateLimited.get()).values.find((v) => v.labels.action === 'drop')?.value ?? 0;
    expect(after - before).toBe(6);
  });

  it('RFC 3261 18.1.1: a request over 1300 bytes to a UDP peer goes over TCP', async () => {
    const gw = await gateway();
    const p = await peer();
    // The peer also listens on TCP at its UDP port number (RFC 3263: same port for both).
    const tcpIn: string[] = [];
    const srv = createServer((s) => s.on('data', (d) => tcpIn.push(d.toString())));
    await new Promise<void>((r) => srv.listen(p.port, '127.0.0.1', () => r()));
    running.push({ close: () => srv.close() });
    const id = ids();
    const port = gw.port('udp');
    p.send(request({ method: 'INVITE', transport: 'UDP', host: '127.0.0.1', port, local: p.local, ids: id, body: OFFER_SDES }), port, '127.0.0.1');
    const ok = await p.next((m) => status(m) === 200);
    const ended = new Promise<{ dialogId: string }>((r) => gw.backend.once('confirmed', r));
    p.send(request({ method: 'ACK', transport: 'UDP', host: '127.0.0.1', port, local: p.local, ids: { ...id, branch: id.branch + 'a' }, toTag: toTagOf(ok) }), port, '127.0.0.1');
    const { dialogId } = await ended;
    void gw.backend.request(dialogId, 'INFO', { contentType: 'application/x-test', body: 'x'.repeat(1500) }).catch(() => undefined);
    for (;;) {
      if (tcpIn.join('').includes('x'.repeat(1500))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(tcpIn.join('')).toMatch(/^INFO sip:alice@127\.0\.0\.1:\d+;transport=udp SIP\/2\.0\r\nVia: SIP\/2\.0\/TCP /);
  });
});

describe('embedded engine over TCP', () => {
  it('answers 513 to a message over the size limit and closes the connection', async () => {
    const gw = await gateway('127.0.0.1', { maxMessageSize: 2000 });
    const c = connect(gw.port('tcp'), '127.0.0.1');
    const got = readUntil(c, (s) => s.includes('\r\n\r\n'));
    c.write(request({ method: 'INVITE', transport: 'TCP', host: '127.0.0.1', port: gw.port('tcp'), local: '127.0.0.1:1', ids: ids(), body: 'x'.repeat(3000), contentType: 'text/plain' }));
    expect(await got).toMatch(/^SIP\/2\.0 513 Message Too Large\r\n/);
    await new Promise((r) => c.once('close', r));
  });

  it('answers 400 with the reason for a missing Content-Length on a stream (RFC 3261 18.3)', async () => {
    const gw = await gateway();
    const c = connect(gw.port('tcp'), '127.0.0.1');
    const got = readUntil(c, (s) => s.includes('\r\n\r\n'));
    const msg = request({ method: 'OPTIONS', transport: 'TCP', host: '127.0.0.1', port: gw.port('tcp'), local: '127.0.0.1:1', ids: ids() }).replace(/Content-Length: 0\r\n/, '');
    c.write(msg);
    expect(await got).toMatch(/^SIP\/2\.0 400 Bad Request - Missing Content-Length header\r\n/);
    c.destroy();
  });
});
