import * as z from 'zod';
import { hostPort, jsonValue } from './schema-parts.ts';
import type { JsonValue } from './schema-parts.ts';

/**
 * Everything another instance needs to continue a SIP dialog (RFC 3261 section 12.1/12.2):
 * Call-ID, both tags, the local and remote CSeq, remote target, route set, and the transport
 * flow. Owned by the SIP engine (core/sip), stored here as plain data; `ext` holds
 * backend-specific extras (e.g. a drachtio dialog id) the store does not interpret.
 */
export interface DialogSnapshot {
  readonly callId: string;
  readonly role: 'uac' | 'uas';
  readonly localTag: string;
  /** null while the dialog is early and the peer has not answered with a tag. */
  readonly remoteTag: string | null;
  readonly localUri: string;
  readonly remoteUri: string;
  /** Our Contact; the new owner replaces it in its target-refresh re-INVITE (RFC 3261 12.2.1.1). */
  readonly localContact: string;
  /** Last CSeq we sent (RFC 3261 12.2.1.1: next request uses +1). */
  readonly localCseq: number;
  /** Last CSeq received; null until the peer sends an in-dialog request (12.2.2). */
  readonly remoteCseq: number | null;
  /** Remote target from the peer's Contact (12.1.1/12.1.2). */
  readonly remoteTarget: string;
  /** Route set, in the order requests use it (12.1.1: reversed Record-Route for UAC). */
  readonly routeSet: readonly string[];
  /** True when the dialog was established over sips/TLS (12.1.1). */
  readonly secure: boolean;
  readonly transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  /** Where the flow goes (peer's address), used for connection reuse. */
  readonly peer: { readonly address: string; readonly port: number };
  readonly ext: { readonly [key: string]: JsonValue };
}

const cseq = z.number().int().min(0).max(2 ** 31 - 1); // RFC 3261 8.1.1.5: < 2^31

export const dialogSnapshotSchema = z
  .object({
    callId: z.string().min(1),
    role: z.enum(['uac', 'uas']),
    localTag: z.string().min(1),
    remoteTag: z.string().min(1).nullable(),
    localUri: z.string().min(1),
    remoteUri: z.string().min(1),
    localContact: z.string().min(1),
    localCseq: cseq,
    remoteCseq: cseq.nullable(),
    remoteTarget: z.string().min(1),
    routeSet: z.array(z.string().min(1)).readonly(),
    secure: z.boolean(),
    transport: z.enum(['udp', 'tcp', 'tls', 'ws', 'wss']),
    peer: hostPort.readonly(),
    ext: z.record(z.string(), jsonValue).readonly(),
  })
  .strict()
  .readonly();
