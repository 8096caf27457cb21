import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { withLimits } from '../../../src/adapters/sip-net/limits.ts';
import { StreamTransport } from '../../../src/adapters/sip-net/stream-transport.ts';
import type { InboundMessage, SipTransport } from '../../../src/adapters/sip-net/types.ts';
import { WsTransport } from '../../../src/adapters/sip-net/ws-transport.ts';
import { sipConnectionsRejected } from '../../../src/metrics/sip.ts';
import { collect, once, readUntil, sipMessage } from './helpers/net.ts';
import { makeTestPki } from './helpers/test-pki.ts';
import type { TestPki } from './helpers/test-pki.ts';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.cleanup());

const open: SipTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});
async function start<T extends SipTransport>(t: T): Promise<T> {
  open.push(t);
  await t.listen();
  return t;
}

describe('TLS transport (RFC 3261 26.2, RFC 5630)', () => {
  const tlsServer = (host: string, mtls: boolean): Promise<StreamTransport> =>
    start(
      new StreamTransport({
        kind: 'tls',
        host,
        port: 0,
        limits: withLimits({}),
        tls: { key: pki.serverKey, cert: pki.serverCert, ...(mtls ? { ca: pki.caCert, requestCert: true, rejectUnauthorized: false } : {}) },
      }),
    );

  for (const host of ['127.0.0.1', '::1']) {
    it(`frames messages, answers pings and replies on the connection (${host})`, async () => {
      const t = await tlsServer(host, false);
      const c = tlsConnect({ host, port: t.local.port, ca: pki.caCert, servername: 'localhost' });
      await once(c, 'secureConnect');
      expect(c.getProtocol()).toMatch(/^TLSv1\.[23]$/);
      const m = once<InboundMessage>(t, 'message');
      c.write(sipMessage('OPTIONS', 'TLS'));
      const got = await m;
      expect(got.transport).toBe('tls');
      expect(got.tlsPeerCertificate).toBeUndefined();
      const pong = readUntil(c, (s) => s === '\r\n');
      c.write('\r\n\r\n');
      expect(await pong).toBe('\r\n');
      const reply = readUntil(c, (s) => s.endsWith('\r\n\r\n'));
      await t.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), { connectionId: got.connectionId ?? '' });
      expect(await reply).toContain('SIP/2.0 200 OK');
      c.destroy();
    });
  }

  it('hands the verified client certificate up with each message (mTLS)', async () => {
    const t = await tlsServer('127.0.0.1', true);
    const c = tlsConnect({ host: '127.0.0.1', port: t.local.port, ca: pki.caCert, servername: 'localhost', key: pki.clientKey, cert: pki.clientCert });
    await once(c, 'secureConnect');
    const m = once<InboundMessage>(t, 'message');
    c.write(sipMessage('INVITE', 'TLS'));
    expect((await m).tlsPeerCertificate?.subject.CN).toBe('trunk.test');
    c.destroy();
  });

  it('opens outbound TLS connections that verify the server', async () => {
    const a = await tlsServer('127.0.0.1', false);
    const b = await start(new StreamTransport({ kind: 'tls', host: '127.0.0.1', port: 0, limits: withLimits({}), tls: { key: pki.serverKey, cert: pki.serverCert }, clientTls: { ca: pki.caCert } }));
    const m = once<InboundMessage>(a, 'message');
    await b.send(Buffer.from(sipMessage('OPTIONS', 'TLS')), { remote: { address: '127.0.0.1', port: a.local.port }, serverName: 'localhost' });
    expect((await m).transport).toBe('tls');
  });
});

