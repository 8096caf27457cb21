/**
 * Takeover re-INVITE for a DTLS-SRTP SIP leg without ICE (DESIGN.md "State and takeover";
 * issue 7). Pure: stored text in, text and plain data out.
 *
 * The new owner sends the peer a target-refresh re-INVITE (RFC 3261 12.2.1.1, 14.1) whose body
 * is a NEW OFFER built from our previous SDP of the session (RFC 3264 8):
 * - `o=` identical except the session version, + 1 (RFC 3264 8);
 * - the same m-lines in the same order, rejected ones stay at port 0, the same proto
 *   (`UDP/TLS/RTP/SAVP(F)`, RFC 5764 8), codecs, payload types, ptime and rtcp-mux;
 * - the leg's m-line gets our new port, `c=` our new address (RFC 3264 8.3.1), `a=rtcp`
 *   (RFC 3605) follows;
 * - `a=fingerprint` (RFC 8122 5) and `a=setup` (RFC 4145 4) say which DTLS association the
 *   media runs on, in one of two modes:
 *   `resume`:    the association the old owner negotiated goes on: its certificate fingerprint
 *                and our role in it (`passive` when we were DTLS server, `active` when client).
 *                The SRTP keys it exported (stored, sealed) key the new leg at once;
 *   `handshake`: a new association: our own certificate's fingerprint and `a=setup:actpass`
 *                (RFC 5763 5); the answer's `a=setup` gives the roles and its fingerprint the
 *                certificate to verify in the new handshake.
 *   RFC 8842 5 asks for a new association when the transport address changes without ICE;
 *   `resume` departs from that because the peers here (baresip 1.0, linphone 5.1) never start
 *   a second association on a re-INVITE, and the old one stays sound: its keys were never known
 *   to anyone but the instances that held them (sealed at rest, AES-256-GCM).
 * - `a=sendrecv`; `a=ssrc` lines dropped (the new owner sends with a new SSRC, RFC 5576).
 */
import { classifyProto, connection, direction, fingerprints, offeredCodecs, parseSdp, rtcp, rtcpMux, SdpParseError, serializeFingerprint, setup, type Fingerprint, type MediaSection, type SdpLine } from '../../sdp/index.ts';
import type { CallLeg } from '../core/call/call-record.ts';
import type { DialogSnapshot } from '../core/call/dialog-snapshot.ts';
import { GatehouseError } from '../core/errors.ts';
import type { MediaEndpoint } from './media-endpoint.ts';
import type { TakeoverMedia } from './takeover-reinvite.ts';

export type DtlsTakeoverMode = 'resume' | 'handshake';

export interface DtlsTakeoverOffer {
  /** The re-INVITE body (application/sdp). Holds no secret. */
  readonly sdp: string;
  readonly mode: DtlsTakeoverMode;
  readonly mediaIndex: number;
  readonly mediaCount: number;
  readonly proto: string;
  readonly sessionVersion: string;
  readonly formats: MediaEndpoint['formats'];
  readonly rtcpMux: boolean;
  /** What we offered in a=setup. */
  readonly setup: 'actpass' | 'active' | 'passive';
  readonly fingerprint: Fingerprint;
}

export interface DtlsTakeoverAnswer extends MediaEndpoint {
  /**
   * The answer's fingerprints for the audio m-line (RFC 8122 5: media level, else session);
   * when it has none (linphone 5.1 answers a re-INVITE without), the peer's previous ones.
   */
  readonly remoteFingerprints: readonly Fingerprint[];
  /** The answer names a certificate other than the peer's previous one (a new association). */
  readonly peerCertificateChanged: boolean;
  /**
   * Our DTLS role: `resume` keeps the stored one; `handshake` takes the opposite of the
   * answer's a=setup (RFC 4145 4.1: active connects, so we are server; passive: we are client).
   */
  readonly role: 'server' | 'client';
}

