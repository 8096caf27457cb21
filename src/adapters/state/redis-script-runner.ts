import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * EVALSHA with an EVAL fallback on NOSCRIPT (a restarted or failed-over Redis has an empty
 * script cache). Same thing ioredis' defineCommand does, but typed.
 */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

export function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export async function runScript(client: Redis, script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return client.eval(script.lua, keys.length, ...keys, ...args);
    throw err;
  }
}
