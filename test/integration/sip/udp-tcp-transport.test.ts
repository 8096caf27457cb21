import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { withLimits } from '../../../src/adapters/sip-net/limits.ts';
import type { SipNetLimits } from '../../../src/adapters/sip-net/limits.ts';
import { StreamTransport } from '../../../src/adapters/sip-net/stream-transport.ts';
import type { InboundMessage, SipTransport, TransportEvents } from '../../../src/adapters/sip-net/types.ts';
import { UdpTransport } from '../../../src/adapters/sip-net/udp-transport.ts';
import { sipConnectionsRejected } from '../../../src/metrics/sip.ts';
import { closed, collect, once, readUntil, sipMessage, sleep } from './helpers/net.ts';

const open: SipTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function start<T extends SipTransport>(t: T): Promise<T> {
  open.push(t);
  await t.listen();
  return t;
}
const tcp = (host = '127.0.0.1', limits: Partial<SipNetLimits> = {}): Promise<StreamTransport> =>
  start(new StreamTransport({ kind: 'tcp', host, port: 0, limits: withLimits(limits) }));

describe('UDP transport (RFC 3261 18.1/18.2)', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`receives a datagram and answers to the source address on ${host}`, async () => {
      const t = await start(new UdpTransport({ host, port: 0, limits: withLimits({}) }));
      expect(t.local.port).toBeGreaterThan(0);
      const client = createSocket(host === '::1' ? 'udp6' : 'udp4');
      await new Promise<void>((r) => client.bind(0, host, () => r()));
      const got = once<InboundMessage>(t, 'message');
      client.send(sipMessage('OPTIONS', 'UDP'), t.local.port, host);
      const m = await got;
      expect(m.transport).toBe('udp');
      expect(m.remote).toEqual({ address: host, port: client.address().port, family: host === '::1' ? 'IPv6' : 'IPv4' });
      expect(m.data.toString()).toContain('OPTIONS sip:room@gw.test');
      const reply = once<Buffer>(client, 'message');
      await t.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), { remote: m.remote });
      expect((await reply).toString()).toBe('SIP/2.0 200 OK\r\n\r\n');
      client.close();
    });
  }

  it('drops datagrams over the size limit with a frame error', async () => {
    const t = await start(new UdpTransport({ host: '127.0.0.1', port: 0, limits: withLimits({ maxMessageSize: 500 }) }));
    const client = createSocket('udp4');
    const err = once<TransportEvents['frameError'][0]>(t, 'frameError');
    client.send(sipMessage('OPTIONS', 'UDP', 'x'.repeat(600)), t.local.port, '127.0.0.1');
    expect((await err).reason).toBe('too_large');
    client.close();
  });
});

