import * as z from 'zod';
import { ident, millis } from './schema-parts.ts';
import type { RecordCodec } from './stored-document.ts';

/**
 * Room membership as stored: which call legs are in the room and how media is combined
 * (DESIGN.md "Media": two participants relay, three or more mix). Holds no secrets.
 */
export interface RoomMember {
  readonly callId: string;
  readonly legId: string;
  readonly joinedAt: number;
}

export interface RoomRecord {
  readonly roomId: string;
  readonly name: string | null;
  readonly mediaMode: 'relay' | 'mix';
  readonly members: readonly RoomMember[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const roomRecordSchema = z
  .object({
    roomId: ident,
    name: z.string().max(256).nullable(),
    mediaMode: z.enum(['relay', 'mix']),
    members: z.array(z.object({ callId: ident, legId: ident, joinedAt: millis }).strict().readonly()).readonly(),
    createdAt: millis,
    updatedAt: millis,
  })
  .strict()
  .readonly();

export const roomCodec: RecordCodec<RoomRecord> = {
  kind: 'room',
  version: 1,
  schema: roomRecordSchema,
  secretPaths: [],
  idOf: (room) => room.roomId,
};
