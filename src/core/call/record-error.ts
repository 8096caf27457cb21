import { GatehouseError } from '../errors.ts';

/**
 * Decoding/encoding errors of stored records (DESIGN.md convention 9). Stable codes:
 * - STATE_SCHEMA_VERSION_UNKNOWN: the stored record's `v` is not one this build understands
 *   (a newer instance wrote it, or garbage); never guessed at.
 * - STATE_RECORD_INVALID: the record fails its schema check (path of the first issue given).
 * - STATE_RECORD_MALFORMED: not JSON, or not the stored-document shape at all.
 * Messages name paths and versions only, never values (they may be secrets).
 */
export type RecordErrorCode = 'STATE_SCHEMA_VERSION_UNKNOWN' | 'STATE_RECORD_INVALID' | 'STATE_RECORD_MALFORMED';

export class RecordError extends GatehouseError {
  declare readonly code: RecordErrorCode;
  constructor(code: RecordErrorCode, message: string, cause?: unknown) {
    super('state', code, message, { cause, sipStatus: 500 });
    this.name = 'RecordError';
  }
}
