/**
 * RFC 4733 telephone-event payload (2.3): one 4-octet event per packet.
 *
 *   0                   1                   2                   3
 *   |     event     |E|R| volume    |          duration             |
 *
 * Events 0-15 are the DTMF digits 0-9 * # A-D, 16 is flash (3.2). The R bit is reserved: set
 * to 0 by senders and ignored by receivers (2.3.3), so it is not part of the model.
 */

export interface TelephoneEvent {
  readonly event: number;
  /** E bit: this packet ends the event (2.3.2). */
  readonly end: boolean;
  /** Power level in -dBm0, 0..63 (2.3.4); 0 is loudest. */
  readonly volume: number;
  /** Duration so far in timestamp units (2.3.5). */
  readonly duration: number;
}

export type TelephoneEventParseReason =
  | 'too-short' // fewer than 4 octets
  | 'bad-length'; // not exactly 4 octets: redundant events use RFC 2198 framing, not this payload

export type TelephoneEventParseResult =
  | { readonly ok: true; readonly value: TelephoneEvent }
  | { readonly ok: false; readonly reason: TelephoneEventParseReason };

export const TELEPHONE_EVENT_LENGTH = 4;

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventParseResult {
  if (payload.length < TELEPHONE_EVENT_LENGTH) return { ok: false, reason: 'too-short' };
  if (payload.length !== TELEPHONE_EVENT_LENGTH) return { ok: false, reason: 'bad-length' };
  const b1 = payload[1] ?? 0;
  return {
    ok: true,
    value: { event: payload[0] ?? 0, end: (b1 & 0x80) !== 0, volume: b1 & 0x3f, duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0) },
  };
}

/** Writes the 4-octet payload at `offset` (no allocation); returns 4. */
export function writeTelephoneEvent(e: TelephoneEvent, out: Uint8Array, offset = 0): number {
  if (e.event < 0 || e.event > 255) throw new RangeError('telephone-event event code must be 0..255');
  if (e.volume < 0 || e.volume > 63) throw new RangeError('telephone-event volume must be 0..63 (-dBm0)');
  if (e.duration < 0 || e.duration > 0xffff) throw new RangeError('telephone-event duration must be 0..65535');
  if (offset + 4 > out.length) throw new RangeError('telephone-event needs 4 octets');
  out[offset] = e.event;
  out[offset + 1] = (e.end ? 0x80 : 0) | e.volume;
  out[offset + 2] = e.duration >>> 8;
  out[offset + 3] = e.duration & 0xff;
  return 4;
}

export function serializeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(4);
  writeTelephoneEvent(e, out, 0);
  return out;
}

const DTMF = '0123456789*#ABCD';

/** DTMF character for an event code (RFC 4733 3.2 table), '!' for flash, null otherwise. */
export function dtmfChar(event: number): string | null {
  if (event >= 0 && event < 16) return DTMF[event] ?? null;
  return event === 16 ? '!' : null;
}

/** Event code for a DTMF character (case-insensitive A-D), or null. */
export function dtmfEvent(ch: string): number | null {
  if (ch === '!') return 16;
  const i = DTMF.indexOf(ch.toUpperCase());
  return ch.length === 1 && i >= 0 ? i : null;
}
