import { callCodec } from '../../core/call/call-record.ts';
import type { CallBody, CallOwnership, CallRecord } from '../../core/call/call-record.ts';
import { roomCodec } from '../../core/call/room-record.ts';
import type { RoomRecord } from '../../core/call/room-record.ts';
import { decodeRecord, encodeRecord } from '../../core/call/stored-document.ts';
import type { RandomSource } from '../../core/secrets/aead.ts';
import type { Keyring } from '../../core/secrets/keyring.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { StoredKind, StoredRecords } from '../../ports/state-store.ts';

/**
 * Shared by both adapters: turns a port value into (id, sealed text, ownership) and back.
 * Calls keep owner/epoch outside the sealed body so the claim can compare-and-set them
 * without touching (or being able to read) the body.
 */
export interface EncodedValue {
  readonly id: string;
  readonly text: string;
  readonly ownership: CallOwnership | null;
}

export function encodeValue<K extends StoredKind>(kind: K, value: StoredRecords[K], keyring: Keyring, random?: RandomSource): EncodedValue {
  if (kind === 'call') {
    const { owner, epoch, ...body } = value as CallRecord;
    checkOwnership({ owner, epoch });
    return { id: body.callId, text: encodeRecord<CallBody>(callCodec, body, keyring, random), ownership: { owner, epoch } };
  }
  const room = value as RoomRecord;
  return { id: room.roomId, text: encodeRecord(roomCodec, room, keyring, random), ownership: null };
}

export function decodeValue<K extends StoredKind>(
  kind: K,
  id: string,
  text: string,
  ownership: CallOwnership | null,
  keyring: Keyring,
): StoredRecords[K] {
  if (kind === 'call') {
    if (ownership === null) throw new GatehouseError('internal', 'STATE_NO_OWNERSHIP', `call ${id} stored without owner/epoch`);
    const record: CallRecord = { ...decodeRecord(callCodec, id, text, keyring), ...ownership };
    return record as StoredRecords[K];
  }
  return decodeRecord(roomCodec, id, text, keyring) as StoredRecords[K];
}

const OWNER = /^[\x21-\x7e]{1,256}$/;

export function checkOwnership(o: CallOwnership): void {
  if (!OWNER.test(o.owner)) throw new GatehouseError('internal', 'STATE_BAD_OWNER', 'owner instance id must be printable ASCII without spaces');
  if (!Number.isSafeInteger(o.epoch) || o.epoch < 1) throw new GatehouseError('internal', 'STATE_BAD_EPOCH', 'epoch must be an integer >= 1');
}

export function fenceRequired(kind: StoredKind, fence: CallOwnership | undefined): void {
  if (kind === 'call' && fence === undefined) {
    throw new GatehouseError('internal', 'STATE_FENCE_REQUIRED', 'removing a call needs the owner and epoch the caller holds');
  }
}
