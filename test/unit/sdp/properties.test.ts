import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SdpParseError,
  candidates,
  connection,
  cryptoLines,
  direction,
  fingerprints,
  groups,
  iceOptions,
  icePwd,
  iceUfrag,
  mid,
  negotiate,
  offeredCodecs,
  parseCrypto,
  parseSdp,
  ptime,
  rtcp,
  securityOffers,
  serializeCrypto,
  serializeSdp,
  setup,
  ssrcGroups,
  ssrcs,
} from '../../../sdp/index.ts';
import type { CryptoAttribute, CryptoSessionParam, SessionDescription } from '../../../sdp/index.ts';
import { crlf, deviceFixtureNames, loadFixture } from './fixtures.ts';
import { SIP_CAPS, WEBRTC_CAPS, testPolicy } from './test-policy.ts';

/** DESIGN.md convention 8: the parser throws only its own error; parse -> serialize is stable. */

const FIXTURES = deviceFixtureNames().map((n) => crlf(loadFixture(n).sdp));

/** Parse and touch every typed accessor and the offer/answer engine. */
function exercise(text: string): void {
  const sdp = parseSdp(text);
  groups(sdp);
  connection(sdp);
  for (const m of sdp.media) {
    direction(sdp, m);
    connection(sdp, m);
    mid(m);
    rtcp(m);
    ptime(m);
    ssrcs(m);
    ssrcGroups(m);
    candidates(m);
    iceUfrag(sdp, m);
    icePwd(sdp, m);
    iceOptions(sdp, m);
    fingerprints(sdp, m);
    setup(sdp, m);
    cryptoLines(m);
    offeredCodecs(m);
  }
  securityOffers(sdp);
  negotiate(sdp, SIP_CAPS, testPolicy({ suites: ['AES_CM_128_HMAC_SHA1_80'], allowPlain: true }));
  negotiate(sdp, WEBRTC_CAPS, testPolicy({ suites: ['AEAD_AES_256_GCM'], allowPlain: false }));
}

function onlySdpParseError(text: string): boolean {
  try {
    exercise(text);
    return true;
  } catch (e) {
    if (e instanceof SdpParseError) return true;
    throw e;
  }
}

const sdpChar = fc.constantFrom('v', 'o', 's', 'm', 'a', 'c', 't', '=', ':', ' ', '/', '\r', '\n', '\t', '0', '1', '9', '-', 'x', '\0', '*', ';', '|', 'é');

/** Line-level and character-level mutations of real SDP. */
const mutated = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), to: fc.nat() }),
        fc.record({ op: fc.constant('insertChars' as const), at: fc.nat(), text: fc.string({ unit: sdpChar, maxLength: 8 }) }),
        fc.record({ op: fc.constant('replaceLine' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
        fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('swapField' as const), at: fc.nat(), text: fc.constantFrom('0', '65536', '-1', '', 'a', '99999999999', '2^99', '1:200', 'inline:', '*', ':::') }),
      ),
      { minLength: 1, maxLength: 5 },
    ),
  )
  .map(([base, ops]) => {
    let lines = base.split('\r\n');
    let text = base;
    for (const op of ops) {
      const i = lines.length === 0 ? 0 : op.at % lines.length;
      switch (op.op) {
        case 'delete':
          lines.splice(i, 1);
          break;
        case 'duplicate':
          lines.splice(op.to % (lines.length + 1), 0, lines[i] ?? '');
          break;
        case 'replaceLine':
          lines[i] = op.text;
          break;
        case 'swapField': {
          const f = (lines[i] ?? '').split(' ');
          f[op.at % Math.max(1, f.length)] = op.text;
          lines[i] = f.join(' ');
          break;
        }
        case 'insertChars': {
          text = lines.join('\r\n');
          const p = op.at % (text.length + 1);
          lines = (text.slice(0, p) + op.text + text.slice(p)).split('\r\n');
          break;
        }
        case 'truncate':
          text = lines.join('\r\n');
          lines = text.slice(0, op.at % (text.length + 1)).split('\r\n');
          break;
      }
    }
    return lines.join('\r\n');
  });

function lines(sdp: SessionDescription): string[] {
  return [...sdp.session.lines, ...sdp.media.flatMap((m) => m.lines)].map((l) => `${l.type}=${l.value}`);
}

