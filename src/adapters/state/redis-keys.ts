/**
 * Redis key layout (prefix defaults to "gh:"; several deployments may share one Redis with
 * different prefixes):
 *
 *   <p>call:<callId>        HASH  rev    store revision (+1 per write/claim)
 *                                 owner  owning instance id
 *                                 epoch  fencing token (+1 per claim)
 *                                 data   sealed record text (stored-document.ts; secrets are
 *                                        AES-256-GCM sealed, owner/epoch not inside)
 *   <p>room:<roomId>        HASH  rev, data
 *   <p>roomhome:<roomId>    STRING instance id the room's media lives on (valid while that
 *                                  instance's heartbeat key exists; see RoomHomes)
 *   <p>owner:<instanceId>   SET   call ids owned by the instance (moved by the claim script)
 *   <p>owners               SET   instance ids that own at least one call (orphan scan)
 *   <p>instance:<id>        STRING sealed instance record, SET ... PX ttlMs (heartbeat)
 *   <p>instances            SET   instance ids that ever heartbeat (pruned lazily on list)
 *
 * Orphans: owners in <p>owners whose <p>instance:<id> key has expired.
 * All multi-key scripts touch only these keys; Redis Cluster would need a hash tag in the
 * prefix (e.g. "{gh}:"), which is supported by passing that prefix but not tested here.
 */
export interface RedisKeys {
  readonly prefix: string;
  call(id: string): string;
  room(id: string): string;
  record(kind: 'call' | 'room', id: string): string;
  roomHome(id: string): string;
  owner(instanceId: string): string;
  readonly owners: string;
  instance(id: string): string;
  readonly instances: string;
  /** SCAN pattern for one record kind (ids are escaped in glob syntax by never using them). */
  pattern(kind: 'call' | 'room'): string;
}

export function redisKeys(prefix = 'gh:'): RedisKeys {
  const globSafe = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  return {
    prefix,
    call: (id) => `${prefix}call:${id}`,
    room: (id) => `${prefix}room:${id}`,
    record: (kind, id) => `${prefix}${kind}:${id}`,
    roomHome: (id) => `${prefix}roomhome:${id}`,
    owner: (instanceId) => `${prefix}owner:${instanceId}`,
    owners: `${prefix}owners`,
    instance: (id) => `${prefix}instance:${id}`,
    instances: `${prefix}instances`,
    pattern: (kind) => `${globSafe}${kind}:*`,
  };
}
