import * as z from 'zod';

/**
 * Shared schema pieces for stored records. Bytes travel as base64 in JSON; the codec turns
 * them back into Uint8Array so callers never see the wire form.
 */
export const bytes = z.codec(z.base64(), z.instanceof(Uint8Array), {
  decode: (s) => new Uint8Array(Buffer.from(s, 'base64')),
  encode: (u) => Buffer.from(u).toString('base64'),
});

/** Identifiers end up inside Redis key names: printable ASCII, no spaces, bounded. */
export const ident = z.string().regex(/^[\x21-\x7e]{1,256}$/, 'printable ASCII without spaces, 1..256 chars');

/** Times are numbers passed in by the caller (ms); the core never reads a clock. */
export const millis = z.number().int().nonnegative();

export const port = z.number().int().min(0).max(65535);

export const hostPort = z.object({ address: z.string().min(1), port }).strict();

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue).readonly(), z.record(z.string(), jsonValue).readonly()]),
);