describe('TCP transport (RFC 3261 18.3 framing, RFC 5626 keep-alive)', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`frames coalesced and split messages and answers on the same connection (${host})`, async () => {
      const t = await tcp(host);
      const c = connect(t.local.port, host);
      const three = collect<InboundMessage>(t, 'message', 3);
      const a = sipMessage('OPTIONS', 'TCP', 'v=0\r\n');
      const b = sipMessage('INFO', 'TCP', 'hello');
      c.write(a + b + a.slice(0, 20)); // two and a bit in one segment
      await sleep(20);
      c.write(a.slice(20));
      const ms = await three;
      expect(ms.map((m) => m.data.toString())).toEqual([a, b, a]);
      expect(new Set(ms.map((m) => m.connectionId)).size).toBe(1);
      expect(ms[0]?.remote.family).toBe(host === '::1' ? 'IPv6' : 'IPv4');
      const reply = readUntil(c, (s) => s.endsWith('\r\n\r\n'));
      await t.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), { connectionId: ms[0]?.connectionId ?? '' });
      expect(await reply).toBe('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
      c.destroy();
    });
  }

  it('RFC 5626 4.4.1: answers a double-CRLF ping with a single CRLF', async () => {
    const t = await tcp();
    const c = connect(t.local.port, '127.0.0.1');
    const pong = readUntil(c, (s) => s.length >= 2);
    c.write('\r\n\r\n');
    expect(await pong).toBe('\r\n');
    c.destroy();
  });

  it('reuses the inbound connection when sending to its remote address', async () => {
    const t = await tcp();
    const c = connect(t.local.port, '127.0.0.1');
    const m = once<InboundMessage>(t, 'message');
    c.write(sipMessage('OPTIONS', 'TCP'));
    const { remote } = await m;
    const got = readUntil(c, (s) => s.includes('BYE'));
    await t.send(Buffer.from(sipMessage('BYE', 'TCP')), { remote });
    expect(await got).toContain('BYE sip:room@gw.test');
    expect(t.connectionCount).toBe(1);
    c.destroy();
  });

  it('opens one outbound connection to an address and reuses it', async () => {
    const a = await tcp();
    const b = await tcp();
    const two = collect<InboundMessage>(a, 'message', 2);
    await b.send(Buffer.from(sipMessage('OPTIONS', 'TCP')), { remote: { address: '127.0.0.1', port: a.local.port } });
    await b.send(Buffer.from(sipMessage('INFO', 'TCP')), { remote: { address: '127.0.0.1', port: a.local.port } });
    const ms = await two;
    expect(ms[0]?.connectionId).toBe(ms[1]?.connectionId);
    expect(b.connectionCount).toBe(1);
  });

  it('refuses connections beyond the per-IP limit', async () => {
    const t = await tcp('127.0.0.1', { maxConnectionsPerIp: 2 });
    const before = (await sipConnectionsRejected.get()).values.find((v) => v.labels.reason === 'per_ip_connection_limit')?.value ?? 0;
    const c1 = connect(t.local.port, '127.0.0.1');
    const c2 = connect(t.local.port, '127.0.0.1');
    await Promise.all([once(c1, 'connect'), once(c2, 'connect')]);
    const c3 = connect(t.local.port, '127.0.0.1');
    c3.on('error', () => undefined);
    await closed(c3);
    const after = (await sipConnectionsRejected.get()).values.find((v) => v.labels.reason === 'per_ip_connection_limit')?.value ?? 0;
    expect(after - before).toBe(1);
    // the first two still work
    const m = once<InboundMessage>(t, 'message');
    c2.write(sipMessage('OPTIONS', 'TCP'));
    expect((await m).transport).toBe('tcp');
    c1.destroy();
    c2.destroy();
  });

  it('slowloris: closes a connection that dribbles bytes without completing a message', async () => {
    const t = await tcp('127.0.0.1', { incompleteMessageTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const c = connect(t.local.port, '127.0.0.1');
    c.on('error', () => undefined);
    const reason = once<{ reason: string }>(t, 'connectionClosed');
    const msg = sipMessage('INVITE', 'TCP');
    let i = 0;
    const drip = setInterval(() => {
      if (!c.destroyed && i < msg.length - 1) c.write(msg[i++] ?? '');
    }, 25);
    expect((await reason).reason).toBe('incomplete_timeout');
    clearInterval(drip);
    await closed(c);
  });

  it('closes a silent connection after the idle timeout', async () => {
    const t = await tcp('127.0.0.1', { idleTimeoutMs: 200 });
    const c = connect(t.local.port, '127.0.0.1');
    const reason = once<{ reason: string }>(t, 'connectionClosed');
    expect((await reason).reason).toBe('idle_timeout');
    await closed(c);
  });

  it('refuses a message over the size limit before its body arrives and closes', async () => {
    const t = await tcp('127.0.0.1', { maxMessageSize: 1000 });
    const c = connect(t.local.port, '127.0.0.1');
    const err = once<{ reason: string; head: Buffer }>(t, 'frameError');
    c.write('INVITE sip:room@gw.test SIP/2.0\r\nContent-Length: 100000\r\n\r\n');
    const e = await err;
    expect(e.reason).toBe('too_large');
    expect(e.head.toString()).toContain('INVITE sip:room@gw.test');
    await closed(c);
  });
});
