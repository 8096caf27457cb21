/**
 * What the audio (reinvite.ts) and video (reinvite-video.ts) halves of a re-offer answer both
 * read from an SDP section, and how both refuse one. Pure.
 */
import { connection, cryptoLines, rtcp, type MediaSection, type SessionDescription } from '../../sdp/index.ts';
import { lookupSuite } from '../../crypto-policy/index.ts';

export interface ReinviteRefusal {
  readonly ok: false;
  readonly status: number;
  readonly reason: string;
  readonly warning: string;
}

/** 488 with the reason in a Warning (RFC 3261 20.43): the call goes on unchanged. */
export function refuse(text: string): ReinviteRefusal {
  return { ok: false, status: 488, reason: 'Not Acceptable Here', warning: `399 gatehouse "${text}"` };
}

/** Key material compared without an early exit. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

/** The peer's key||salt and canonical suite of its a=crypto line with `tag` in `m`, or null. */
export function peerLine(m: MediaSection, tag: number): { readonly suite: string; readonly keySalt: Uint8Array } | null {
  const l = cryptoLines(m).find((x) => x.ok && x.attribute.tag === tag);
  if (l === undefined || !l.ok) return null;
  const s = lookupSuite(l.attribute.suite);
  const keySalt = l.attribute.keyParams[0]?.keySalt;
  return s.ok && keySalt !== undefined ? { suite: s.suite.name, keySalt } : null;
}

/** Where the peer receives `m`'s RTP and RTCP (RFC 3605 a=rtcp, else port + 1; RFC 5761 mux), or null without c=. */
export function remoteOf(sdp: SessionDescription, m: MediaSection, muxed: boolean): { readonly address: string; readonly rtpPort: number; readonly rtcpPort: number } | null {
  const c = connection(sdp, m);
  if (c === undefined) return null;
  const rtpPort = m.mLine.port;
  return { address: c.address, rtpPort, rtcpPort: muxed ? rtpPort : (rtcp(m)?.port ?? rtpPort + 1) };
}