export type DtlsTakeoverErrorCode =
  | 'TAKEOVER_NO_LOCAL_SDP'
  | 'TAKEOVER_BAD_MEDIA'
  | 'TAKEOVER_NO_STREAM'
  | 'TAKEOVER_MULTI_STREAM'
  | 'TAKEOVER_NOT_DTLS'
  | 'TAKEOVER_ANSWER_MALFORMED'
  | 'TAKEOVER_ANSWER_MLINES'
  | 'TAKEOVER_STREAM_REJECTED'
  | 'TAKEOVER_ANSWER_PROTO'
  | 'TAKEOVER_ANSWER_NO_CONNECTION'
  | 'TAKEOVER_NO_COMMON_CODEC'
  | 'TAKEOVER_ANSWER_NO_FINGERPRINT'
  | 'TAKEOVER_ANSWER_SETUP';

/** The takeover of a DTLS leg cannot go on; the call is ended by the caller. */
export class DtlsTakeoverError extends GatehouseError {
  constructor(code: DtlsTakeoverErrorCode, message: string, cause?: unknown) {
    const category = code.startsWith('TAKEOVER_ANSWER') || code === 'TAKEOVER_STREAM_REJECTED' || code === 'TAKEOVER_NO_COMMON_CODEC' ? 'protocol' : 'state';
    super(category, code, message, cause === undefined ? {} : { cause });
    this.name = 'DtlsTakeoverError';
  }
}

const line = (type: string, value: string): SdpLine => ({ type, value, lineNo: 0 });
const isDirection = (v: string): boolean => v === 'sendrecv' || v === 'sendonly' || v === 'recvonly' || v === 'inactive';
const isDtlsAttr = (l: SdpLine): boolean => l.type === 'a' && (l.value.startsWith('fingerprint:') || l.value.startsWith('setup:'));

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new DtlsTakeoverError('TAKEOVER_BAD_MEDIA', `${what} must be 1..65535`);
}

/**
 * The re-INVITE offer for `leg` moved to `media`. `fingerprint` is the certificate the new leg
 * presents (resume: the stored one); `role` our role in the stored association (resume only).
 */
export function buildDtlsTakeoverOffer(
  leg: CallLeg,
  media: TakeoverMedia,
  o: { readonly mode: 'resume'; readonly fingerprint: Fingerprint; readonly role: 'server' | 'client' } | { readonly mode: 'handshake'; readonly fingerprint: Fingerprint },
): DtlsTakeoverOffer {
  if (leg.localSdp === null) throw new DtlsTakeoverError('TAKEOVER_NO_LOCAL_SDP', `leg ${leg.legId} has no stored SDP to build the new offer from`);
  if (media.address.length === 0 || /\s/.test(media.address)) throw new DtlsTakeoverError('TAKEOVER_BAD_MEDIA', 'media address must be one token');
  checkPort(media.port, 'media port');
  let previous;
  try {
    previous = parseSdp(leg.localSdp);
  } catch (err) {
    throw new DtlsTakeoverError('TAKEOVER_NO_LOCAL_SDP', `stored SDP of leg ${leg.legId} does not parse`, err);
  }
  const accepted = previous.media.filter((m) => m.mLine.port !== 0);
  const section = accepted.find((m) => m.mLine.media === 'audio');
  if (section === undefined) throw new DtlsTakeoverError('TAKEOVER_NO_STREAM', 'stored SDP has no accepted audio m-line');
  if (accepted.length > 1) throw new DtlsTakeoverError('TAKEOVER_MULTI_STREAM', 'a leg carries one media stream; the stored SDP accepted several');
  if (classifyProto(section.mLine.proto).transport !== 'dtls') throw new DtlsTakeoverError('TAKEOVER_NOT_DTLS', `stored m-line proto ${section.mLine.proto} is not UDP/TLS/RTP/SAVP(F) (RFC 5764 8)`);
  const muxed = rtcpMux(section);
  const rtcpPort = muxed ? media.port : (media.rtcpPort ?? media.port + 1);
  checkPort(rtcpPort, 'RTCP port');
  const setupValue = o.mode === 'handshake' ? 'actpass' : o.role === 'server' ? 'passive' : 'active';

  const addrType = media.address.includes(':') ? 'IP6' : 'IP4';
  const version = (BigInt(previous.origin.sessionVersion) + 1n).toString();
  const origin = previous.origin;
  const out: SdpLine[] = [];
  for (const l of previous.session.lines) {
    if (l.type === 'o') out.push(line('o', `${origin.username} ${origin.sessionId} ${version} ${origin.netType} ${origin.addrType} ${origin.address}`));
    else if (l.type === 'c') out.push(line('c', `IN ${addrType} ${media.address}`));
    else if (l.type === 'a' && (isDirection(l.value) || isDtlsAttr(l))) continue; // said at media level below
    else out.push(l);
  }
  for (const m of previous.media) {
    if (m === section) out.push(...rewriteSection(m, media, addrType, rtcpPort, muxed, [`fingerprint:${serializeFingerprint(o.fingerprint)}`, `setup:${setupValue}`]));
    else out.push(...m.lines);
  }
  return {
    sdp: out.map((l) => `${l.type}=${l.value}\r\n`).join(''),
    mode: o.mode,
    mediaIndex: section.index,
    mediaCount: previous.media.length,
    proto: section.mLine.proto,
    sessionVersion: version,
    formats: offeredCodecs(section).map((c) => ({ pt: c.payloadType, name: c.name, clockRate: c.clockRate, ...(c.channels > 1 ? { channels: c.channels } : {}) })),
    rtcpMux: muxed,
    setup: setupValue,
    fingerprint: o.fingerprint,
  };
}

