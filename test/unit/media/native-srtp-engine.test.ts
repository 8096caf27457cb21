/**
 * media.srtp_engine: what each setting does when the native addon loads, does not load, or
 * fails its self-test against node:crypto; the metric says which engine runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeSrtp, selectSrtpEngine, selfTest } from '../../../src/adapters/media/native-srtp.ts';
import type { NativeLoad } from '../../../src/adapters/media/native-srtp.ts';
import { GatehouseError } from '../../../src/core/errors.ts';
import { nativeSrtp, srtpEngineName, useNativeSrtp } from '../../../src/core/srtp/native-binding.ts';
import type { SrtpNativeBinding } from '../../../src/core/srtp/native-binding.ts';
import { registry } from '../../../src/metrics/registry.ts';

const before = nativeSrtp();
afterEach(() => useNativeSrtp(before));

function real(): SrtpNativeBinding {
  const loaded = loadNativeSrtp();
  if (!loaded.ok) throw new Error(`${loaded.reason} (npm run build:native; needs gcc)`);
  return loaded.binding;
}

const missing: () => NativeLoad = () => ({ ok: false, reason: '/x/srtp-crypto.node is not built' });

async function engineMetric(): Promise<string> {
  return (await registry.getSingleMetricAsString('gatehouse_srtp_engine_info')).split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

describe('media.srtp_engine', () => {
  it('auto: the built addon passes its self-test and is installed', async () => {
    const choice = selectSrtpEngine('auto');
    expect(choice.engine).toBe('native');
    expect(choice.openssl).toMatch(/^OpenSSL 3\./);
    expect(srtpEngineName()).toBe('native');
    expect(await engineMetric()).toBe('gatehouse_srtp_engine_info{engine="native"} 1');
  });

  it('auto without the addon: node:crypto, and the reason to put in the warning', async () => {
    const choice = selectSrtpEngine('auto', missing);
    expect(choice).toEqual({ engine: 'node', fallbackReason: '/x/srtp-crypto.node is not built' });
    expect(srtpEngineName()).toBe('node');
    expect(await engineMetric()).toBe('gatehouse_srtp_engine_info{engine="node"} 1');
  });

  it('native without the addon: a config error naming the key, nothing installed', () => {
    useNativeSrtp(null);
    expect(() => selectSrtpEngine('native', missing)).toThrow(GatehouseError);
    expect(() => selectSrtpEngine('native', missing)).toThrow(/media\.srtp_engine: native is not usable: \/x\/srtp-crypto\.node is not built/);
    expect(srtpEngineName()).toBe('node');
  });

  it('node: node:crypto even when the addon is there', () => {
    expect(selectSrtpEngine('node', () => ({ ok: true, binding: real() })).engine).toBe('node');
    expect(srtpEngineName()).toBe('node');
  });

  it('the self-test catches an addon whose bytes differ from node:crypto', () => {
    const good = real();
    expect(selfTest(good)).toBeNull();
    const flipsCtr: SrtpNativeBinding = {
      ...good,
      ctrXor: (h, iv, src, so, dst, dof, len) => {
        good.ctrXor(h, iv, src, so, dst, dof, len);
        dst[dof] = (dst[dof] ?? 0) ^ 1;
      },
    };
    expect(selfTest(flipsCtr)).toBe('AES-128-CTR keystream differs');
    const acceptsAnything: SrtpNativeBinding = { ...good, gcmOpen: (...a) => (good.gcmOpen(...a), true) };
    expect(selfTest(acceptsAnything)).toBe('AES-128-GCM open accepted a forged packet');
    const weakVerify: SrtpNativeBinding = { ...good, hmacVerify: () => true };
    expect(selfTest(weakVerify)).toBe('HMAC-SHA1 verify accepted a forged tag');
  });

  it('an addon that is not there is reported as not built, with the command to build it', () => {
    const r = loadNativeSrtp('/nonexistent/srtp-crypto.node');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/not built \(run `npm run build:native`/);
  });
});
