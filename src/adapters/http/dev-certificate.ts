/**
 * Self-signed development certificate for the HTTPS join page (and, if main.ts wants, the WSS
 * listener) when the operator configured none (issue 6: "a self-signed development certificate
 * is acceptable until a later issue adds the PKI"). Made fresh at every start, in memory only:
 * ECDSA P-256 / SHA-256 via WebCrypto and @peculiar/x509 (already installed as a dependency of
 * werift), for localhost, 127.0.0.1 and ::1, valid 30 days, serverAuth only, not a CA.
 * Browsers will warn about it; that is the point: it is for development only.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface DevCertificate {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key: never log it. */
  readonly key: string;
  /** SHA-256 fingerprint, colon hex (what a browser shows), for the start-up warning. */
  readonly fingerprint256: string;
  readonly names: readonly string[];
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const VALID_DAYS = 30;
const DAY_MS = 86_400_000;

export async function createDevCertificate(extraNames: readonly string[] = [], now: Date = new Date()): Promise<DevCertificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...extraNames])];
  const alt = names.map((n) => (isIpLiteral(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  // RFC 5280 4.1.2.2: positive serial, at most 20 octets; clear the top bit to stay positive.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=Gatehouse development certificate, O=Gatehouse (development only)',
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + VALID_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(alt),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  const thumb = Buffer.from(await cert.getThumbprint('SHA-256'));
  const fingerprint256 = [...thumb].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return { cert: cert.toString('pem'), key, fingerprint256, names };
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
