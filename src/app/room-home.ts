/**
 * The call layer's side of room homes (RoomHomes in src/ports/state-store.ts): a room is relayed
 * or mixed in one process, so the instance that runs a room's media claims its home in the store
 * and clears it when the room ends here; takeover and guests follow it (issue 7).
 */
import { callsRejectedTotal, roomSplits } from '../metrics/calls.ts';
import type { IncomingInvite } from '../ports/signalling-backend.ts';
import type { InstanceRegistry, RoomHomes } from '../ports/state-store.ts';
import type { InstanceRecord } from '../core/call/instance-record.ts';
import type { CallServiceDeps } from './call-service.ts';

type HomeDeps = Pick<CallServiceDeps, 'homes' | 'instanceId' | 'logger'>;

/** The live instance `roomId` runs on when that is not `me` (its registry record), else null. */
export async function homeInstanceElsewhere(homes: RoomHomes, registry: InstanceRegistry, roomId: string, me: string): Promise<InstanceRecord | null> {
  const home = await homes.homeOf(roomId);
  if (home === null || home === me) return null;
  return (await registry.listInstances()).find((i) => i.instanceId === home) ?? null;
}

/**
 * Where a new SIP caller of `roomId` should go instead of here: the SIP URI (same transport,
 * the home's advertised address, the Request-URI's user part) of the live instance the room
 * already runs on, or null to take the call here (no Redis, no home, ours, the home has no
 * listener for that transport, or the store cannot say).
 */
export async function roomHomeElsewhere(
  deps: Pick<CallServiceDeps, 'homes' | 'registry' | 'instanceId'>,
  roomId: string,
  user: string,
  transport: string,
): Promise<string | null> {
  if (!deps.homes || !deps.registry) return null;
  const instance = await homeInstanceElsewhere(deps.homes, deps.registry, roomId, deps.instanceId).catch(() => null);
  const uri = instance?.addresses.sip.find((u) => u.toLowerCase().endsWith(`;transport=${transport.toLowerCase()}`));
  if (uri === undefined) return null;
  // sip:host:port;transport=x -> sip:user@host:port;transport=x (RFC 3261 19.1.1 escaping of the user)
  return uri.replace(/^sip:/i, `sip:${encodeURIComponent(user).replace(/%2A/gi, '*')}@`);
}

/**
 * A call joined a room here: make this instance the room's home, or say loudly that the room
 * already lives on another live instance (participants on two instances do not hear each
 * other: route a room's callers to one instance).
 */
export async function claimRoomHome(deps: HomeDeps, roomId: string, callId: string): Promise<void> {
  if (!deps.homes) return;
  const home = await deps.homes.claimHome(roomId, deps.instanceId).catch(() => null);
  if (home !== null && home !== deps.instanceId) {
    roomSplits.inc();
    deps.logger.warn({ room: roomId, callId, home }, 'room already runs on another instance: this call does not hear the participants there');
  }
}

/** The room's media no longer runs here: its home is free for whoever runs it next. */
export async function leaveRoomHome(deps: HomeDeps, roomId: string): Promise<void> {
  await deps.homes?.leaveHome(roomId, deps.instanceId).catch((err: unknown) => deps.logger.warn({ err, room: roomId }, 'could not clear the room home'));
}

/** Sends a new caller to the room's home (302, RFC 3261 21.3.3); counted with the rejections. */
export async function redirectToRoomHome(deps: Pick<CallServiceDeps, 'backend' | 'logger'>, inv: IncomingInvite, roomId: string, contact: string): Promise<void> {
  callsRejectedTotal.inc({ status: '302', code: 'ROOM_ELSEWHERE' });
  deps.logger.info({ callId: inv.callId, room: roomId, to: contact.replace(/^sip:[^@]*@/i, 'sip:') }, 'room runs on another instance: caller redirected there');
  await deps.backend.redirect(inv.requestId, [contact]);
}
