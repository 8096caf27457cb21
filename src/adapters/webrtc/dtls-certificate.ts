/**
 * The gateway's DTLS certificate and certificate fingerprints (RFC 8122 s5, RFC 5763 s5).
 *
 * One self-signed ECDSA P-256 certificate per process, made by werift
 * (`RTCDtlsTransport.SetupCertificate`, the same one werift's RTCPeerConnection uses when none
 * is configured), so browser guests and DTLS-over-UDP SIP legs present the same identity. Its
 * private key never leaves the process and is never logged.
 *
 * Fingerprint check, fail closed (RFC 8122 s5: the certificate MUST match one of the offered
 * fingerprints): only hashes the crypto policy accepts (sha-256/384/512,
 * ACCEPTED_FINGERPRINT_HASHES) are compared; an offer with only weaker hashes does not match.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RTCDtlsTransport } from 'werift';
import type { RTCCertificate } from 'werift';
import { ACCEPTED_FINGERPRINT_HASHES } from '../../../crypto-policy/index.ts';
import type { Fingerprint } from '../../../sdp/index.ts';

export interface DtlsIdentity {
  readonly certificate: RTCCertificate;
  /** DER of the certificate. */
  readonly der: Buffer;
  /** sha-256 fingerprint for a=fingerprint (RFC 8122 s5). */
  readonly fingerprint: Fingerprint;
}

let identity: Promise<DtlsIdentity> | null = null;

/** The process-wide DTLS identity (created on first use). */
export function gatewayDtlsIdentity(): Promise<DtlsIdentity> {
  identity ??= RTCDtlsTransport.SetupCertificate().then((certificate) => identityOf(certificate));
  return identity;
}

export function identityOf(certificate: RTCCertificate): DtlsIdentity {
  const der = pemToDer(certificate.certPem);
  return { certificate, der, fingerprint: fingerprintOf(der, 'sha-256') };
}

function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

const NODE_HASH: Readonly<Record<string, string>> = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

/** `a=fingerprint` value (uppercase, colon separated) of a DER certificate. */
export function fingerprintOf(der: Uint8Array, hash: 'sha-256' | 'sha-384' | 'sha-512'): Fingerprint {
  const hex = createHash(NODE_HASH[hash] ?? 'sha256').update(der).digest('hex').toUpperCase();
  return { hash, value: (hex.match(/../g) ?? []).join(':') };
}

export type FingerprintVerdict = 'match' | 'mismatch' | 'no-acceptable-fingerprint';

/** Whether `der` matches one of the offered fingerprints with an accepted hash. */
export function matchFingerprint(der: Uint8Array, offered: readonly Fingerprint[]): FingerprintVerdict {
  const usable = offered.filter((f) => ACCEPTED_FINGERPRINT_HASHES.includes(f.hash.toLowerCase()));
  if (usable.length === 0) return 'no-acceptable-fingerprint';
  for (const f of usable) {
    const mine = Buffer.from(fingerprintOf(der, f.hash.toLowerCase() as 'sha-256').value);
    const theirs = Buffer.from(f.value.toUpperCase());
    if (mine.length === theirs.length && timingSafeEqual(mine, theirs)) return 'match';
  }
  return 'mismatch';
}
