/** Documented process exit codes (README "Exit codes"). */
export const EXIT = {
  /** Normal stop (SIGTERM drain finished, SIGINT, or a command succeeded). */
  ok: 0,
  /** Runtime failure: an unexpected error; the log line before exit says what. */
  failure: 1,
  /** Usage or configuration error: bad flag, env value, config key or secret reference. */
  usage: 2,
  /** Startup failure: a listener could not bind (address in use, permission) or similar. */
  startup: 3,
} as const;
