import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.ts';

// Known secrets pushed through every log path; none may appear in the output.
const SDES_KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'; // 40 chars base64 key||salt
const GCM_KEY = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dQ'; // unpadded
const PASSWORD = 'hunter2-redis-password';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.guest-join-token.sig';
const FILE_SECRET = 'kek-from-file-0123456789abcdef';
const ALL = [SDES_KEY, GCM_KEY, PASSWORD, TOKEN, FILE_SECRET];

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 4000 RTP/SAVP 0',
  `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${SDES_KEY}|2^20|1:4`,
  `a=crypto:2 AEAD_AES_256_GCM inline:${GCM_KEY}`,
  '',
].join('\r\n');

function capture(format: 'json' | 'pretty') {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', format, secrets: [FILE_SECRET], destination });
  return { logger, text: () => chunks.join('') };
}

function exercise(logger: ReturnType<typeof createLogger>): void {
  logger.info({ sdp: SDP }, 'offer received');
  logger.info({}, `raw offer ${SDP}`);
  logger.warn({ nested: { deeper: [{ masterKey: Buffer.from('secretbytes'), keySalt: SDES_KEY, salt: 'abc123salt' }] } }, 'ctx');
  logger.info({ url: `redis://gatehouse:${PASSWORD}@127.0.0.1:6379/0` }, 'connecting');
  logger.info({ password: PASSWORD, token: TOKEN, authorization: `Bearer ${TOKEN}` }, 'auth');
  logger.info({ header: `Authorization: Bearer ${TOKEN}` }, 'headers');
  logger.debug({ line: `password=${PASSWORD} token=${TOKEN}` }, 'kv');
  logger.error({ err: new Error(`decrypt failed for inline:${SDES_KEY} with ${FILE_SECRET}`) }, 'failure');
  logger.error({ err: new Error('outer', { cause: new Error(`cause password=${PASSWORD} key=${GCM_KEY}`) }) }, 'wrapped');
  logger.child({ callKey: SDES_KEY, peer: `inline:${GCM_KEY}` }).info({ kek: FILE_SECRET }, `child ${FILE_SECRET}`);
  logger.fatal({ token: TOKEN }, `fatal ${TOKEN.replace('eyJ', 'token=eyJ')}`);
}

describe('log redaction (issue 2: no key, salt, token or password ever logged)', () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`removes every known secret from ${format} output on every log path`, () => {
      const { logger, text } = capture(format);
      exercise(logger);
      const out = text();
      expect(out.length).toBeGreaterThan(500);
      for (const secret of ALL) expect(out).not.toContain(secret);
      // no full a=crypto line survives: tag and suite only
      expect(out).not.toMatch(/a=crypto:\d+ [A-Z0-9_]+ inline:[A-Za-z0-9+/]/);
      expect(out).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 [REDACTED]');
      // what is not secret stays useful
      expect(out).toContain('offer received');
      expect(out).toContain('127.0.0.1:6379');
      expect(out).toContain('decrypt failed');
    });
  }

  it('writes one JSON object per line with level, time and service', () => {
    const { logger, text } = capture('json');
    logger.info({ callId: 'abc' }, 'hello');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, service: 'gatehouse', callId: 'abc', msg: 'hello' });
    expect(typeof line.time).toBe('number');
  });

  it('keeps reference keys (key_file, password_env) readable: they name secrets, not hold them', () => {
    const { logger, text } = capture('json');
    logger.info({ key_file: '/run/secrets/tls.key', password_env: 'REDIS_PASSWORD' }, 'config');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line.key_file).toBe('/run/secrets/tls.key');
    expect(line.password_env).toBe('REDIS_PASSWORD');
  });
});
