import type { SdpLine, SessionDescription } from './model.ts';

/**
 * Serializes with CRLF after every line (RFC 8866 5: "records are terminated by CRLF").
 * Lines are written exactly as stored, so parse(text) -> serialize is byte-identical for input
 * that already used CRLF and had no empty lines.
 */
export function serializeSdp(sdp: SessionDescription): string {
  const parts: string[] = [];
  pushLines(parts, sdp.session.lines);
  for (const m of sdp.media) pushLines(parts, m.lines);
  return parts.join('');
}

function pushLines(out: string[], lines: readonly SdpLine[]): void {
  for (const l of lines) out.push(l.type, '=', l.value, '\r\n');
}
