/**
 * Which room a Request-URI user part names, and whether this caller may join it. Pure.
 * `ROOM*PIN` carries a PIN (the star is allowed in a SIP user part, RFC 3261 25.1). Wrong or
 * missing PINs and unknown rooms all answer without revealing which rooms exist beyond what the
 * caller already knows (404 for unknown, 403 for PIN/access).
 */
import { cidrContains, parseCidr, parseIp } from '../../crypto-policy/index.ts';
import type { RoomConfig } from '../config/rooms-schema.ts';
import { ROOM_ID } from '../config/rooms-schema.ts';
import { timingSafeEqual } from 'node:crypto';

export interface RoomDirectoryConfig {
  readonly onDemand: boolean;
  readonly maxParticipants: number;
  readonly rooms: readonly RoomConfig[];
  /** Resolved PINs by room id. */
  readonly pins: ReadonlyMap<string, string>;
  /** rooms.redirect_to_home (default true): 302 SIP callers to the instance the room runs on. */
  readonly redirectToHome?: boolean;
}

export interface ResolvedRoom {
  readonly id: string;
  readonly name: string;
  readonly profile: string | undefined;
  readonly maxParticipants: number;
}

export type RoomResolution =
  | { readonly ok: true; readonly room: ResolvedRoom }
  | { readonly ok: false; readonly status: 403 | 404; readonly reason: string; readonly code: string };

export function resolveRoom(dir: RoomDirectoryConfig, user: string | null, sourceIp: string | null): RoomResolution {
  if (user === null || user === '') return { ok: false, status: 404, reason: 'Not Found - dial sip:ROOM@host', code: 'ROOM_MISSING' };
  const star = user.indexOf('*');
  const id = star === -1 ? user : user.slice(0, star);
  const pin = star === -1 ? null : user.slice(star + 1);
  if (!ROOM_ID.test(id)) return { ok: false, status: 404, reason: 'Not Found - invalid room name', code: 'ROOM_INVALID' };
  const configured = dir.rooms.find((r) => r.id === id);
  if (!configured && !dir.onDemand) return { ok: false, status: 404, reason: 'Not Found - no such room', code: 'ROOM_UNKNOWN' };
  const expected = dir.pins.get(id);
  if (expected !== undefined && (pin === null || !sameSecret(pin, expected))) {
    return { ok: false, status: 403, reason: pin === null ? 'Forbidden - PIN required (dial ROOM*PIN)' : 'Forbidden - wrong PIN', code: pin === null ? 'ROOM_PIN_REQUIRED' : 'ROOM_PIN_WRONG' };
  }
  if (configured?.allow_cidr && configured.allow_cidr.length > 0) {
    const ip = sourceIp === null ? null : parseIp(sourceIp);
    const allowed = ip !== null && ip.ok && configured.allow_cidr.some((c) => {
      const cidr = parseCidr(c);
      return cidr.ok && cidrContains(cidr.value, ip.value);
    });
    if (!allowed) return { ok: false, status: 403, reason: 'Forbidden - not allowed to join this room', code: 'ROOM_SOURCE_DENIED' };
  }
  const room = roomById(dir, id);
  return room ? { ok: true, room } : { ok: false, status: 404, reason: 'Not Found - no such room', code: 'ROOM_UNKNOWN' };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A room by id for a call already admitted (takeover): config or on-demand defaults. */
export function roomById(dir: RoomDirectoryConfig, id: string): ResolvedRoom | null {
  const c = dir.rooms.find((r) => r.id === id);
  if (!c && !dir.onDemand) return null;
  return { id, name: c?.name ?? id, profile: c?.profile, maxParticipants: c?.max_participants ?? dir.maxParticipants };
}
