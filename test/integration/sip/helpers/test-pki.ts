/**
 * Throw-away PKI for TLS/WSS tests, made with the openssl CLI in a temp dir at test time
 * (recipe: config/test-pki/README.md). No private key is ever committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caCert: Buffer;
  readonly serverKey: Buffer;
  readonly serverCert: Buffer;
  readonly clientKey: Buffer;
  readonly clientCert: Buffer;
  readonly paths: { readonly ca: string; readonly serverKey: string; readonly serverCert: string; readonly clientKey: string; readonly clientCert: string };
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('openssl not found; install with: apt-get install openssl');
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr?.toString() ?? String(err)}`);
  }
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Gatehouse Test CA'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'subjectAltName=DNS:trunk.test\nextendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    const cn = who === 'server' ? 'localhost' : 'trunk.test';
    openssl(['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '2', '-extfile', `${who}.ext`], dir);
  }
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    caCert: readFileSync(p('ca.crt')),
    serverKey: readFileSync(p('server.key')),
    serverCert: readFileSync(p('server.crt')),
    clientKey: readFileSync(p('client.key')),
    clientCert: readFileSync(p('client.crt')),
    paths: { ca: p('ca.crt'), serverKey: p('server.key'), serverCert: p('server.crt'), clientKey: p('client.key'), clientCert: p('client.crt') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
