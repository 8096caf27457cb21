/**
 * RFC 8285 header extension elements inside the RFC 3550 5.3.1 extension block.
 *
 * One-byte form (profile 0xBEDE, RFC 8285 4.2): ID 4 bits (1-14), L 4 bits = length - 1.
 * A zero ID octet is padding (skipped). ID 15 is reserved: "processing of the entire extension
 * MUST terminate at that point", so elements before it are returned and `truncatedAt15` is set.
 * Two-byte form (profile 0x100X, RFC 8285 4.3; X = 4 "appbits"): ID 8 bits (1-255), length 8
 * bits (0-255 octets). A zero ID octet is padding.
 */

export const ONE_BYTE_PROFILE = 0xbede;
export const TWO_BYTE_PROFILE_MASK = 0xfff0;
export const TWO_BYTE_PROFILE_BASE = 0x1000;

export type HeaderExtensionForm = 'one-byte' | 'two-byte';

export interface HeaderExtensionElement {
  readonly id: number;
  readonly data: Uint8Array;
}

export interface HeaderExtensionList {
  readonly form: HeaderExtensionForm;
  /** Low 4 bits of the two-byte profile (RFC 8285 4.3 "appbits"); 0 for one-byte. */
  readonly appBits: number;
  readonly elements: readonly HeaderExtensionElement[];
  /** True when a one-byte element with the reserved ID 15 stopped processing (RFC 8285 4.2). */
  readonly stoppedAtReservedId: boolean;
}

export type HeaderExtensionParseReason =
  | 'not-rfc8285' // profile is neither 0xBEDE nor 0x100X: opaque, profile-specific data
  | 'element-overrun'; // an element's length runs past the end of the block

export type HeaderExtensionParseResult =
  | { readonly ok: true; readonly value: HeaderExtensionList }
  | { readonly ok: false; readonly reason: HeaderExtensionParseReason };

export function headerExtensionForm(profile: number): HeaderExtensionForm | null {
  if (profile === ONE_BYTE_PROFILE) return 'one-byte';
  if ((profile & TWO_BYTE_PROFILE_MASK) === TWO_BYTE_PROFILE_BASE) return 'two-byte';
  return null;
}

export function parseHeaderExtensions(profile: number, data: Uint8Array): HeaderExtensionParseResult {
  const form = headerExtensionForm(profile);
  if (form === null) return { ok: false, reason: 'not-rfc8285' };
  const elements: HeaderExtensionElement[] = [];
  let o = 0;
  let stoppedAtReservedId = false;
  while (o < data.length) {
    const b = data[o] ?? 0;
    if (b === 0) {
      o++; // padding octet (RFC 8285 4.1.1)
      continue;
    }
    let id: number;
    let len: number;
    let start: number;
    if (form === 'one-byte') {
      id = b >>> 4;
      if (id === 15) {
        stoppedAtReservedId = true;
        break;
      }
      if (id === 0) {
        // ID 0 with a non-zero length: treat as padding, as libwebrtc does; the length is
        // meaningless for the reserved padding ID.
        o++;
        continue;
      }
      len = (b & 0x0f) + 1;
      start = o + 1;
    } else {
      id = b;
      if (o + 1 >= data.length) return { ok: false, reason: 'element-overrun' };
      len = data[o + 1] ?? 0;
      start = o + 2;
    }
    if (start + len > data.length) return { ok: false, reason: 'element-overrun' };
    elements.push({ id, data: data.subarray(start, start + len) });
    o = start + len;
  }
  return { ok: true, value: { form, appBits: form === 'two-byte' ? profile & 0x0f : 0, elements, stoppedAtReservedId } };
}

/** The "defined by profile" value for a list (0xBEDE or 0x1000 | appBits). */
export function headerExtensionProfile(list: Pick<HeaderExtensionList, 'form' | 'appBits'>): number {
  return list.form === 'one-byte' ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE_BASE | (list.appBits & 0x0f);
}

/**
 * Serializes elements in `form`, zero-padded to a multiple of 4 octets (RFC 8285 4.1.1).
 * Throws RangeError on programming errors: ID or length outside what the form can carry.
 */
export function serializeHeaderExtensions(form: HeaderExtensionForm, elements: readonly HeaderExtensionElement[]): Uint8Array {
  let size = 0;
  for (const e of elements) {
    if (form === 'one-byte') {
      if (e.id < 1 || e.id > 14) throw new RangeError(`one-byte extension ID must be 1..14, got ${e.id}`);
      if (e.data.length < 1 || e.data.length > 16) throw new RangeError('one-byte extension data must be 1..16 octets');
      size += 1 + e.data.length;
    } else {
      if (e.id < 1 || e.id > 255) throw new RangeError(`two-byte extension ID must be 1..255, got ${e.id}`);
      if (e.data.length > 255) throw new RangeError('two-byte extension data must be 0..255 octets');
      size += 2 + e.data.length;
    }
  }
  const out = new Uint8Array((size + 3) & ~3);
  let o = 0;
  for (const e of elements) {
    if (form === 'one-byte') {
      out[o++] = (e.id << 4) | (e.data.length - 1);
    } else {
      out[o++] = e.id;
      out[o++] = e.data.length;
    }
    out.set(e.data, o);
    o += e.data.length;
  }
  return out;
}
