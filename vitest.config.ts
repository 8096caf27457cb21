import { defineConfig } from 'vitest/config';

// Integration tests start real processes (gatehouse, SIPp, redis-server); give them room but
// never let a hung peer stall CI for ever.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
