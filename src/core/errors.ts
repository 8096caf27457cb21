/**
 * Error convention (DESIGN.md convention 5): every error carries a category, a stable `code`
 * that operators can grep and alert on, an optional `cause`, and the SIP status it maps to when
 * it ends a SIP transaction (null when it never reaches a SIP peer).
 */
export type ErrorCategory =
  | 'parse' // malformed input from a peer or file
  | 'config' // operator configuration is wrong
  | 'policy' // crypto/security policy refused something
  | 'protocol' // a peer broke protocol rules
  | 'capacity' // limits, admission control, rate limiting
  | 'state' // state store problems, fencing, conflicts
  | 'internal'; // a bug: should never happen

export interface GatehouseErrorOptions {
  readonly cause?: unknown;
  readonly sipStatus?: number | null;
  /** Text for a SIP `Warning` header / reason phrase; never contains secrets. */
  readonly sipReason?: string;
}

export class GatehouseError extends Error {
  readonly category: ErrorCategory;
  readonly code: string;
  readonly sipStatus: number | null;
  readonly sipReason: string | undefined;

  constructor(category: ErrorCategory, code: string, message: string, options: GatehouseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.category = category;
    this.code = code;
    this.sipStatus = options.sipStatus ?? null;
    this.sipReason = options.sipReason;
  }
}
