import { describe, expect, it } from 'vitest';
import { isUnavailable, parseRedisUrl, redisOptions, stateError } from '../../../src/adapters/state/redis-connection.ts';
import { StateUnavailableError } from '../../../src/ports/state-store.ts';

const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });

describe('Redis connection options and outage classification', () => {
  it('parses redis:// and rediss:// URLs with ACL user, password and db', () => {
    expect(parseRedisUrl('redis://gate%20house:p%40ss@10.0.0.5:6380/3')).toEqual({ host: '10.0.0.5', port: 6380, db: 3, username: 'gate house', password: 'p@ss', tls: false });
    expect(parseRedisUrl('rediss://:pw@[::1]')).toEqual({ host: '::1', password: 'pw', tls: true });
    const code = (u: string): string => {
      try {
        parseRedisUrl(u);
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code('http://x')).toBe('STATE_BAD_URL');
    expect(code('redis://x/abc')).toBe('STATE_BAD_URL');
    expect(code('not a url')).toBe('STATE_BAD_URL');
  });

  it('sets the fail-fast policy and merges explicit credentials over the URL', () => {
    const o = redisOptions({ url: 'rediss://u:p@h:1/2', username: 'acl', commandTimeoutMs: 250, tls: { servername: 'h' } });
    expect(o).toMatchObject({ host: 'h', port: 1, db: 2, username: 'acl', password: 'p', tls: { servername: 'h' }, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, commandTimeout: 250, lazyConnect: true });
  });

  it('passes Sentinel settings to ioredis', () => {
    const o = redisOptions({ url: 'redis://:masterpw@ignored/1', sentinel: { name: 'gh', sentinels: [{ host: '127.0.0.1', port: 26379 }], password: 'spw' } });
    expect(o).toMatchObject({ name: 'gh', sentinels: [{ host: '127.0.0.1', port: 26379 }], sentinelPassword: 'spw', password: 'masterpw', db: 1 });
    expect(o).not.toHaveProperty('host');
  });

  it('classifies errors: connection trouble and failover replies are "unavailable" (503)', () => {
    for (const e of [new Error("Stream isn't writeable and enableOfflineQueue options is false"), new Error('Command timed out'), reply('LOADING Redis is loading'), reply('READONLY You can\'t write against a read only replica.')]) {
      expect(isUnavailable(e)).toBe(true);
      expect(stateError('get', e)).toBeInstanceOf(StateUnavailableError);
    }
    expect(stateError('get', reply('WRONGPASS invalid username-password pair'))).toMatchObject({ code: 'STATE_AUTH_FAILED', category: 'config' });
    expect(stateError('get', reply('WRONGTYPE Operation against a key'))).toMatchObject({ code: 'STATE_BACKEND_ERROR', category: 'state' });
  });
});
