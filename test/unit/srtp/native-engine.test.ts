/**
 * The native engine (native/srtp-crypto.c) against the node:crypto engine: for every suite,
 * RTP and SRTCP, with and without MKI, in place and into a separate buffer, both engines must
 * produce the same bytes and accept each other's packets; forged packets are refused without
 * touching the caller's buffer. The RFC vectors and libsrtp interop run on the native engine in
 * the `native-engines` vitest project as well.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeSrtp } from '../../../src/adapters/media/native-srtp.ts';
import { createSrtpSession, SRTP_SUITE_NAMES } from '../../../src/core/srtp/index.ts';
import type { SrtpSession, SrtpSessionConfig, SrtpSuiteName } from '../../../src/core/srtp/index.ts';
import { nativeSrtp, useNativeSrtp } from '../../../src/core/srtp/native-binding.ts';
import type { SrtpNativeBinding } from '../../../src/core/srtp/native-binding.ts';
import { bytes, keysFor, rtcp, rtp } from './helpers.ts';

let binding: SrtpNativeBinding;
const before = nativeSrtp();

beforeAll(() => {
  const loaded = loadNativeSrtp();
  if (!loaded.ok) throw new Error(`${loaded.reason} (npm run build:native; needs gcc)`);
  binding = loaded.binding;
});

afterEach(() => useNativeSrtp(before));

function session(engine: 'native' | 'node', config: SrtpSessionConfig): SrtpSession {
  useNativeSrtp(engine === 'native' ? binding : null);
  return createSrtpSession(config);
}

function out(r: ReturnType<SrtpSession['protectRtp']>): Buffer {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}`);
  return Buffer.from(r.out.subarray(0, r.length));
}

const cases: Array<[SrtpSuiteName, boolean]> = SRTP_SUITE_NAMES.flatMap((s): Array<[SrtpSuiteName, boolean]> => [[s, false], [s, true]]);

describe.each(cases)('%s (MKI %s): native = node:crypto', (suite, withMki) => {
  const config = (): SrtpSessionConfig => ({ suite, ...keysFor(suite, 7), ...(withMki ? { mki: Buffer.from([0, 0, 0, 9]) } : {}) });

  it('SRTP: same protected bytes, each engine accepts the other, in place and out of place', () => {
    const n = { tx: session('native', config()), rx: session('native', config()) };
    const j = { tx: session('node', config()), rx: session('node', config()) };
    for (let seq = 65530; seq < 65546; seq++) {
      // across a ROC increment, payloads from 0 to 1,200 octets (partial blocks included)
      const plain = rtp(seq, 0x1234abcd, bytes((seq * 77) % 1201, seq));
      const a = out(n.tx.protectRtp(plain));
      const b = out(j.tx.protectRtp(plain));
      expect(a.equals(b)).toBe(true);
      expect(out(j.rx.unprotectRtp(a)).equals(plain)).toBe(true);
      // in place: the packet's own buffer is the output
      const inPlace = Buffer.from(b);
      const r = n.rx.unprotectRtp(inPlace, inPlace);
      expect(r.ok).toBe(true);
      expect(inPlace.subarray(0, plain.length).equals(plain)).toBe(true);
    }
  });

  it('SRTCP: same protected bytes, each engine accepts the other', () => {
    const n = { tx: session('native', config()), rx: session('native', config()) };
    const j = { tx: session('node', config()), rx: session('node', config()) };
    for (let i = 0; i < 20; i++) {
      const plain = rtcp(0x55aa55aa, i);
      const a = out(n.tx.protectRtcp(plain));
      const b = out(j.tx.protectRtcp(plain));
      expect(a.equals(b)).toBe(true);
      expect(out(n.rx.unprotectRtcp(b)).equals(plain)).toBe(true);
      expect(out(j.rx.unprotectRtcp(a)).equals(plain)).toBe(true);
    }
  });

  it('refuses a forged packet and leaves the buffer it was asked to write untouched', () => {
    const tx = session('native', config());
    const rx = session('native', config());
    const plain = rtp(100, 0x01020304, bytes(160, 3));
    const good = out(tx.protectRtp(plain));
    // header, payload and the tag's last octet (GCM puts the MKI after the tag, RFC 7714 s7)
    const tagEnd = good.length - 1 - (withMki && suite.startsWith('AEAD') ? 4 : 0);
    for (const at of [1, 13, tagEnd]) {
      const forged = Buffer.from(good);
      forged[at] = (forged[at] ?? 0) ^ 0x40;
      const copy = Buffer.from(forged);
      const r = rx.unprotectRtp(forged, forged);
      expect(r.ok ? 'ok' : r.reason).toBe('auth-failed');
      expect(forged.equals(copy)).toBe(true);
    }
    // the genuine packet still decrypts: nothing in the stream state moved
    expect(out(rx.unprotectRtp(good)).equals(plain)).toBe(true);
  });
});