describe('property: the SDP parser throws nothing but SdpParseError (DESIGN.md convention 8)', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), onlySdpParseError), { numRuns: 1000 });
  });
  it('on arbitrary strings over the SDP alphabet, with a valid head', () => {
    fc.assert(fc.property(fc.string({ unit: sdpChar, maxLength: 300 }), (s) => onlySdpParseError(`v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\n${s}`)), { numRuns: 1000 });
  });
  it('on mutated real-device SDPs', () => {
    fc.assert(fc.property(mutated, onlySdpParseError), { numRuns: 1500 });
  });
});

describe('property: parse -> serialize -> parse is stable', () => {
  it('on mutated real-device SDPs that still parse: same lines, and byte-identical once canonical', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        let first: SessionDescription;
        try {
          first = parseSdp(text);
        } catch (e) {
          if (e instanceof SdpParseError) return true;
          throw e;
        }
        const canonical = serializeSdp(first);
        const second = parseSdp(canonical);
        expect(lines(second)).toEqual(lines(first));
        expect(second.media.map((m) => m.mLine)).toEqual(first.media.map((m) => m.mLine));
        expect(second.origin).toEqual(first.origin);
        expect(serializeSdp(second)).toBe(canonical);
        return true;
      }),
      { numRuns: 1500 },
    );
  });
});

const keyParam = fc.record(
  {
    method: fc.constant('inline' as const),
    keySalt: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    lifetime: fc.oneof(fc.integer({ min: 0, max: 64 }).map((e) => 1n << BigInt(e)), fc.bigInt({ min: 1n, max: 1n << 64n })),
    mki: fc.integer({ min: 1, max: 8 }).chain((length) => fc.record({ value: fc.bigInt({ min: 0n, max: (1n << BigInt(8 * length)) - 1n }), length: fc.constant(length) })),
  },
  { requiredKeys: ['method', 'keySalt'] },
);
const sessionParam: fc.Arbitrary<CryptoSessionParam> = fc.oneof(
  fc.constantFrom<CryptoSessionParam>({ kind: 'UNENCRYPTED_SRTP' }, { kind: 'UNENCRYPTED_SRTCP' }, { kind: 'UNAUTHENTICATED_SRTP' }),
  fc.integer({ min: 0, max: 24 }).map((value): CryptoSessionParam => ({ kind: 'KDR', value })),
  fc.constantFrom<CryptoSessionParam>({ kind: 'FEC_ORDER', value: 'FEC_SRTP' }, { kind: 'FEC_ORDER', value: 'SRTP_FEC' }),
  fc.array(keyParam, { minLength: 1, maxLength: 2 }).map((keyParams): CryptoSessionParam => ({ kind: 'FEC_KEY', keyParams })),
  fc.integer({ min: 64, max: 100000 }).map((value): CryptoSessionParam => ({ kind: 'WSH', value })),
  fc.stringMatching(/^-[A-Z_]{1,8}(=[0-9a-z]{1,4})?$/).map((text): CryptoSessionParam => ({ kind: 'unknown', text })),
);
const cryptoAttr: fc.Arbitrary<CryptoAttribute> = fc.record({
  tag: fc.integer({ min: 1, max: 999999999 }),
  suite: fc.stringMatching(/^[A-Za-z0-9_]{1,30}$/),
  keyParams: fc.array(keyParam, { minLength: 1, maxLength: 3 }),
  sessionParams: fc.array(sessionParam, { maxLength: 4 }),
});

describe('property: a=crypto (RFC 4568)', () => {
  it('parseCrypto throws nothing but SdpParseError', () => {
    const unit = fc.constantFrom('1', '2', '^', '|', ':', ';', ' ', '\t', 'inline', 'A', '/', '+', '=', 'KDR', 'WSH', 'FEC_KEY', '_', '-', '\0');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit, maxLength: 60 })), (s) => {
        try {
          parseCrypto(s, 1);
        } catch (e) {
          if (!(e instanceof SdpParseError)) throw e;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
  it('serialize -> parse -> serialize is stable and loses nothing', () => {
    fc.assert(
      fc.property(cryptoAttr, (c) => {
        const text = serializeCrypto(c);
        const back = parseCrypto(text);
        expect(serializeCrypto(back)).toBe(text);
        expect(back.tag).toBe(c.tag);
        expect(back.keyParams.map((k) => [Array.from(k.keySalt), k.lifetime, k.mki])).toEqual(c.keyParams.map((k) => [Array.from(k.keySalt), k.lifetime, k.mki]));
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
