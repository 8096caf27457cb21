/**
 * Takeover of a DTLS-SRTP SIP leg: the re-INVITE offer (RFC 3264 8, RFC 8122 5, RFC 4145 4 /
 * RFC 5763 5), the answer (roles, fingerprints), and the record fields that let a new owner
 * resume the association (RFC 5764 4.2 exported keys). Golden offers are exact.
 */
import { describe, expect, it } from 'vitest';
import { createCryptoPolicy } from '../../../crypto-policy/index.ts';
import { buildDtlsTakeoverOffer, legAfterDtlsTakeover, readDtlsTakeoverAnswer, type DtlsTakeoverOffer } from '../../../src/app/takeover-dtls-offer.ts';
import { dtlsKeying, policyDtlsProfiles, storedAssociation } from '../../../src/app/takeover-dtls-record.ts';
import { isDtlsSipLeg } from '../../../src/app/takeover-dtls.ts';
import type { CallLeg } from '../../../src/core/call/call-record.ts';
import type { Fingerprint } from '../../../sdp/index.ts';
import type { DtlsLegSecrets } from '../../../src/ports/media-plane.ts';
import { crlf, fixedRng, GCM_LEG } from './takeover-fixtures.ts';

const OURS: Fingerprint = { hash: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (i + 16).toString(16).toUpperCase().padStart(2, '0')).join(':') };
const NEW_OURS: Fingerprint = { hash: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (200 - i).toString(16).toUpperCase().padStart(2, '0')).join(':') };
const PEERS: Fingerprint = { hash: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (i * 3).toString(16).toUpperCase().padStart(2, '0')).join(':') };
const OTHER_PEER: Fingerprint = { hash: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (i * 5).toString(16).toUpperCase().padStart(2, '0')).join(':') };
const fp = (f: Fingerprint): string => `${f.hash} ${f.value}`;

