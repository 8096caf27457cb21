/** Stored SDES legs (our previous answer + the peer's offer) and peer answers for the takeover tables. */
import type { CallLeg } from '../../../src/core/call/call-record.ts';

/** Deterministic "random" bytes: byte i = (seed + 7 i) mod 256. */
export function fixedRng(seed: number): (n: number) => Uint8Array {
  return (n) => Uint8Array.from({ length: n }, (_, i) => (seed + 7 * i) & 0xff);
}

export const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
export const crlf = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');

export const OLD_LOCAL_GCM = fixedRng(1)(44);
export const OLD_REMOTE_GCM = fixedRng(2)(44);
export const OLD_LOCAL_SHA = fixedRng(3)(30);
export const OLD_REMOTE_SHA = fixedRng(4)(30);
export const OLD_LOCAL_128 = fixedRng(5)(28);
export const OLD_REMOTE_128 = fixedRng(6)(28);

function leg(suite: string, local: Uint8Array, remote: Uint8Array, keyLength: number, localSdp: string, remoteSdp: string, rtcpMux: boolean): CallLeg {
  return {
    legId: 'leg-1',
    kind: 'sip',
    dialog: { version: 1, backend: 'embedded', dialogId: 'cid;lt;rt', state: {} },
    localSdp,
    remoteSdp,
    srtp: {
      suite,
      keyExchange: 'sdes',
      local: { masterKey: local.slice(0, keyLength), masterSalt: local.slice(keyLength) },
      remote: { masterKey: remote.slice(0, keyLength), masterSalt: remote.slice(keyLength) },
    },
    dtls: null,
    media: { local: { address: '192.0.2.10', port: 40000, rtcpPort: rtcpMux ? null : 40001 }, remote: { address: '203.0.113.5', port: 30000, rtcpPort: rtcpMux ? null : 30001 }, rtcpMux },
  };
}

/** AEAD_AES_256_GCM, PCMU/PCMA/telephone-event, rtcp-mux, IPv4 (what the call service answers). */
export const GCM_LEG = leg(
  'AEAD_AES_256_GCM',
  OLD_LOCAL_GCM,
  OLD_REMOTE_GCM,
  32,
  crlf(
    'v=0',
    'o=- 4858 2 IN IP4 192.0.2.10',
    's=-',
    'c=IN IP4 192.0.2.10',
    't=0 0',
    'm=audio 40000 RTP/SAVP 0 8 101',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    `a=crypto:1 AEAD_AES_256_GCM inline:${b64(OLD_LOCAL_GCM)}`,
  ),
  crlf(
    'v=0',
    'o=peer 77 1 IN IP4 203.0.113.5',
    's=-',
    'c=IN IP4 203.0.113.5',
    't=0 0',
    'm=audio 30000 RTP/SAVP 0 8 101',
    'a=rtcp-mux',
    'a=rtpmap:101 telephone-event/8000',
    `a=crypto:1 AEAD_AES_256_GCM inline:${b64(OLD_REMOTE_GCM)}`,
  ),
  true,
);

/**
 * AES_CM_128_HMAC_SHA1_80 with lifetime, MKI and a session parameter; explicit a=rtcp (RFC 3605),
 * an a=ssrc line, a session-level direction, a 64-bit-overflowing o= version, a rejected video line.
 */
export const SHA1_LEG = leg(
  'AES_CM_128_HMAC_SHA1_80',
  OLD_LOCAL_SHA,
  OLD_REMOTE_SHA,
  16,
  crlf(
    'v=0',
    'o=gw 123456789012345678901 18446744073709551615 IN IP4 192.0.2.10',
    's=-',
    'c=IN IP4 192.0.2.10',
    't=0 0',
    'a=recvonly',
    'm=audio 40002 RTP/SAVP 9 101',
    'a=rtcp:40003',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=ssrc:1234 cname:gw',
    `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${b64(OLD_LOCAL_SHA)}|2^31|1:4 WSH=128`,
    'm=video 0 RTP/SAVP 96',
  ),
  crlf(
    'v=0',
    'o=peer 1 1 IN IP4 203.0.113.5',
    's=-',
    'c=IN IP4 203.0.113.5',
    't=0 0',
    'm=audio 30000 RTP/SAVP 9 101',
    `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${b64(OLD_REMOTE_SHA)}|2^31|1:4 WSH=128`,
    'm=video 30002 RTP/SAVP 96',
    'a=rtpmap:96 H264/90000',
  ),
  false,
);

/** AEAD_AES_128_GCM over IPv6, connection only at media level, we had answered sendonly. */
export const V6_LEG = leg(
  'AEAD_AES_128_GCM',
  OLD_LOCAL_128,
  OLD_REMOTE_128,
  16,
  crlf(
    'v=0',
    'o=- 1 1 IN IP6 2001:db8::1',
    's=-',
    't=0 0',
    'm=audio 40000 RTP/SAVP 0',
    'c=IN IP6 2001:db8::1',
    'a=sendonly',
    `a=crypto:1 AEAD_AES_128_GCM inline:${b64(OLD_LOCAL_128)}`,
  ),
  crlf('v=0', 'o=peer 1 1 IN IP6 2001:db8::5', 's=-', 'c=IN IP6 2001:db8::5', 't=0 0', 'm=audio 30000 RTP/SAVP 0', `a=crypto:1 AEAD_AES_128_GCM inline:${b64(OLD_REMOTE_128)}`),
  false,
);

/** The peer's answer to the GCM_LEG takeover offer, with its own key and overrides per case. */
export function gcmAnswer(o: { key?: Uint8Array; lines?: string[]; mLine?: string; crypto?: string; conn?: string | null; extraMedia?: string[] } = {}): string {
  return crlf(
    'v=0',
    'o=peer 77 2 IN IP4 203.0.113.5',
    's=-',
    ...(o.conn === null ? [] : [`c=IN IP4 ${o.conn ?? '203.0.113.5'}`]),
    't=0 0',
    o.mLine ?? 'm=audio 30010 RTP/SAVP 8 101',
    ...(o.lines ?? ['a=rtcp-mux', 'a=sendrecv']),
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    o.crypto ?? `a=crypto:1 AEAD_AES_256_GCM inline:${b64(o.key ?? fixedRng(9)(44))}`,
    ...(o.extraMedia ?? []),
  );
}
