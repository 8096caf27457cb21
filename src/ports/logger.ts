/**
 * Logging port: the subset of pino's API the rest of the code uses. The adapter behind it
 * (src/adapters/log) redacts secrets before anything is written; callers still never pass
 * keys, tokens, passwords or whole `a=crypto` lines on purpose.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
