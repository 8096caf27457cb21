/**
 * Rooms (issue 6): `sip:ROOM@host` and `/join/ROOM`. Rooms are listed in config and/or created
 * on demand when `rooms.on_demand` is true. A PIN is a secret (`pin_file`/`pin_env`) and is
 * dialled as `sip:ROOM*PIN@host`.
 */
import { z } from 'zod';
import { parseCidr } from '../../crypto-policy/index.ts';

export const ROOM_ID = /^[A-Za-z0-9._-]{1,64}$/;
const roomId = z.string().regex(ROOM_ID, 'must be 1-64 characters of A-Z a-z 0-9 . _ -');

const roomSchema = z.strictObject({
  id: roomId,
  /** Display name shown on the join page. */
  name: z.string().min(1).max(128).optional(),
  /** Crypto profile for every participant of this room (overrides per-peer rules). */
  profile: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a profile name like "secure"').optional(),
  max_participants: z.number().int().min(2).max(64).optional(),
  /** PIN (digits) as a secret reference; callers dial ROOM*PIN. */
  pin_file: z.string().min(1).optional(),
  pin_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  /** Who may join: SIP source networks (CIDR). Empty or absent: anyone who can reach the gateway. */
  allow_cidr: z
    .array(
      z.string().superRefine((c, ctx) => {
        const r = parseCidr(c);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
      }),
    )
    .optional(),
});

export type RoomConfig = z.infer<typeof roomSchema>;

export const roomsSchema = z
  .strictObject({
    /** Create a room the first time an unknown ROOM is dialled (max_participants applies). */
    on_demand: z.boolean().default(false),
    /** Default participant limit for rooms without their own. */
    max_participants: z.number().int().min(2).max(64).default(16),
    /** No RTP from a sendrecv participant for this long ends its call (BYE, reason recorded). */
    media_timeout_s: z.number().int().min(0).max(3600).default(30),
    /** With Redis: a SIP caller of a room that already runs on another live instance gets a
     * 302 to that instance (a room is relayed/mixed in one process); false: the call is taken
     * here and does not hear the others (logged and counted). Browser guests are never
     * redirected. */
    redirect_to_home: z.boolean().default(true),
    list: z.array(roomSchema).default([]),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.list.forEach((room, i) => {
      if (seen.has(room.id)) ctx.addIssue({ code: 'custom', path: ['list', i, 'id'], message: `duplicate room id "${room.id}"` });
      seen.add(room.id);
      if (room.pin_file !== undefined && room.pin_env !== undefined) ctx.addIssue({ code: 'custom', path: ['list', i, 'pin_file'], message: 'set only one of pin_file and pin_env' });
    });
  });
