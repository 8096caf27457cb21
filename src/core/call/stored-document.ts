import type * as z from 'zod';
import { openDocument, rewrapDocument, sealDocument } from '../secrets/envelope.ts';
import type { Json, SealedDocument, WrappedKey } from '../secrets/envelope.ts';
import type { RandomSource } from '../secrets/aead.ts';
import type { Keyring } from '../secrets/keyring.ts';
import { RecordError } from './record-error.ts';

/**
 * The one codec path between a record type and its stored text (DESIGN.md convention 9):
 *
 *   value --schema encode (bytes -> base64, validates)--> wire JSON
 *         --seal secret paths (envelope.ts)--> {"v","kind","dek","body"} --JSON--> text
 *
 * and back, where decoding checks the version first (unknown -> STATE_SCHEMA_VERSION_UNKNOWN),
 * opens the secrets, then runs the schema. Each record type declares its codec next to itself.
 */
export type RecordKind = 'call' | 'room' | 'instance';

export interface RecordCodec<T> {
  readonly kind: RecordKind;
  /** Schema version written into `v`; bump it (and add an upgrade) when the shape changes. */
  readonly version: number;
  readonly schema: z.ZodType<T>;
  readonly secretPaths: readonly string[];
  readonly idOf: (value: T) => string;
}

interface StoredEnvelope extends SealedDocument {
  readonly v: number;
  readonly kind: RecordKind;
}

/** Logical record key bound into every AAD; independent of any Redis key prefix. */
export function recordKey(kind: RecordKind, id: string): string {
  return `${kind}/${id}`;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

export function encodeRecord<T>(codec: RecordCodec<T>, value: T, keyring: Keyring, random?: RandomSource): string {
  const wire = codec.schema.safeEncode(value);
  if (!wire.success) throw new RecordError('STATE_RECORD_INVALID', `${codec.kind} record invalid at ${firstIssue(wire.error)}`, wire.error);
  const id = codec.idOf(value);
  const sealed = sealDocument(keyring, recordKey(codec.kind, id), wire.data as Json, codec.secretPaths, random);
  const doc: StoredEnvelope = { v: codec.version, kind: codec.kind, dek: sealed.dek, body: sealed.body };
  return JSON.stringify(doc);
}

function isWrappedKey(v: unknown): v is WrappedKey {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o['kid'] === 'string' && typeof o['iv'] === 'string' && typeof o['ct'] === 'string';
}

/** Parses the outer document shape only (no secrets opened). */
export function parseStored(text: string): StoredEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new RecordError('STATE_RECORD_MALFORMED', 'stored record is not JSON', cause);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RecordError('STATE_RECORD_MALFORMED', 'stored record is not a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  const kind = o['kind'];
  if (kind !== 'call' && kind !== 'room' && kind !== 'instance') throw new RecordError('STATE_RECORD_MALFORMED', 'stored record has no known kind');
  if (typeof o['v'] !== 'number' || !Number.isInteger(o['v'])) throw new RecordError('STATE_RECORD_MALFORMED', 'stored record has no integer version');
  const dek = o['dek'];
  if (dek !== null && !isWrappedKey(dek)) throw new RecordError('STATE_RECORD_MALFORMED', 'stored record has a malformed data key');
  if (!('body' in o)) throw new RecordError('STATE_RECORD_MALFORMED', 'stored record has no body');
  return { v: o['v'], kind, dek, body: o['body'] as Json };
}

export function decodeRecord<T>(codec: RecordCodec<T>, id: string, text: string, keyring: Keyring): T {
  const doc = parseStored(text);
  if (doc.kind !== codec.kind) throw new RecordError('STATE_RECORD_MALFORMED', `expected a ${codec.kind} record, found ${doc.kind}`);
  if (doc.v !== codec.version) {
    throw new RecordError('STATE_SCHEMA_VERSION_UNKNOWN', `${codec.kind} record has schema version ${doc.v}; this build reads version ${codec.version}`);
  }
  const body = openDocument(keyring, recordKey(codec.kind, id), doc, codec.secretPaths);
  const value = codec.schema.safeDecode(body);
  if (!value.success) throw new RecordError('STATE_RECORD_INVALID', `${codec.kind} record invalid at ${firstIssue(value.error)}`, value.error);
  if (codec.idOf(value.data) !== id) throw new RecordError('STATE_RECORD_INVALID', `${codec.kind} record stored under another id`);
  return value.data;
}

/** Key id wrapping the record's data key; null when it holds no secrets. */
export function storedKeyId(text: string): string | null {
  return parseStored(text).dek?.kid ?? null;
}

/**
 * Text of the same record with its data key re-wrapped under the active KEK, or null when it
 * already is (or holds no secrets). Body and sealed fields are unchanged.
 */
export function rewrapStored(kind: RecordKind, id: string, text: string, keyring: Keyring, random?: RandomSource): string | null {
  const doc = parseStored(text);
  if (doc.kind !== kind) throw new RecordError('STATE_RECORD_MALFORMED', `expected a ${kind} record, found ${doc.kind}`);
  const next = rewrapDocument(keyring, recordKey(kind, id), doc, random);
  if (next === null) return null;
  const out: StoredEnvelope = { v: doc.v, kind: doc.kind, dek: next.dek, body: next.body };
  return JSON.stringify(out);
}
