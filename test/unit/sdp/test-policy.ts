import type { CryptoAttribute, KeyingDecider, LocalCapabilities, MediaSecurityOffer } from '../../../sdp/index.ts';

/**
 * A stand-in keying policy for SDP tests (the real one is crypto-policy/). It picks DTLS when
 * offered, else SDES by the given suite order (policy order, not offer order), else plain RTP
 * if allowed. Keys are deterministic filler: golden files mask them anyway.
 */
const KEY_SALT_LENGTH: Readonly<Record<string, number>> = {
  AEAD_AES_256_GCM: 44,
  AEAD_AES_128_GCM: 28,
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
  AES_256_CM_HMAC_SHA1_80: 46,
  AES_256_CM_HMAC_SHA1_32: 46,
};

export const TEST_FINGERPRINT = { hash: 'sha-256', value: '01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF' };

export interface TestPolicyOptions {
  readonly suites: readonly string[];
  readonly allowPlain: boolean;
  readonly dtls?: boolean;
}

export function testPolicy(opts: TestPolicyOptions): KeyingDecider & { readonly calls: MediaSecurityOffer[] } {
  const calls: MediaSecurityOffer[] = [];
  const decide = (o: MediaSecurityOffer): ReturnType<KeyingDecider> => {
    calls.push(o);
    if (o.methods.includes('dtls') && opts.dtls !== false) return { kind: 'dtls', fingerprints: [TEST_FINGERPRINT], setup: 'passive' };
    if (o.methods.includes('sdes')) {
      for (const suite of opts.suites) {
        const line = o.cryptos.find((c) => c.ok && c.attribute.suite.toUpperCase() === suite);
        if (line?.ok === true) {
          const answer: CryptoAttribute = { tag: line.attribute.tag, suite, keyParams: [{ method: 'inline', keySalt: new Uint8Array(KEY_SALT_LENGTH[suite] ?? 30).fill(7) }], sessionParams: [] };
          return { kind: 'sdes', answer };
        }
      }
    }
    if (o.methods.includes('none') && opts.allowPlain) return { kind: 'none' };
    return { kind: 'reject', reason: `test policy: no acceptable keying among [${o.methods.join(', ')}]` };
  };
  return Object.assign(decide, { calls });
}

export const SIP_CAPS: LocalCapabilities = {
  audio: [
    { name: 'PCMU', clockRate: 8000 },
    { name: 'PCMA', clockRate: 8000 },
    { name: 'G722', clockRate: 8000 },
    { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
    { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
  ],
  video: [
    { name: 'H264', clockRate: 90000, rtcpFb: ['nack', 'nack pli', 'ccm fir'] },
    { name: 'VP8', clockRate: 90000, rtcpFb: ['nack', 'nack pli', 'ccm fir'] },
  ],
  maxStreamsPerKind: 1,
};

export const WEBRTC_CAPS: LocalCapabilities = {
  audio: [
    { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1', rtcpFb: ['transport-cc'] },
    { name: 'PCMU', clockRate: 8000 },
    { name: 'PCMA', clockRate: 8000 },
    { name: 'telephone-event', clockRate: 48000, fmtp: '0-16' },
  ],
  video: [
    { name: 'H264', clockRate: 90000, rtcpFb: ['nack', 'nack pli', 'ccm fir', 'transport-cc', 'goog-remb'], h264: { packetizationModes: [1], profiles: ['constrained-baseline'], maxLevel: 0x1f } },
    { name: 'VP8', clockRate: 90000, rtcpFb: ['nack', 'nack pli', 'ccm fir', 'transport-cc', 'goog-remb'] },
    { name: 'rtx', clockRate: 90000 },
  ],
  maxStreamsPerKind: 1,
};
