/**
 * A DTLS identity (certificate + private key) as a call record stores it, back into what the
 * DTLS legs present (DtlsIdentity), and the other way. Takeover (issue 7): the new owner of a
 * DTLS-SRTP SIP leg re-offers the old owner's a=fingerprint (RFC 8122 5) so the peer's
 * association stays valid; the certificate is part of that association.
 *
 * werift needs the signature scheme next to the key (RFC 5246 7.4.1.4.1): ECDSA keys sign with
 * ecdsa + sha256 (werift's own certificates are P-256), RSA keys with rsa_pkcs1 + sha256.
 */
import { createPrivateKey } from 'node:crypto';
import { RTCCertificate } from 'werift';
import { GatehouseError } from '../../core/errors.ts';
import type { StoredDtlsIdentity } from '../../ports/media-plane.ts';
import { identityOf, type DtlsIdentity } from './dtls-certificate.ts';

const SHA256 = 4;
const RSA = 1;
const ECDSA = 3;

type SignatureHash = ConstructorParameters<typeof RTCCertificate>[2];

/** The identity a stored certificate and key stand for. Throws when the key is not EC or RSA. */
export function identityFromStored(stored: StoredDtlsIdentity): DtlsIdentity {
  let type: string | undefined;
  try {
    type = createPrivateKey(stored.privateKeyPem).asymmetricKeyType;
  } catch (err) {
    throw new GatehouseError('state', 'DTLS_STORED_KEY', 'the stored DTLS private key does not parse', { cause: err });
  }
  if (type !== 'ec' && type !== 'rsa') throw new GatehouseError('state', 'DTLS_STORED_KEY', `stored DTLS key type ${String(type)} is not EC or RSA`);
  const signatureHash = { hash: SHA256, signature: type === 'ec' ? ECDSA : RSA } as unknown as SignatureHash;
  return identityOf(new RTCCertificate(stored.privateKeyPem, stored.certificatePem, signatureHash));
}

/** What the call record keeps of an identity (the private key is sealed there). */
export function storedOf(identity: DtlsIdentity): StoredDtlsIdentity {
  return { certificatePem: identity.certificate.certPem, privateKeyPem: identity.certificate.privateKey };
}
