import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CryptoAttribute, CryptoKeyParam, CryptoSessionParam } from '../../../sdp/crypto-attribute.ts';
import { parseSdp } from '../../../sdp/index.ts';
import type { MediaOffer } from '../../../crypto-policy/media-offer.ts';
import { mediaOffersFromSdp } from '../../../crypto-policy/sdp-bridge.ts';
import type { Rng } from '../../../crypto-policy/sdes-select.ts';
import { loadFixture as loadSharedFixture } from '../sdp/fixtures.ts';

/** Fixtures of this directory: `# key: value` header lines citing the source, then the SDP. */
export const OWN_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function ownFixture(name: string): { header: Map<string, string>; sdp: string } {
  const lines = readFileSync(join(OWN_FIXTURES, name), 'utf8').split('\n');
  const header = new Map<string, string>();
  let i = 0;
  for (; i < lines.length && (lines[i] ?? '').startsWith('#'); i++) {
    const m = /^#\s*([a-z-]+):\s*(.*)$/.exec(lines[i] ?? '');
    if (m) header.set(m[1] as string, m[2] as string);
  }
  return { header, sdp: lines.slice(i).join('\r\n') };
}

/** SDP text of a fixture from test/fixtures/sdp (shared with sdp/) or from ./fixtures. */
export function fixtureSdp(name: string): string {
  if (name.startsWith('own:')) return ownFixture(name.slice(4)).sdp;
  return loadSharedFixture(name).sdp.replace(/\r?\n/g, '\r\n');
}

export function offersFromFixture(name: string): MediaOffer[] {
  return mediaOffersFromSdp(parseSdp(fixtureSdp(name)));
}

/** Deterministic "CSPRNG" for tests: bytes 1, 2, 3, ... so generated keys are predictable. */
export const countingRng: Rng = (n) => Uint8Array.from({ length: n }, (_, i) => (i + 1) & 0xff);

export function key(length: number, fill = 7): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export function crypto(tag: number, suite: string, keyLength: number, opts: { lifetime?: bigint; mki?: { value: bigint; length: number }; params?: CryptoSessionParam[]; keys?: CryptoKeyParam[] } = {}): CryptoAttribute {
  const kp: CryptoKeyParam = {
    method: 'inline',
    keySalt: key(keyLength, tag),
    ...(opts.lifetime === undefined ? {} : { lifetime: opts.lifetime }),
    ...(opts.mki === undefined ? {} : { mki: opts.mki }),
  };
  return { tag, suite, keyParams: opts.keys ?? [kp], sessionParams: opts.params ?? [] };
}

export function media(partial: Partial<MediaOffer> & Pick<MediaOffer, 'proto'>): MediaOffer {
  return {
    index: 0,
    kind: 'audio',
    port: 4000,
    formats: ['0'],
    crypto: [],
    malformedCrypto: [],
    fingerprints: [],
    setup: null,
    ...partial,
  };
}
