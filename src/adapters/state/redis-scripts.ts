/**
 * Lua scripts: each is one atomic step on the key layout in redis-keys.ts. Replies are flat
 * arrays of strings: {status, rev, owner, epoch} (missing fields as '').
 * Numbers are compared as the decimal strings Redis stores them as.
 */

/**
 * PUT with compare-and-set.
 * KEYS: record, owner set of ARGV[3] (calls), owners set
 * ARGV: expect ('absent' | 'any' | revision), data, owner ('' for rooms), epoch, id
 */
export const PUT_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'rev', 'owner', 'epoch')
local rev, owner, epoch = cur[1], cur[2] or '', cur[3] or ''
local expect, isCall = ARGV[1], ARGV[3] ~= ''
if not rev then
  if expect ~= 'absent' and expect ~= 'any' then return {'missing', '', '', ''} end
  redis.call('HSET', KEYS[1], 'rev', 1, 'data', ARGV[2])
  if isCall then
    redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'epoch', ARGV[4])
    redis.call('SADD', KEYS[2], ARGV[5])
    redis.call('SADD', KEYS[3], ARGV[3])
  end
  return {'ok', '1', ARGV[3], ARGV[4]}
end
if expect == 'absent' then return {'exists', rev, owner, epoch} end
if isCall and (owner ~= ARGV[3] or epoch ~= ARGV[4]) then return {'fenced', rev, owner, epoch} end
if expect ~= 'any' and expect ~= rev then return {'conflict', rev, owner, epoch} end
local nrev = tonumber(rev) + 1
redis.call('HSET', KEYS[1], 'rev', nrev, 'data', ARGV[2])
return {'ok', tostring(nrev), owner, epoch}
`;

/**
 * REMOVE with compare-and-set (and fencing for calls).
 * KEYS: record, owner set of the fence owner, owners set
 * ARGV: expect ('any' | revision), fence owner ('' for rooms), fence epoch, id
 */
export const REMOVE_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'rev', 'owner', 'epoch')
local rev, owner, epoch = cur[1], cur[2] or '', cur[3] or ''
if not rev then return {'missing', '', '', ''} end
if ARGV[2] ~= '' and (owner ~= ARGV[2] or epoch ~= ARGV[3]) then return {'fenced', rev, owner, epoch} end
if ARGV[1] ~= 'any' and ARGV[1] ~= rev then return {'conflict', rev, owner, epoch} end
redis.call('DEL', KEYS[1])
if owner ~= '' then
  redis.call('SREM', KEYS[2], ARGV[4])
  if redis.call('SCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], owner) end
end
return {'ok', rev, owner, epoch}
`;

/**
 * CLAIM: the takeover step (DESIGN.md "State and takeover"). Compares owner AND epoch, sets
 * the new owner, epoch + 1, revision + 1, and moves the call between owner index sets, all
 * in one script so two claimers can never both win.
 * KEYS: record, owner set of ARGV[1], owner set of ARGV[3], owners set, instance key of ARGV[1]
 * ARGV: expected owner, expected epoch, new owner, id, only-if-owner-dead ('1' | '0')
 */
export const CLAIM_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'rev', 'owner', 'epoch')
local rev, owner, epoch = cur[1], cur[2] or '', cur[3] or ''
if not rev or owner == '' then return {'missing', '', '', ''} end
if owner ~= ARGV[1] or epoch ~= ARGV[2] then return {'lost', rev, owner, epoch} end
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[5]) == 1 then return {'owner-alive', rev, owner, epoch} end
local nepoch = tonumber(epoch) + 1
local nrev = tonumber(rev) + 1
redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'epoch', nepoch, 'rev', nrev)
redis.call('SREM', KEYS[2], ARGV[4])
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('SADD', KEYS[4], ARGV[3])
return {'won', tostring(nrev), ARGV[3], tostring(nepoch)}
`;

/**
 * REWRAP: replace the sealed text only if it is still exactly what rotation read. The
 * revision is NOT bumped: the content is unchanged, so live owners' CAS stays valid.
 * KEYS: record; ARGV: old data, new data
 */
export const REWRAP_LUA = `
if redis.call('HGET', KEYS[1], 'data') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'data', ARGV[2])
  return 1
end
return 0
`;

export type ScriptReply = [status: string, rev: string, owner: string, epoch: string];

export function isScriptReply(v: unknown): v is ScriptReply {
  return Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'string');
}

/**
 * CLAIM HOME of a room (RoomHomes.claimHome): keep a home whose instance still heartbeats, else
 * take it. The instance key is built from its id (not declared in KEYS: fine for one Redis,
 * needs a hash-tagged prefix on Redis Cluster like the other scripts).
 * KEYS: roomhome key
 * ARGV: claimer id, instance key prefix (e.g. "gh:instance:")
 */
export const CLAIM_HOME_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. cur) == 1 then return cur end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/**
 * LEAVE HOME: delete the room's home only if it is still the leaving instance.
 * KEYS: roomhome key
 * ARGV: instance id
 */
export const LEAVE_HOME_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;
