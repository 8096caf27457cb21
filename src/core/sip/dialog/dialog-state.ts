import { z } from 'zod';
import { GatehouseError } from '../../errors.ts';

/**
 * Dialog state (RFC 3261 12.1) as a versioned plain-data snapshot, JSON-able so a dialog can be
 * stored and continued by another instance (DESIGN.md "State and takeover", convention 9: the
 * codec and its schema live next to the type).
 *
 * URIs are stored in wire form (formatUri / formatNameAddr output) so the snapshot stays plain
 * strings and survives any model change.
 */
export interface DialogState {
  readonly version: 1;
  /** Which side created the dialog: 'uac' also means we own the Call-ID (RFC 3261 14.1 glare timer). */
  readonly role: 'uac' | 'uas';
  readonly state: 'early' | 'confirmed';
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** null = empty (12.1.1: a UAS dialog starts with an empty local sequence number). */
  readonly localSeq: number | null;
  readonly remoteSeq: number | null;
  /** CSeq number of the last INVITE we sent (the ACK for its 2xx reuses it, 13.2.2.4). */
  readonly inviteSeq: number | null;
  /** Our From (UAC) / To (UAS) as a name-addr without tag, e.g. `<sip:gw@example.com>`. */
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** Remote Contact URI (12.1.1, refreshed by target refresh requests 12.2). */
  readonly remoteTarget: string;
  /** Route set, name-addr strings, in the order they go into Route (12.1.1 / 12.1.2). */
  readonly routeSet: readonly string[];
  /** Our Contact URI in this dialog (changes on takeover: new instance, new Contact). */
  readonly localContact: string;
  readonly secure: boolean;
  /** Transport the dialog runs on: UDP, TCP, TLS, WS, WSS. */
  readonly transport: string;
}

const seq = z.number().int().min(0).max(0xffff_ffff).nullable();

export const dialogStateSchema = z.object({
  version: z.literal(1),
  role: z.enum(['uac', 'uas']),
  state: z.enum(['early', 'confirmed']),
  callId: z.string().min(1),
  localTag: z.string().min(1),
  remoteTag: z.string().min(1),
  localSeq: seq,
  remoteSeq: seq,
  inviteSeq: seq,
  localAddress: z.string().min(1),
  remoteAddress: z.string().min(1),
  remoteTarget: z.string().min(1),
  routeSet: z.array(z.string().min(1)),
  localContact: z.string().min(1),
  secure: z.boolean(),
  transport: z.string().regex(/^[A-Z0-9]+$/),
}).strict();

/** Plain object for a state store (a copy; no class instances). */
export function exportDialog(d: DialogState): DialogState {
  return dialogStateSchema.parse(d) as DialogState;
}

/** Checks the schema; throws GatehouseError('state', 'DIALOG_SNAPSHOT_INVALID') with the failing path. */
export function importDialog(data: unknown): DialogState {
  const r = dialogStateSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined ? '' : `${issue.path.join('.')}: ${issue.message}`;
    throw new GatehouseError('state', 'DIALOG_SNAPSHOT_INVALID', `dialog snapshot rejected (${where})`, { cause: r.error });
  }
  return r.data as DialogState;
}

export const encodeDialog = (d: DialogState): string => JSON.stringify(exportDialog(d));

export function decodeDialog(json: string): DialogState {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new GatehouseError('state', 'DIALOG_SNAPSHOT_INVALID', 'dialog snapshot is not JSON', { cause: e });
  }
  return importDialog(data);
}

/** Dialog id (12): Call-ID + local tag + remote tag. */
export function dialogKey(d: Pick<DialogState, 'callId' | 'localTag' | 'remoteTag'>): string {
  return `${d.callId}|${d.localTag}|${d.remoteTag}`;
}