const LOCAL = fixedRng(11)(44);
const REMOTE = fixedRng(12)(44);
const SECRETS: DtlsLegSecrets = {
  suite: 'AEAD_AES_256_GCM',
  role: 'server',
  local: { masterKey: LOCAL.slice(0, 32), masterSalt: LOCAL.slice(32) },
  remote: { masterKey: REMOTE.slice(0, 32), masterSalt: REMOTE.slice(32) },
  identity: { certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n' },
  localFingerprint: OURS,
};

/** Our answer to baresip's DTLS offer as the call service stores it (rtcp-mux, passive, a=ssrc). */
const MUX_SDP = crlf(
  'v=0',
  'o=gatehouse 1795782549 1 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 40000 UDP/TLS/RTP/SAVPF 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=rtcp-mux',
  'a=recvonly',
  `a=fingerprint:${fp(OURS)}`,
  'a=setup:passive',
  'a=ssrc:1234 cname:x',
);

/** Session-level fingerprint and setup, no rtcp-mux, explicit a=rtcp, a rejected video m-line. */
const NOMUX_SDP = crlf(
  'v=0',
  'o=gatehouse 7 41 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  `a=fingerprint:${fp(OURS)}`,
  'a=setup:active',
  'm=audio 40000 UDP/TLS/RTP/SAVP 0',
  'a=rtcp:40001 IN IP4 192.0.2.10',
  'a=rtpmap:0 PCMU/8000',
  'm=video 0 UDP/TLS/RTP/SAVP 96',
);

const PEER_OFFER = crlf('v=0', 'o=peer 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 30000 UDP/TLS/RTP/SAVPF 0 8 101', 'a=rtcp-mux', `a=fingerprint:${fp(PEERS)}`, 'a=setup:actpass');

function dtlsLeg(localSdp: string, rtcpMux: boolean, keyed: boolean, role: 'server' | 'client' = 'server'): CallLeg {
  return {
    legId: 'leg-d',
    kind: 'sip',
    dialog: { version: 1, backend: 'embedded', dialogId: 'cid;lt;rt', state: {} },
    localSdp,
    remoteSdp: PEER_OFFER,
    ...(keyed ? dtlsKeying({ ...SECRETS, role }, [PEERS]) : { srtp: null, dtls: null }),
    media: { local: { address: '192.0.2.10', port: 40000, rtcpPort: rtcpMux ? null : 40001 }, remote: { address: '203.0.113.5', port: 30000, rtcpPort: rtcpMux ? null : 30001 }, rtcpMux },
  };
}

const MOVED = { address: '198.51.100.7', port: 50000 };

describe('buildDtlsTakeoverOffer: golden offers', () => {
  it('resume (RFC 3264 8, RFC 8122 5, RFC 4145 4): version + 1, new c= and port, the SAME fingerprint, our role as server stated passive, a=ssrc dropped, sendrecv', () => {
    const offer = buildDtlsTakeoverOffer(dtlsLeg(MUX_SDP, true, true), MOVED, { mode: 'resume', fingerprint: OURS, role: 'server' });
    expect(offer.sdp).toBe(
      crlf(
        'v=0',
        'o=gatehouse 1795782549 2 IN IP4 192.0.2.10',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 50000 UDP/TLS/RTP/SAVPF 0 8 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=rtcp-mux',
        `a=fingerprint:${fp(OURS)}`,
        'a=setup:passive',
        'a=sendrecv',
      ),
    );
    expect(offer).toMatchObject({ mode: 'resume', mediaIndex: 0, mediaCount: 1, proto: 'UDP/TLS/RTP/SAVPF', sessionVersion: '2', rtcpMux: true, setup: 'passive' });
    expect(offer.formats.map((f) => f.name)).toEqual(['PCMU', 'PCMA', 'telephone-event']);
  });

  it('handshake (RFC 5763 5): our new fingerprint and a=setup:actpass; session-level attributes move to the m-line; a=rtcp follows the port (RFC 3605); rejected m-line kept', () => {
    const offer = buildDtlsTakeoverOffer(dtlsLeg(NOMUX_SDP, false, false), { ...MOVED, rtcpPort: 50001 }, { mode: 'handshake', fingerprint: NEW_OURS });
    expect(offer.sdp).toBe(
      crlf(
        'v=0',
        'o=gatehouse 7 42 IN IP4 192.0.2.10',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 50000 UDP/TLS/RTP/SAVP 0',
        'a=rtcp:50001 IN IP4 198.51.100.7',
        'a=rtpmap:0 PCMU/8000',
        `a=fingerprint:${fp(NEW_OURS)}`,
        'a=setup:actpass',
        'a=sendrecv',
        'm=video 0 UDP/TLS/RTP/SAVP 96',
      ),
    );
    expect(offer).toMatchObject({ mediaCount: 2, rtcpMux: false, setup: 'actpass' });
  });

  it('resume as DTLS client states a=setup:active (RFC 4145 4)', () => {
    expect(buildDtlsTakeoverOffer(dtlsLeg(NOMUX_SDP, false, true, 'client'), MOVED, { mode: 'resume', fingerprint: OURS, role: 'client' }).sdp).toContain('a=setup:active\r\n');
  });
});

describe('buildDtlsTakeoverOffer: refusals', () => {
  it.each([
    ['an SDES leg (RTP/SAVP) is not DTLS (RFC 5764 8)', GCM_LEG, 'TAKEOVER_NOT_DTLS'],
    ['no stored SDP', { ...dtlsLeg(MUX_SDP, true, true), localSdp: null }, 'TAKEOVER_NO_LOCAL_SDP'],
    ['stored SDP does not parse', { ...dtlsLeg(MUX_SDP, true, true), localSdp: 'garbage' }, 'TAKEOVER_NO_LOCAL_SDP'],
    ['no accepted audio', dtlsLeg(MUX_SDP.replace('m=audio 40000', 'm=audio 0'), true, true), 'TAKEOVER_NO_STREAM'],
  ])('%s', (_name, leg, code) => {
    expect(() => buildDtlsTakeoverOffer(leg, MOVED, { mode: 'resume', fingerprint: OURS, role: 'server' })).toThrow(expect.objectContaining({ code }));
  });

  it('a bad port or address', () => {
    expect(() => buildDtlsTakeoverOffer(dtlsLeg(MUX_SDP, true, true), { address: 'a b', port: 5 }, { mode: 'handshake', fingerprint: OURS })).toThrow(expect.objectContaining({ code: 'TAKEOVER_BAD_MEDIA' }));
    expect(() => buildDtlsTakeoverOffer(dtlsLeg(MUX_SDP, true, true), { address: '::1', port: 0 }, { mode: 'handshake', fingerprint: OURS })).toThrow(expect.objectContaining({ code: 'TAKEOVER_BAD_MEDIA' }));
  });
});

function answer(lines: { setup?: string; fingerprint?: Fingerprint | null; proto?: string; port?: number; fmts?: string; mux?: boolean; extraM?: boolean }): string {
  return crlf(
    'v=0',
    'o=peer 1 2 IN IP4 203.0.113.5',
    's=-',
    'c=IN IP4 203.0.113.9',
    't=0 0',
    ...(lines.setup === undefined ? [] : [`a=setup:${lines.setup}`]),
    ...(lines.fingerprint === null ? [] : [`a=fingerprint:${fp(lines.fingerprint ?? PEERS)}`]),
    `m=audio ${lines.port ?? 31000} ${lines.proto ?? 'UDP/TLS/RTP/SAVPF'} ${lines.fmts ?? '8 0 101'}`,
    ...(lines.mux === false ? [] : ['a=rtcp-mux']),
    'a=sendrecv',
    ...(lines.extraM === true ? ['m=video 0 UDP/TLS/RTP/SAVPF 96'] : []),
  );
}

describe('readDtlsTakeoverAnswer', () => {
  const resumeOffer: DtlsTakeoverOffer = buildDtlsTakeoverOffer(dtlsLeg(MUX_SDP, true, true), MOVED, { mode: 'resume', fingerprint: OURS, role: 'server' });
  const handshakeOffer: DtlsTakeoverOffer = buildDtlsTakeoverOffer(dtlsLeg(MUX_SDP, true, false), MOVED, { mode: 'handshake', fingerprint: NEW_OURS });

  it('resume: the same peer certificate keeps our stored role whatever a=setup says (baresip answers actpass); new address, formats in the answer\'s order', () => {
    const a = readDtlsTakeoverAnswer(resumeOffer, answer({ setup: 'actpass' }), { resumeRole: 'server', previous: [PEERS] });
    expect(a).toEqual({
      mediaIndex: 0,
      remote: { address: '203.0.113.9', rtpPort: 31000, rtcpPort: 31000 },
      formats: [
        { pt: 8, name: 'PCMA', clockRate: 8000 },
        { pt: 0, name: 'PCMU', clockRate: 8000 },
        { pt: 101, name: 'telephone-event', clockRate: 8000 },
      ],
      rtcpMux: true,
      peerDirection: 'sendrecv',
      remoteFingerprints: [PEERS],
      peerCertificateChanged: false,
      role: 'server',
    });
  });

  it('resume: another peer certificate is reported (a new association: the leg verifies its handshake against it, RFC 8842 5)', () => {
    const a = readDtlsTakeoverAnswer(resumeOffer, answer({ fingerprint: OTHER_PEER }), { resumeRole: 'client', previous: [PEERS] });
    expect(a).toMatchObject({ peerCertificateChanged: true, remoteFingerprints: [OTHER_PEER], role: 'client' });
  });

  it('RFC 8122 5: an answer without a=fingerprint (linphone 5.1 answers a re-INVITE so) keeps the peer\'s previous certificate', () => {
    const a = readDtlsTakeoverAnswer(resumeOffer, answer({ fingerprint: null }), { resumeRole: 'server', previous: [PEERS] });
    expect(a).toMatchObject({ peerCertificateChanged: false, remoteFingerprints: [PEERS] });
  });

  it.each([
    ['active: the peer connects, we are server (RFC 4145 4.1)', 'active', 'server'],
    ['passive: we connect, we are client', 'passive', 'client'],
    ['actpass (invalid in an answer, RFC 5763 5; baresip) is taken as active', 'actpass', 'server'],
    ['absent: active (RFC 4145 4.1 default)', undefined, 'server'],
  ] as const)('handshake, a=setup %s', (_name, setup, role) => {
    expect(readDtlsTakeoverAnswer(handshakeOffer, answer(setup === undefined ? {} : { setup }), { resumeRole: null, previous: [] }).role).toBe(role);
  });

  it.each([
    ['a=setup:holdconn', answer({ setup: 'holdconn' }), 'TAKEOVER_ANSWER_SETUP'],
    ['no a=fingerprint and none known from before (RFC 5763 5)', answer({ fingerprint: null }), 'TAKEOVER_ANSWER_NO_FINGERPRINT'],
    ['another proto (RFC 3264 6)', answer({ proto: 'RTP/SAVP' }), 'TAKEOVER_ANSWER_PROTO'],
    ['the stream rejected', answer({ port: 0 }), 'TAKEOVER_STREAM_REJECTED'],
    ['another m-line count (RFC 3264 6)', answer({ extraM: true }), 'TAKEOVER_ANSWER_MLINES'],
    ['no offered payload type', answer({ fmts: '9' }), 'TAKEOVER_NO_COMMON_CODEC'],
    ['not SDP', 'hello', 'TAKEOVER_ANSWER_MALFORMED'],
  ])('refuses %s', (_name, text, code) => {
    expect(() => readDtlsTakeoverAnswer(handshakeOffer, text, { resumeRole: null, previous: [] })).toThrow(expect.objectContaining({ code }));
  });

  it('RFC 5761 5.1.1: rtcp-mux only when offered and accepted', () => {
    const a = readDtlsTakeoverAnswer(handshakeOffer, answer({ mux: false }), { resumeRole: null, previous: [] });
    expect(a.rtcpMux).toBe(false);
    expect(a.remote.rtcpPort).toBe(31001);
  });
});

describe('stored association (RFC 5764 4.2 keys, RFC 8122 5 fingerprints)', () => {
  it('dtlsKeying -> storedAssociation gives the keys, role, identity and fingerprints back', () => {
    const a = storedAssociation(dtlsLeg(MUX_SDP, true, true));
    expect(a).toEqual({ suite: 'AEAD_AES_256_GCM', role: 'server', local: SECRETS.local, remote: SECRETS.remote, identity: SECRETS.identity, localFingerprint: OURS, remoteFingerprint: PEERS });
  });

  it('no stored keys (the owner died before the handshake ended) or an SDES leg: null, a new handshake', () => {
    expect(storedAssociation(dtlsLeg(MUX_SDP, true, false))).toBeNull();
    expect(storedAssociation(GCM_LEG)).toBeNull();
  });

  it('keys of the wrong length for the suite are refused, not used', () => {
    const leg = dtlsLeg(MUX_SDP, true, true);
    const bad = { ...leg, srtp: leg.srtp && { ...leg.srtp, suite: 'AES_CM_128_HMAC_SHA1_80' } };
    expect(() => storedAssociation(bad)).toThrow(expect.objectContaining({ code: 'TAKEOVER_DTLS_RECORD' }));
  });

  it('only a sha-256+ peer fingerprint is stored (RFC 8122 5; the policy minimum)', () => {
    expect(dtlsKeying(SECRETS, [{ hash: 'sha-1', value: 'AA:BB' }, PEERS]).dtls?.remoteFingerprint).toBe(fp(PEERS));
    expect(dtlsKeying(SECRETS, [{ hash: 'sha-1', value: 'AA:BB' }]).dtls?.remoteFingerprint).toBeNull();
  });

  it('isDtlsSipLeg: stored DTLS keys, or no keys and a UDP/TLS/RTP/SAVP(F) m-line', () => {
    expect(isDtlsSipLeg(dtlsLeg(MUX_SDP, true, true))).toBe(true);
    expect(isDtlsSipLeg(dtlsLeg(NOMUX_SDP, false, false))).toBe(true);
    expect(isDtlsSipLeg(GCM_LEG)).toBe(false);
  });

  it('legAfterDtlsTakeover: our offer and the answer become the negotiated pair, with the new addresses and the given keys', () => {
    const leg = dtlsLeg(MUX_SDP, true, true);
    const offer = buildDtlsTakeoverOffer(leg, MOVED, { mode: 'resume', fingerprint: OURS, role: 'server' });
    const text = answer({ setup: 'active' });
    const a = readDtlsTakeoverAnswer(offer, text, { resumeRole: 'server', previous: [PEERS] });
    const keying = { srtp: leg.srtp, dtls: leg.dtls };
    const after = legAfterDtlsTakeover(leg, offer, text, a, MOVED, null, keying);
    expect(after).toEqual({
      ...leg,
      dialog: null,
      localSdp: offer.sdp,
      remoteSdp: text,
      media: { local: { address: '198.51.100.7', port: 50000, rtcpPort: null }, remote: { address: '203.0.113.9', port: 31000, rtcpPort: null }, rtcpMux: true },
    });
    expect(storedAssociation(after)).toEqual(storedAssociation(leg));
  });

  it('policyDtlsProfiles: the default profile\'s DTLS-SRTP order as use_srtp ids (AEAD_AES_256_GCM 0x0008 first)', () => {
    const ids = policyDtlsProfiles(createCryptoPolicy(), undefined, { ip: '203.0.113.5' });
    expect(ids[0]).toBe(0x0008);
    expect(policyDtlsProfiles(createCryptoPolicy(), 'secure', { ip: '203.0.113.5' })).toEqual([0x0008]);
    expect(() => policyDtlsProfiles(createCryptoPolicy(), 'nope', { ip: '203.0.113.5' })).toThrow(expect.objectContaining({ code: 'TAKEOVER_NO_PROFILE' }));
  });
});