function rewriteSection(m: MediaSection, media: TakeoverMedia, addrType: string, rtcpPort: number, muxed: boolean, dtls: readonly string[]): SdpLine[] {
  const out: SdpLine[] = [];
  for (const l of m.lines) {
    if (l.type === 'm') {
      const [kind, , ...rest] = l.value.split(' ');
      out.push(line('m', [kind, String(media.port), ...rest].join(' ')));
    } else if (l.type === 'c') {
      out.push(line('c', `IN ${addrType} ${media.address}`));
    } else if (l.type === 'a' && l.value.startsWith('rtcp:')) {
      // RFC 3605 2.1; with rtcp-mux the attribute names the RTP port (RFC 5761 5.1.3)
      out.push(line('a', `rtcp:${muxed ? media.port : rtcpPort} IN ${addrType} ${media.address}`));
    } else if (l.type === 'a' && (isDirection(l.value) || isDtlsAttr(l) || l.value.startsWith('ssrc:') || l.value.startsWith('ssrc-group:'))) {
      continue;
    } else {
      out.push(l);
    }
  }
  out.push(...dtls.map((v) => line('a', v)), line('a', 'sendrecv'));
  return out;
}

/**
 * The peer's answer to the takeover re-INVITE. `resumeRole`: our role in the stored
 * association (resume mode), kept whatever the answer's a=setup says; null: a new handshake,
 * roles from the answer. `previous`: the peer's fingerprints before the takeover (RFC 8122 5),
 * used when the answer repeats none.
 */