describe('WebSocket transports (RFC 7118)', () => {
  const wsServer = (kind: 'ws' | 'wss', host: string, limits = {}): Promise<WsTransport> =>
    start(new WsTransport({ kind, host, port: 0, limits: withLimits(limits), ...(kind === 'wss' ? { tls: { key: pki.serverKey, cert: pki.serverCert } } : {}) }));
  const url = (t: WsTransport): string => {
    const h = t.local.family === 'IPv6' ? `[${t.local.address}]` : t.local.address;
    return `${t.name}://${h}:${t.local.port}`;
  };

  for (const [kind, host] of [['ws', '127.0.0.1'], ['wss', '::1']] as const) {
    it(`${kind} on ${host}: one SIP message per frame, text or binary, replies on the connection`, async () => {
      const t = await wsServer(kind, host);
      const ws = new WebSocket(url(t), 'sip', { ca: pki.caCert });
      await once(ws, 'open');
      expect(ws.protocol).toBe('sip');
      const two = collect<InboundMessage>(t, 'message', 2);
      const a = sipMessage('INVITE', 'WSS', 'v=0\r\n');
      ws.send(a);
      ws.send(Buffer.from(sipMessage('BYE', 'WSS')), { binary: true });
      const ms = await two;
      expect(ms[0]?.data.toString()).toBe(a);
      expect(ms[1]?.data.toString()).toMatch(/^BYE /);
      expect(ms[0]?.transport).toBe(kind);
      expect(ms[0]?.remote.family).toBe(host === '::1' ? 'IPv6' : 'IPv4');
      const reply = once<[Buffer, boolean]>(ws, 'message');
      await t.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), { connectionId: ms[0]?.connectionId ?? '' });
      expect((await reply).toString()).toContain('SIP/2.0 200 OK');
      ws.close();
    });
  }

  it('RFC 7118 4.1: refuses a handshake without the sip subprotocol', async () => {
    const t = await wsServer('ws', '127.0.0.1');
    const before = (await sipConnectionsRejected.get()).values.find((v) => v.labels.reason === 'no_sip_subprotocol')?.value ?? 0;
    const ws = new WebSocket(url(t), 'chat');
    const res = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(res).toBe(400);
    const after = (await sipConnectionsRejected.get()).values.find((v) => v.labels.reason === 'no_sip_subprotocol')?.value ?? 0;
    expect(after - before).toBe(1);
  });

  it('answers a CRLF keep-alive with a CRLF', async () => {
    const t = await wsServer('ws', '127.0.0.1');
    const ws = new WebSocket(url(t), 'sip');
    await once(ws, 'open');
    const pong = once<Buffer>(ws, 'message');
    ws.send('\r\n\r\n');
    expect((await pong).toString()).toBe('\r\n');
    ws.close();
  });

  it('closes the WebSocket of a message over the size limit', async () => {
    const t = await wsServer('ws', '127.0.0.1', { maxMessageSize: 1000 });
    const ws = new WebSocket(url(t), 'sip');
    await once(ws, 'open');
    const code = once<number>(ws, 'close');
    const reason = once<{ reason: string }>(t, 'connectionClosed');
    ws.send(sipMessage('INVITE', 'WS', 'x'.repeat(2000)));
    expect(await code).toBe(1009); // RFC 6455 7.4.1: message too big
    expect((await reason).reason).toBe('too_large');
  });

  it('closes an idle WebSocket', async () => {
    const t = await wsServer('ws', '127.0.0.1', { idleTimeoutMs: 200 });
    const ws = new WebSocket(url(t), 'sip');
    await once(ws, 'open');
    const reason = once<{ reason: string }>(t, 'connectionClosed');
    expect((await reason).reason).toBe('idle_timeout');
  });

  it('refuses WebSocket connections beyond the per-IP limit', async () => {
    const t = await wsServer('ws', '127.0.0.1', { maxConnectionsPerIp: 1 });
    const ok = new WebSocket(url(t), 'sip');
    await once(ok, 'open');
    const ws = new WebSocket(url(t), 'sip');
    await new Promise<void>((resolve) => ws.on('error', () => resolve()));
    expect(t.connectionCount).toBe(1);
    ok.close();
  });
});
