/**
 * Shared set-up for the join page tests: the bundle is built once per test file into a temp
 * directory (src/web/build.ts, the same code as `npm run build:web`), so these tests never
 * depend on a stale dist/web; and a logger that keeps lines for assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJoinServer } from '../../../src/adapters/http/join-server.ts';
import type { JoinServer, JoinServerOptions } from '../../../src/adapters/http/join-server.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { buildWeb } from '../../../src/web/build.ts';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

export function memoryLogger(lines: LogLine[] = []): Logger & { readonly lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

export interface WebFixture {
  readonly assetsDir: string;
  readonly logger: ReturnType<typeof memoryLogger>;
  start(options: Omit<JoinServerOptions, 'listen' | 'assetsDir'> & Partial<Pick<JoinServerOptions, 'listen'>>): Promise<JoinServer>;
  dispose(): Promise<void>;
}

export async function webFixture(): Promise<WebFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-web-'));
  const assetsDir = join(dir, 'web');
  await buildWeb(assetsDir);
  const logger = memoryLogger();
  const servers: JoinServer[] = [];
  return {
    assetsDir,
    logger,
    async start(options) {
      const s = await startJoinServer({ listen: { host: '127.0.0.1', port: 0, family: 4 }, assetsDir, ...options }, { logger });
      servers.push(s);
      return s;
    },
    async dispose() {
      await Promise.all(servers.map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
