/**
 * vitest setup file of the `srtp-native` project (vitest.config.ts): the SRTP core's unit,
 * vector and libsrtp interop tests run a second time with the native engine installed, the way
 * `gatehouse start` installs it. Fails loudly when the addon is not built.
 */
import { loadNativeSrtp } from '../../src/adapters/media/native-srtp.ts';
import { useNativeSrtp } from '../../src/core/srtp/native-binding.ts';

const loaded = loadNativeSrtp();
if (!loaded.ok) throw new Error(`native SRTP engine unavailable: ${loaded.reason}. Build it: npm run build:native (needs gcc: apt-get install gcc libc6-dev)`);
useNativeSrtp(loaded.binding);
