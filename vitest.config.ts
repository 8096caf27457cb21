import { configDefaults, defineConfig } from 'vitest/config';

// Integration tests start real processes (gatehouse, SIPp, redis-server); give them room but
// never let a hung peer stall CI for ever.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      // everything, in-process SRTP on node:crypto and media sockets on node:dgram (the gateway
      // processes the tests start pick media.srtp_engine / media.socket_engine: auto, so native)
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'] } },
      // the SRTP core's own tests and the in-process media tests again on the native engines
      // (native/srtp-crypto.c, native/media-udp.c)
      {
        extends: true,
        test: {
          name: 'native-engines',
          include: [
            'test/unit/srtp/**/*.test.ts',
            'test/interop/srtp/srtp-libsrtp.test.ts',
            'test/unit/media/**/*.test.ts',
            'test/integration/media/**/*.test.ts',
            'test/integration/webrtc/dtls-udp-leg.test.ts',
            'test/integration/takeover/sdes-resume-roc.test.ts',
            'test/integration/takeover/dtls-resume-leg.test.ts',
          ],
          // engine selection itself is tested in a process where no engine was loaded yet
          exclude: [...configDefaults.exclude, 'test/unit/media/socket-engine.test.ts'],
          setupFiles: ['test/helpers/use-native-engines.ts'],
        },
      },
    ],
  },
});
