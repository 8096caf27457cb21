import { defineConfig } from 'vitest/config';

// Integration tests start real processes (gatehouse, SIPp, redis-server); give them room but
// never let a hung peer stall CI for ever.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      // everything, SRTP on node:crypto in-process (gateway processes pick media.srtp_engine: auto)
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      // the SRTP core's own tests again on the native engine (native/srtp-crypto.c)
      {
        extends: true,
        test: {
          name: 'srtp-native',
          include: ['test/unit/srtp/**/*.test.ts', 'test/interop/srtp/srtp-libsrtp.test.ts', 'test/unit/media/**/*.test.ts'],
          setupFiles: ['test/helpers/use-native-srtp.ts'],
        },
      },
    ],
  },
});
