/** Test-side raw access to Redis (a plain ioredis client), for checks the store must not influence. */
import { Redis } from 'ioredis';

export function rawClient(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Every value under a prefix, whatever its type, as bytes. */
export async function allValues(client: Redis, match = '*'): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next.toString();
    for (const key of keys) {
      out.push(key);
      const type = await client.type(key);
      if (type === 'string') out.push((await client.getBuffer(key)) ?? Buffer.alloc(0));
      else if (type === 'hash') out.push(...Object.values(await client.hgetallBuffer(key)));
      else if (type === 'set') out.push(...(await client.smembersBuffer(key)));
      else throw new Error(`unexpected key type ${type}`);
    }
  } while (cursor !== '0');
  return out;
}

/** Polls until `check` is true (a wait, not a timing assertion); fails after `limitMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
