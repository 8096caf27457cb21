/**
 * Pieces shared by the audio and the video part of an SDES takeover offer (takeover-reinvite.ts,
 * takeover-video.ts): one m-line rewritten for the new owner, SDES key parameters to SRTP key
 * configs, byte helpers. Pure; what passes through holds key material: never log it.
 */
import type { CryptoKeyParam, MediaSection, SdpLine } from '../../sdp/index.ts';
import { GatehouseError } from '../core/errors.ts';
import type { SrtpMasterKeyConfig } from '../core/srtp/index.ts';

/** Where the new owner receives media for one m-line. */
export interface TakeoverMedia {
  readonly address: string;
  readonly port: number;
  /** RTCP port when not muxed; default port + 1 (RFC 3550 11). Ignored with rtcp-mux. */
  readonly rtcpPort?: number | null;
}

export type TakeoverErrorCode =
  | 'TAKEOVER_NOT_SDES'
  | 'TAKEOVER_NO_LOCAL_SDP'
  | 'TAKEOVER_BAD_MEDIA'
  | 'TAKEOVER_NO_STREAM'
  | 'TAKEOVER_MULTI_STREAM'
  | 'TAKEOVER_NO_LOCAL_CRYPTO'
  | 'TAKEOVER_ANSWER_MALFORMED'
  | 'TAKEOVER_ANSWER_MLINES'
  | 'TAKEOVER_STREAM_REJECTED'
  | 'TAKEOVER_ANSWER_PROTO'
  | 'TAKEOVER_ANSWER_NO_CRYPTO'
  | 'TAKEOVER_ANSWER_SUITE'
  | 'TAKEOVER_ANSWER_KEY_LENGTH'
  | 'TAKEOVER_ANSWER_NO_CONNECTION'
  | 'TAKEOVER_NO_COMMON_CODEC';

/** The takeover of one leg cannot go on; the call is ended by the caller. No key in messages. */
export class TakeoverError extends GatehouseError {
  constructor(code: TakeoverErrorCode, message: string, cause?: unknown) {
    const category = code.startsWith('TAKEOVER_ANSWER') || code === 'TAKEOVER_STREAM_REJECTED' || code === 'TAKEOVER_NO_COMMON_CODEC' ? 'protocol' : 'state';
    super(category, code, message, cause === undefined ? {} : { cause });
    this.name = 'TakeoverError';
  }
}

export const sdpLine = (type: string, value: string): SdpLine => ({ type, value, lineNo: 0 });
export const isDirection = (v: string): boolean => v === 'sendrecv' || v === 'sendonly' || v === 'recvonly' || v === 'inactive';

/**
 * One accepted m-line of our previous answer as a new offer's m-line: new port, `a=crypto`
 * replaced by `crypto` (the serialized attribute), `a=rtcp` (RFC 3605 2.1) following the new
 * port, `a=sendrecv`, and no `a=ssrc` (RFC 5576: the new owner sends with a new SSRC).
 */
export function rewriteSection(m: MediaSection, media: TakeoverMedia, addrType: string, rtcpPort: number, muxed: boolean, crypto: string): SdpLine[] {
  const out: SdpLine[] = [];
  let sawDirection = false;
  for (const l of m.lines) {
    if (l.type === 'm') {
      const [kind, , ...rest] = l.value.split(' ');
      out.push(sdpLine('m', [kind, String(media.port), ...rest].join(' ')));
    } else if (l.type === 'c') {
      out.push(sdpLine('c', `IN ${addrType} ${media.address}`));
    } else if (l.type === 'a' && l.value.startsWith('crypto:')) {
      out.push(sdpLine('a', `crypto:${crypto}`));
    } else if (l.type === 'a' && l.value.startsWith('rtcp:')) {
      // RFC 3605 2.1; with rtcp-mux the attribute names the RTP port (RFC 5761 5.1.3).
      out.push(sdpLine('a', `rtcp:${muxed ? media.port : rtcpPort} IN ${addrType} ${media.address}`));
    } else if (l.type === 'a' && isDirection(l.value)) {
      if (!sawDirection) out.push(sdpLine('a', 'sendrecv'));
      sawDirection = true;
    } else if (l.type === 'a' && (l.value.startsWith('ssrc:') || l.value.startsWith('ssrc-group:'))) {
      continue; // RFC 5576: the new owner's sender has a new SSRC
    } else {
      out.push(l);
    }
  }
  // No c= here: the session-level one (rewritten by the caller) covers the section.
  if (!sawDirection) out.push(sdpLine('a', 'sendrecv'));
  return out;
}

/** An m-line turned off in a new offer (RFC 3264 8.2): port 0, same proto and formats, and only
 * the a=mid that bundling peers need to match it; no keys, no addresses. */
export function disabledSection(m: MediaSection): SdpLine[] {
  const [first, ...rest] = m.lines;
  if (first === undefined) return [];
  const parts = first.value.split(' ');
  const mline = sdpLine('m', [parts[0] ?? m.mLine.media, '0', ...parts.slice(2)].join(' '));
  return [mline, ...rest.filter((l) => l.type === 'a' && /^mid:/.test(l.value))];
}

export function keyConfig(keySalt: Uint8Array, keyLength: number, param: CryptoKeyParam): SrtpMasterKeyConfig {
  const lifetime = param.lifetime === undefined ? undefined : Number(param.lifetime > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : param.lifetime);
  return {
    masterKey: keySalt.slice(0, keyLength),
    masterSalt: keySalt.slice(keyLength),
    ...(lifetime === undefined ? {} : { lifetime }),
    ...(param.mki === undefined ? {} : { mki: mkiBytes(param.mki) }),
  };
}

/** RFC 4568 6.1 `MKI:length`: the value as `length` big-endian bytes. */
function mkiBytes(mki: { readonly value: bigint; readonly length: number }): Uint8Array {
  const out = new Uint8Array(mki.length);
  let v = mki.value;
  for (let i = mki.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Constant-time comparison (no early exit on key material). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}
