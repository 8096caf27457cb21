/**
 * Mutual TLS from the config file (sip.tls.client_ca_file / require_client_cert) with the real
 * binary: a verified client-certificate subject picks the crypto profile through
 * policy.overrides (cert_subject), and a listener that requires client certificates refuses a
 * handshake without one. openssl s_client is the TLS peer (RFC 3261 26.2).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runGatehouse, type GatehouseChild } from '../../helpers/gatehouse-process.ts';
import { freeTcpPort } from '../../helpers/ports.ts';
import { ids, request } from './helpers/raw-uac.ts';
import { makeTestPki, type TestPki } from './helpers/test-pki.ts';

const OFFER_SHA1 =
  'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/SAVP 0\r\n' +
  'a=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n';

let pki: TestPki;
const running: GatehouseChild[] = [];
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.cleanup());
afterEach(async () => {
  for (const g of running.splice(0)) {
    if (g.child.exitCode === null) {
      g.child.kill('SIGINT');
      await g.exited;
    }
  }
});

async function startGateway(requireClientCert: boolean): Promise<number> {
  const tlsPort = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'gh-mtls-'));
  const config = join(dir, 'gatehouse.yaml');
  writeFileSync(
    config,
    [
      'sip:',
      '  udp: { enabled: false }',
      '  tcp: { enabled: false }',
      '  tls:',
      '    enabled: true',
      `    listen: "127.0.0.1:${tlsPort}"`,
      `    cert_file: ${pki.paths.serverCert}`,
      `    key_file: ${pki.paths.serverKey}`,
      `    client_ca_file: ${pki.paths.ca}`,
      `    require_client_cert: ${String(requireClientCert)}`,
      `admin: { listen: "127.0.0.1:${await freeTcpPort()}" }`,
      'media: { port_min: 47000, port_max: 47999 }',
      'policy:',
      '  overrides:',
      '    - name: trunk',
      '      match: { cert_subject: "CN=trunk.test" }',
      '      profile: secure',
      'rooms: { list: [ { id: lobby } ] }',
      '',
    ].join('\n'),
  );
  const g = runGatehouse(['start', '--config', config]);
  running.push(g);
  await g.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'));
  return tlsPort;
}

/** Sends one INVITE through `openssl s_client`; resolves with what came back (or the TLS error). */
function inviteOverTls(port: number, clientCert: boolean): Promise<string> {
  const msg = request({ method: 'INVITE', transport: 'TLS', host: '127.0.0.1', port, local: '127.0.0.1:5061', ids: ids(), body: OFFER_SHA1, user: 'lobby' });
  const args = ['s_client', '-connect', `127.0.0.1:${String(port)}`, '-CAfile', pki.paths.ca, '-verify_return_error', '-quiet', '-no_ign_eof'];
  if (clientCert) args.push('-cert', pki.paths.clientCert, '-key', pki.paths.clientKey);
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const final = /SIP\/2\.0 [2-6]\d\d [^\r]*\r\n[\s\S]*?\r\n\r\n/;
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error('openssl not found; install with: apt-get install openssl') : e));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (final.test(out)) child.kill();
    });
    child.on('close', () => resolve(out === '' ? `TLS-ERROR ${err}` : out));
    child.stdin.write(msg);
  });
}

describe('mutual TLS from the config file (sip.tls.client_ca_file)', () => {
  it('a verified client certificate selects its override profile; without one the default applies', async () => {
    const port = await startGateway(false);
    const trunk = await inviteOverTls(port, true);
    expect(trunk).toMatch(/^SIP\/2\.0 488 /m);
    expect(trunk).toMatch(/^Warning: 399 gatehouse "profile secure: /m);
    const anonymous = await inviteOverTls(port, false);
    expect(anonymous).toMatch(/^SIP\/2\.0 200 /m);
    expect(anonymous).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
  });

  it('require_client_cert refuses a TLS handshake without a client certificate', async () => {
    const port = await startGateway(true);
    const anonymous = await inviteOverTls(port, false);
    expect(anonymous).not.toMatch(/SIP\/2\.0/);
    const trunk = await inviteOverTls(port, true);
    expect(trunk).toMatch(/^SIP\/2\.0 488 /m);
  });
});
