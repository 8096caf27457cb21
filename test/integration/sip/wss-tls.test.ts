/**
 * WSS with a real SIP stack (SIP.js 0.21 UserAgent in Node, RFC 7118) and TLS with the
 * openssl CLI as the client (RFC 3261 26.2). The certificates come from a throw-away test PKI.
 */
import { spawn } from 'node:child_process';
import { Inviter, SessionState, UserAgent } from 'sip.js';
import type { Session, SessionDescriptionHandler } from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import { startTestGateway } from './helpers/gateway.ts';
import type { TestGateway } from './helpers/gateway.ts';
import { OFFER_SDES, ids, request } from './helpers/raw-uac.ts';
import { makeTestPki } from './helpers/test-pki.ts';
import type { TestPki } from './helpers/test-pki.ts';

let pki: TestPki;
let gw: TestGateway;
beforeAll(async () => {
  pki = makeTestPki();
  gw = await startTestGateway({
    listen: [
      { transport: 'wss', host: '127.0.0.1', port: 0 },
      { transport: 'tls', host: '127.0.0.1', port: 0 },
    ],
    limits: { rateLimit: null },
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false },
  });
});
afterAll(async () => {
  await gw.stop();
  pki.cleanup();
});

/** SIP.js opens `new WebSocket(url, 'sip')`; give it `ws` trusting our test CA. */
function installWebSocket(ca: Buffer): () => void {
  const original = globalThis.WebSocket;
  class TestCaWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca } satisfies ClientOptions);
    }
  }
  Object.defineProperty(globalThis, 'WebSocket', { value: TestCaWebSocket, configurable: true, writable: true });
  return () => Object.defineProperty(globalThis, 'WebSocket', { value: original, configurable: true, writable: true });
}

/** No WebRTC in Node: an SDH that offers/answers a fixed SDES description. */
function fixedSdh(): SessionDescriptionHandler {
  return {
    close: () => undefined,
    getDescription: () => Promise.resolve({ body: OFFER_SDES, contentType: 'application/sdp' }),
    hasDescription: (contentType: string) => contentType === 'application/sdp',
    setDescription: () => Promise.resolve(),
    sendDtmf: () => false,
  };
}

function reach(session: Session, state: SessionState): Promise<void> {
  return new Promise((resolve) => {
    if (session.state === state) resolve();
    session.stateChange.addListener((s) => {
      if (s === state) resolve();
    });
  });
}

describe('WSS with a SIP.js UserAgent (RFC 7118)', () => {
  const run = async (room: string, hangUpOurselves: boolean): Promise<void> => {
    const restore = installWebSocket(pki.caCert);
    const ua = new UserAgent({
      uri: UserAgent.makeURI('sip:guest@gatehouse.test'),
      transportOptions: { server: `wss://127.0.0.1:${String(gw.port('wss'))}` },
      sessionDescriptionHandlerFactory: () => fixedSdh(),
      logLevel: 'error',
    });
    try {
      await ua.start();
      const target = UserAgent.makeURI(`sip:${room}@127.0.0.1`);
      if (target === undefined) throw new Error('bad target');
      const inviter = new Inviter(ua, target);
      const established = reach(inviter, SessionState.Established);
      const terminated = reach(inviter, SessionState.Terminated);
      await inviter.invite();
      await established;
      if (hangUpOurselves) await inviter.bye();
      await terminated;
    } finally {
      await ua.stop();
      restore();
    }
  };

  it('a browser-style guest calls a room, is answered with SDP and hangs up', async () => {
    const before = { confirmed: gw.stats.confirmed, bye: gw.stats.ended['bye'] ?? 0 };
    await run('room', true);
    expect(gw.stats.confirmed - before.confirmed).toBe(1);
    expect((gw.stats.ended['bye'] ?? 0) - before.bye).toBe(1);
  });

  it('the gateway re-INVITEs and hangs up over the guest WebSocket connection', async () => {
    const before = gw.stats.ended['local'] ?? 0;
    await run('hangup', false);
    expect((gw.stats.ended['local'] ?? 0) - before).toBe(1);
  });
});

/** Pipes `input` into `openssl s_client` and returns what the server sent until `until` matches. */
function opensslExchange(port: number, input: string, until: RegExp, clientCert: boolean): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${String(port)}`, '-CAfile', pki.paths.ca, '-verify_return_error', '-quiet', '-no_ign_eof'];
  if (clientCert) args.push('-cert', pki.paths.clientCert, '-key', pki.paths.clientKey);
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error('openssl not found; install with: apt-get install openssl') : e));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) {
        child.kill();
        resolve(out);
      }
    });
    child.on('close', () => (until.test(out) ? resolve(out) : reject(new Error(`openssl s_client ended: ${err}`))));
    child.stdin.write(input);
  });
}

describe('TLS with openssl s_client (RFC 3261 26.2, mTLS identity)', () => {
  it('OPTIONS over TLS gets 200 on the same connection', async () => {
    const port = gw.port('tls');
    const msg = request({ method: 'OPTIONS', transport: 'TLS', host: '127.0.0.1', port, local: '127.0.0.1:5061', ids: ids() });
    const out = await opensslExchange(port, msg, /\r\n\r\n/, false);
    expect(out).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(out).toMatch(/^Allow: .*INVITE/m);
  });

  it('an INVITE over mutual TLS reaches the call logic with the verified client certificate', async () => {
    const port = gw.port('tls');
    const seen = new Promise<string | undefined>((resolve) => gw.backend.once('invite', (inv) => resolve(inv.source.tlsPeer?.subject['CN'])));
    const msg = request({ method: 'INVITE', transport: 'TLS', host: '127.0.0.1', port, local: '127.0.0.1:5061', ids: ids(), body: OFFER_SDES });
    const out = await opensslExchange(port, msg, /SIP\/2\.0 200 OK[\s\S]*\r\n\r\n[\s\S]*a=crypto/, true);
    expect(await seen).toBe('trunk.test');
    expect(out).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
  });
});
