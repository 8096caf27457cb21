/**
 * Re-INVITE / UPDATE inside a call (issue 6: hold/resume via direction, RFC 3264 8.4). The
 * answer is our previous answer with the direction answered per RFC 3264 6.1 and the o=
 * session version incremented (RFC 3264 8). A re-offer that changes the SDES key or the
 * address is refused with 488 rather than silently keeping the old media (re-keying and media
 * moves mid-call are not supported yet; the Warning says so).
 */
import { answerDirection, connection, cryptoLines, direction, parseSdp, SdpParseError, type Direction } from '../../sdp/index.ts';

export interface HoldContext {
  readonly previousAnswer: string;
  /** Our new o= session version. */
  readonly version: number;
  /** Tag and key||salt of the a=crypto line accepted in the initial offer. */
  readonly tag: number;
  readonly remoteKeySalt: Uint8Array;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export type HoldOutcome =
  | { readonly ok: true; readonly answer: string; readonly peerDirection: Direction }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly warning: string };

function refuse(text: string): HoldOutcome {
  return { ok: false, status: 488, reason: 'Not Acceptable Here', warning: `399 gatehouse "${text}"` };
}

export function answerHoldReinvite(ctx: HoldContext, offerText: string): HoldOutcome {
  if (offerText.trim() === '') return refuse('offerless re-INVITE is not supported; send an SDP offer');
  let offer;
  try {
    offer = parseSdp(offerText);
  } catch (err) {
    if (err instanceof SdpParseError) return { ok: false, status: 400, reason: 'Bad Request - Malformed SDP', warning: `399 gatehouse "malformed SDP at line ${err.line}"` };
    throw err;
  }
  const audio = offer.media.find((m) => m.mLine.media === 'audio' && m.mLine.port !== 0);
  if (!audio) return refuse('re-offer has no active audio stream; to end the call send BYE');
  const line = cryptoLines(audio).find((l) => l.ok && l.attribute.tag === ctx.tag);
  const key = line?.ok ? line.attribute.keyParams[0]?.keySalt : undefined;
  if (key === undefined || !Buffer.from(key).equals(Buffer.from(ctx.remoteKeySalt))) return refuse('changing SRTP keys in a re-INVITE is not supported yet');
  const c = connection(offer, audio);
  const holdAddress = c?.address === '0.0.0.0' || c?.address === '::';
  if (!holdAddress && (c?.address !== ctx.remoteAddress || audio.mLine.port !== ctx.remotePort)) {
    return refuse('moving media to another address in a re-INVITE is not supported yet');
  }
  // RFC 3264 8.4: c=0.0.0.0 (RFC 2543 style hold) means the peer does not want to receive
  const peerDirection: Direction = holdAddress ? 'sendonly' : direction(offer, audio);
  const ours = answerDirection(peerDirection, 'sendrecv');
  return { ok: true, answer: rewriteAnswer(ctx.previousAnswer, ctx.version, ours), peerDirection };
}

function rewriteAnswer(answer: string, version: number, dir: Direction): string {
  const lines = answer.split('\r\n');
  let inAudio = false;
  let wroteDirection = false;
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('o=')) {
      const parts = l.split(' ');
      parts[2] = String(version);
      out.push(parts.join(' '));
      continue;
    }
    if (l.startsWith('m=')) {
      if (inAudio && !wroteDirection) out.push(`a=${dir}`);
      inAudio = l.startsWith('m=audio ') && !l.startsWith('m=audio 0 ');
      wroteDirection = false;
    }
    if (inAudio && /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l)) {
      out.push(`a=${dir}`);
      wroteDirection = true;
      continue;
    }
    if (l === '' && inAudio && !wroteDirection) {
      out.push(`a=${dir}`);
      wroteDirection = true;
    }
    out.push(l);
  }
  return out.join('\r\n');
}
