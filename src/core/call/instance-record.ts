import * as z from 'zod';
import { ident, millis } from './schema-parts.ts';
import type { RecordCodec } from './stored-document.ts';

/**
 * One gateway instance as seen by the others: where to reach it, how loaded it is, and when
 * it last proved it is alive. The store keeps it with a TTL of `ttlMs`; when that lapses
 * the instance counts as dead and its calls as orphaned. Holds no secrets.
 */
export interface InstanceRecord {
  readonly instanceId: string;
  readonly addresses: {
    /** SIP URIs it listens on (e.g. sip:10.0.0.2:5060;transport=udp). */
    readonly sip: readonly string[];
    /** Media IPs it binds RTP on. */
    readonly media: readonly string[];
    /** Admin/health base URL, if any. */
    readonly http: string | null;
  };
  readonly load: { readonly calls: number; readonly legs: number };
  readonly capacity: { readonly calls: number };
  /** True after SIGTERM/drain: admits nothing new, hands its calls over. */
  readonly draining: boolean;
  /** Wall time of this heartbeat (ms), passed in by the caller. */
  readonly heartbeatAt: number;
  readonly ttlMs: number;
}

const count = z.number().int().nonnegative();

export const instanceRecordSchema = z
  .object({
    instanceId: ident,
    addresses: z
      .object({ sip: z.array(z.string().min(1)).readonly(), media: z.array(z.string().min(1)).readonly(), http: z.string().min(1).nullable() })
      .strict()
      .readonly(),
    load: z.object({ calls: count, legs: count }).strict().readonly(),
    capacity: z.object({ calls: count }).strict().readonly(),
    draining: z.boolean(),
    heartbeatAt: millis,
    ttlMs: z.number().int().min(1),
  })
  .strict()
  .readonly();

export const instanceCodec: RecordCodec<InstanceRecord> = {
  kind: 'instance',
  version: 1,
  schema: instanceRecordSchema,
  secretPaths: [],
  idOf: (instance) => instance.instanceId,
};