export function readDtlsTakeoverAnswer(offer: DtlsTakeoverOffer, answerText: string, o: { readonly resumeRole: 'server' | 'client' | null; readonly previous: readonly Fingerprint[] }): DtlsTakeoverAnswer {
  let answer;
  try {
    answer = parseSdp(answerText);
  } catch (err) {
    if (err instanceof SdpParseError) throw new DtlsTakeoverError('TAKEOVER_ANSWER_MALFORMED', `answer is malformed SDP at line ${err.line ?? '?'}`, err);
    throw err;
  }
  // RFC 3264 6: as many m-lines as the offer, same order
  if (answer.media.length !== offer.mediaCount) throw new DtlsTakeoverError('TAKEOVER_ANSWER_MLINES', `answer has ${answer.media.length} m-lines, the offer had ${offer.mediaCount} (RFC 3264 6)`);
  const section = answer.media[offer.mediaIndex];
  if (section === undefined || section.mLine.port === 0) throw new DtlsTakeoverError('TAKEOVER_STREAM_REJECTED', 'the peer rejected the audio stream (port 0)');
  if (section.mLine.proto !== offer.proto) throw new DtlsTakeoverError('TAKEOVER_ANSWER_PROTO', `answer proto ${section.mLine.proto} differs from the offered ${offer.proto} (RFC 3264 6)`);
  let remoteFingerprints: Fingerprint[];
  let peerSetup;
  try {
    remoteFingerprints = fingerprints(answer, section);
    peerSetup = setup(answer, section);
  } catch (err) {
    throw new DtlsTakeoverError('TAKEOVER_ANSWER_MALFORMED', 'answer has a malformed a=fingerprint or a=setup', err);
  }
  const changed = remoteFingerprints.length > 0 && o.previous.length > 0 && !remoteFingerprints.some((f) => o.previous.some((p) => p.hash === f.hash && p.value === f.value));
  if (remoteFingerprints.length === 0) remoteFingerprints = [...o.previous];
  if (remoteFingerprints.length === 0) throw new DtlsTakeoverError('TAKEOVER_ANSWER_NO_FINGERPRINT', 'answer has no a=fingerprint for the audio stream and none is known from before (RFC 5763 5)');
  let role: 'server' | 'client';
  if (o.resumeRole !== null) {
    role = o.resumeRole;
  } else if (peerSetup === 'passive') {
    role = 'client';
  } else if (peerSetup === 'active' || peerSetup === 'actpass' || peerSetup === undefined) {
    // RFC 5763 5: the answerer MUST say active or passive. actpass (baresip answers with its
    // session-level value) or none (RFC 4145 4.1 default: active) leaves the peer connecting.
    role = 'server';
  } else {
    throw new DtlsTakeoverError('TAKEOVER_ANSWER_SETUP', `answer a=setup:${peerSetup} is not usable for DTLS-SRTP (RFC 5763 5)`);
  }

  const c = connection(answer, section);
  if (c === undefined) throw new DtlsTakeoverError('TAKEOVER_ANSWER_NO_CONNECTION', 'answer has no c= for the audio stream (RFC 8866 5.7)');
  const muxed = offer.rtcpMux && rtcpMux(section); // RFC 5761 5.1.1
  const rtpPort = section.mLine.port;
  const rtcpPortOf = muxed ? rtpPort : (rtcp(section)?.port ?? rtpPort + 1);
  const byPt = new Map(offer.formats.map((f) => [f.pt, f]));
  const formats = section.mLine.fmts.flatMap((pt) => {
    const f = byPt.get(Number(pt));
    return f === undefined ? [] : [f];
  });
  if (formats.length === 0) throw new DtlsTakeoverError('TAKEOVER_NO_COMMON_CODEC', 'answer lists none of the offered payload types');
  return {
    mediaIndex: offer.mediaIndex,
    remote: { address: c.address, rtpPort, rtcpPort: rtcpPortOf },
    formats,
    rtcpMux: muxed,
    peerDirection: direction(answer, section),
    remoteFingerprints,
    peerCertificateChanged: changed,
    role,
  };
}

/** The leg as the new owner stores it after the takeover (`keying`: its srtp and dtls fields). */
export function legAfterDtlsTakeover(
  leg: CallLeg,
  offer: DtlsTakeoverOffer,
  answerText: string,
  answer: DtlsTakeoverAnswer,
  media: TakeoverMedia,
  dialog: DialogSnapshot | null,
  keying: Pick<CallLeg, 'srtp' | 'dtls'>,
): CallLeg {
  return {
    ...leg,
    dialog,
    localSdp: offer.sdp,
    remoteSdp: answerText,
    srtp: keying.srtp,
    dtls: keying.dtls,
    media: {
      local: { address: media.address, port: media.port, rtcpPort: answer.rtcpMux ? null : (media.rtcpPort ?? media.port + 1) },
      remote: { address: answer.remote.address, port: answer.remote.rtpPort, rtcpPort: answer.rtcpMux ? null : answer.remote.rtcpPort },
      rtcpMux: answer.rtcpMux,
    },
  };
}
