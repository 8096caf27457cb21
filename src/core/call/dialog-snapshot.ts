import * as z from 'zod';
import { jsonValue } from './schema-parts.ts';
import type { JsonValue } from './schema-parts.ts';
import type { ExportedDialog } from '../../ports/signalling-backend.ts';

/**
 * A SIP dialog as stored for takeover: the signalling backend's own export (the
 * `ExportedDialog` of src/ports/signalling-backend.ts), kept opaque here so there is one dialog
 * model (src/core/sip/dialog for the embedded engine) rather than a second copy of RFC 3261 12
 * fields that could drift. Only the same backend kind can import it back.
 */
export interface DialogSnapshot {
  readonly version: 1;
  readonly backend: 'embedded' | 'drachtio';
  readonly dialogId: string;
  readonly state: { readonly [key: string]: JsonValue };
}

export const dialogSnapshotSchema = z
  .object({
    version: z.literal(1),
    backend: z.enum(['embedded', 'drachtio']),
    dialogId: z.string().min(1).max(1024),
    state: z.record(z.string(), jsonValue).readonly(),
  })
  .strict()
  .readonly();

/**
 * A backend export as stored. The embedded backend's export is JSON-safe plain data
 * (signalling-backend.ts); the call record seals `state` whole (it may hold our last SDP).
 */
export function snapshotOfExport(d: ExportedDialog): DialogSnapshot {
  return d as DialogSnapshot;
}
