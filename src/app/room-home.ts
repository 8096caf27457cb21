/**
 * The call layer's side of room homes (RoomHomes in src/ports/state-store.ts): a room is relayed
 * or mixed in one process, so the instance that runs a room's media claims its home in the store
 * and clears it when the room ends here; takeover and guests follow it (issue 7).
 */
import { roomSplits } from '../metrics/calls.ts';
import type { CallServiceDeps } from './call-service.ts';

type HomeDeps = Pick<CallServiceDeps, 'homes' | 'instanceId' | 'logger'>;

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
