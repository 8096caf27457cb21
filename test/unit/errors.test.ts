import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../src/core/errors.ts';

describe('GatehouseError (DESIGN.md convention 5)', () => {
  it('carries category, stable code, cause and SIP mapping', () => {
    const cause = new Error('inner');
    const e = new GatehouseError('policy', 'POLICY_NO_SUITE', 'no acceptable suite', { cause, sipStatus: 488, sipReason: 'profile default: no suite' });
    expect(e).toBeInstanceOf(Error);
    expect(e.category).toBe('policy');
    expect(e.code).toBe('POLICY_NO_SUITE');
    expect(e.cause).toBe(cause);
    expect(e.sipStatus).toBe(488);
    expect(e.sipReason).toBe('profile default: no suite');
  });
  it('defaults to no SIP status', () => {
    expect(new GatehouseError('internal', 'X', 'x').sipStatus).toBeNull();
  });
});
