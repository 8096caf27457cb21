/**
 * pino logger behind the Logger port. Every path a value can take into a line — the merged
 * object, the message string, printf-style arguments, child bindings, errors — goes through the
 * Redactor first (see redact.ts). JSON to stdout by default; `pretty` for humans at a terminal.
 */
import type { Writable } from 'node:stream';
import { pino, type DestinationStream, type LevelWithSilent, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../../ports/logger.ts';
import { Redactor } from './redact.ts';

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly format: 'json' | 'pretty';
  /** Exact secret values to scrub (from resolved *_file / *_env references). */
  readonly secrets?: readonly string[];
  /** Where lines go; stdout when omitted. Tests pass a memory stream. */
  readonly destination?: DestinationStream | Writable;
}

export type GatehouseLogger = Logger & { fatal(obj: object, msg?: string): void; flush(): void };

export function createLogger(options: LoggerOptions): GatehouseLogger {
  const redactor = new Redactor(options.secrets ?? []);
  const destination =
    options.format === 'pretty'
      ? pretty({ colorize: false, sync: true, destination: (options.destination as Writable | undefined) ?? 1 })
      : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  const root = pino(
    {
      level: options.level,
      base: { service: 'gatehouse' },
      messageKey: 'msg',
      formatters: {
        log: (obj) => redactor.value(obj) as Record<string, unknown>,
      },
      serializers: { err: (e: unknown) => (e instanceof Error ? redactor.error(e) : redactor.value(e)) },
      hooks: {
        // the message and any printf-style arguments are strings pino never shows formatters
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? redactor.string(a) : a));
          return method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    destination as DestinationStream,
  );
  return guardChildren(root, redactor) as unknown as GatehouseLogger;
}

/**
 * pino serializes child bindings once, when the child is made, without passing them through
 * `formatters.log`; so bindings are redacted here, for children of children too.
 */
function guardChildren(logger: PinoLogger, redactor: Redactor): PinoLogger {
  const makeChild = logger.child.bind(logger);
  logger.child = ((bindings: Record<string, unknown>, opts?: object) =>
    guardChildren(makeChild(redactor.value(bindings) as Record<string, unknown>, opts), redactor)) as unknown as PinoLogger["child"];
  return logger;
}
