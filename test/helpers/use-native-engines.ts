/**
 * vitest setup file of the `native-engines` project (vitest.config.ts): the SRTP core's unit,
 * vector and libsrtp interop tests and the in-process media tests run a second time with the
 * native SRTP engine and the native media socket engine installed, the way `gatehouse start`
 * installs them (media.srtp_engine / media.socket_engine: auto). Fails loudly when the addons
 * are not built.
 */
import { loadNativeSrtp } from '../../src/adapters/media/native-srtp.ts';
import { selectSocketEngine } from '../../src/adapters/media/socket-engine.ts';
import { useNativeSrtp } from '../../src/core/srtp/native-binding.ts';

const BUILD = 'Build them: npm run build:native (needs gcc: apt-get install gcc libc6-dev)';
const loaded = loadNativeSrtp();
if (!loaded.ok) throw new Error(`native SRTP engine unavailable: ${loaded.reason}. ${BUILD}`);
useNativeSrtp(loaded.binding);
await selectSocketEngine('native').catch((err: unknown) => {
  throw new Error(`${(err as Error).message}. ${BUILD}`);
});
