/**
 * Loads the native SRTP primitives (native/srtp-crypto.c, built by `npm run build:native` into
 * dist/native/srtp-crypto.node), checks them against node:crypto, and installs them in the SRTP
 * core (`media.srtp_engine`).
 *
 *   auto    native when it loads and passes its self-test, else node:crypto, with a warning
 *           that says why and how to build it (both engines are the same cryptography; the
 *           native one is ~30x cheaper per packet, docs/srtp-performance.md)
 *   native  native or the gateway does not start
 *   node    node:crypto only
 *
 * The self-test runs every primitive on fixed inputs and compares the bytes with node:crypto
 * (AES-128/256-CTR, HMAC-SHA1 with and without ROC, AES-128/256-GCM seal and open, a forged tag
 * refused): an addon built against the wrong headers or a broken OpenSSL fails closed.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GatehouseError } from '../../core/errors.ts';
import { useNativeSrtp } from '../../core/srtp/native-binding.ts';
import type { SrtpNativeBinding } from '../../core/srtp/native-binding.ts';
import { srtpEngineInfo } from '../../metrics/media.ts';

export type SrtpEngineSetting = 'auto' | 'native' | 'node';

export const NATIVE_SRTP_PATH = fileURLToPath(new URL('../../../dist/native/srtp-crypto.node', import.meta.url));

export type NativeLoad = { readonly ok: true; readonly binding: SrtpNativeBinding } | { readonly ok: false; readonly reason: string };

export interface SrtpEngineChoice {
  readonly engine: 'native' | 'node';
  /** Why the native engine is not used (auto only). */
  readonly fallbackReason?: string;
  readonly openssl?: string;
}

export function loadNativeSrtp(path: string = NATIVE_SRTP_PATH): NativeLoad {
  let binding: SrtpNativeBinding;
  try {
    binding = createRequire(import.meta.url)(path) as SrtpNativeBinding;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'MODULE_NOT_FOUND' ? `${path} is not built (run \`npm run build:native\`; it needs a C compiler)` : `${path} does not load: ${e.message}`;
    return { ok: false, reason };
  }
  const failure = selfTest(binding);
  return failure === null ? { ok: true, binding } : { ok: false, reason: `${path} failed its self-test: ${failure}` };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17 + 7) & 0xff;
  return b;
}

/** null when every primitive matches node:crypto byte for byte, else what differed. */
export function selfTest(b: SrtpNativeBinding): string | null {
  try {
    const data = pattern(173, 1); // odd length: a partial last block
    for (const keyLength of [16, 32]) {
      const key = pattern(keyLength, keyLength);
      const iv16 = pattern(16, 3);
      iv16[14] = 0;
      iv16[15] = 0;
      const want = createCipheriv(keyLength === 16 ? 'aes-128-ctr' : 'aes-256-ctr', key, iv16).update(data);
      const got = Buffer.alloc(data.length);
      b.ctrXor(b.ctrNew(key), iv16, data, 0, got, 0, data.length);
      if (!got.equals(want)) return `AES-${keyLength * 8}-CTR keystream differs`;

      const iv12 = pattern(12, 5);
      const gcm = b.gcmNew(key);
      const c = createCipheriv(keyLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, iv12);
      c.setAAD(data.subarray(0, 12));
      const wantSealed = Buffer.concat([c.update(data.subarray(12)), c.final(), c.getAuthTag()]);
      const sealed = Buffer.alloc(data.length - 12 + 16);
      b.gcmSeal(gcm, iv12, data, 0, 12, data, 12, data.length - 12, sealed, 0);
      if (!sealed.equals(wantSealed)) return `AES-${keyLength * 8}-GCM seal differs`;
      const opened = Buffer.alloc(data.length - 12);
      if (!b.gcmOpen(gcm, iv12, data, 0, 12, sealed, 0, opened.length, sealed, opened.length, opened, 0)) return `AES-${keyLength * 8}-GCM open refused a valid tag`;
      if (!opened.equals(data.subarray(12))) return `AES-${keyLength * 8}-GCM open differs`;
      sealed[0] = (sealed[0] ?? 0) ^ 1;
      const untouched = Buffer.alloc(opened.length, 0xa5);
      if (b.gcmOpen(gcm, iv12, data, 0, 12, sealed, 0, opened.length, sealed, opened.length, untouched, 0)) return `AES-${keyLength * 8}-GCM open accepted a forged packet`;
      if (untouched.some((x) => x !== 0xa5)) return `AES-${keyLength * 8}-GCM open wrote plaintext of a forged packet`;
    }
    const authKey = pattern(20, 9);
    const mac = b.hmacNew(authKey);
    const roc = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const wantRoc = createHmac('sha1', authKey).update(data).update(roc).digest();
    const wantPlain = createHmac('sha1', authKey).update(data).digest();
    const tag = Buffer.alloc(20);
    b.hmacTag(mac, data, 0, data.length, 0xdeadbeef, tag, 0, 20);
    if (!tag.equals(wantRoc)) return 'HMAC-SHA1 with ROC differs';
    b.hmacTag(mac, data, 0, data.length, -1, tag, 0, 20);
    if (!tag.equals(wantPlain)) return 'HMAC-SHA1 differs';
    if (!b.hmacVerify(mac, data, 0, data.length, -1, wantPlain, 0, 10)) return 'HMAC-SHA1 verify refused a valid tag';
    wantPlain[3] = (wantPlain[3] ?? 0) ^ 0x80;
    if (b.hmacVerify(mac, data, 0, data.length, -1, wantPlain, 0, 10)) return 'HMAC-SHA1 verify accepted a forged tag';
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Applies `media.srtp_engine` for this process (before any SRTP session exists). Throws a config
 * error when `native` was asked for and is not usable.
 */
export function selectSrtpEngine(setting: SrtpEngineSetting, load: () => NativeLoad = () => loadNativeSrtp()): SrtpEngineChoice {
  if (setting === 'node') {
    useNativeSrtp(null);
    return record({ engine: 'node' });
  }
  const loaded = load();
  if (loaded.ok) {
    useNativeSrtp(loaded.binding);
    return record({ engine: 'native', openssl: loaded.binding.openssl });
  }
  if (setting === 'native') {
    throw new GatehouseError('config', 'SRTP_ENGINE_UNAVAILABLE', `media.srtp_engine: native is not usable: ${loaded.reason}; build it or set media.srtp_engine: auto|node`);
  }
  useNativeSrtp(null);
  return record({ engine: 'node', fallbackReason: loaded.reason });
}

function record(choice: SrtpEngineChoice): SrtpEngineChoice {
  srtpEngineInfo.reset();
  srtpEngineInfo.set({ engine: choice.engine }, 1);
  return choice;
}
