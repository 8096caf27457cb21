/**
 * The hand-written fast paths (bench-driven, test/bench/sdp.bench.ts) must behave exactly like
 * the straightforward versions they replaced: each property runs both on generated input and
 * compares results (or that both throw). The reference versions below are the previous code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRtpMap } from '../../../sdp/attributes.ts';
import type { AttributeLine, RtpMap } from '../../../sdp/attributes.ts';
import { encodeBase64, encodeBase64Portable } from '../../../sdp/base64.ts';
import { intersectEvents } from '../../../sdp/codecs.ts';
import { cryptoLines, parseSdp, SdpParseError } from '../../../sdp/index.ts';

function referenceRtpMap(a: AttributeLine): RtpMap | 'error' {
  const m = /^([0-9]{1,3})[ \t]+([^ \t/]+)\/([0-9]{1,10})(?:\/([0-9]{1,3}))?[ \t]*$/.exec(a.value);
  if (m === null) return 'error';
  const payloadType = Number(m[1]);
  const clockRate = Number(m[3]);
  const channels = m[4] === undefined ? undefined : Number(m[4]);
  if (payloadType > 127 || clockRate === 0 || channels === 0) return 'error';
  return { payloadType, encodingName: m[2] as string, clockRate, channels };
}

function referenceEvents(a: string, b: string): string | undefined {
  const set = (list: string): Set<number> | undefined => {
    const s = new Set<number>();
    for (const part of list.split(',')) {
      const m = /^\s*([0-9]{1,3})(?:-([0-9]{1,3}))?\s*$/.exec(part);
      if (m === null) return undefined;
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (hi < lo || hi > 255) return undefined;
      for (let e = lo; e <= hi; e++) s.add(e);
    }
    return s;
  };
  const ea = set(a);
  const eb = set(b);
  if (ea === undefined || eb === undefined) return undefined;
  const common = [...ea].filter((e) => eb.has(e)).sort((x, y) => x - y);
  const ranges: string[] = [];
  for (let i = 0; i < common.length; ) {
    let j = i;
    while (j + 1 < common.length && (common[j + 1] as number) === (common[j] as number) + 1) j++;
    ranges.push(i === j ? String(common[i]) : `${common[i]}-${common[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

const rtpmapText = fc.oneof(
  fc.string({ unit: fc.constantFrom('0', '1', '9', '2', '7', ' ', '\t', '/', 'a', 'P', '-', '.', ':'), maxLength: 24 }),
  fc.tuple(fc.nat(200), fc.constantFrom(' ', '\t', '  ', ''), fc.constantFrom('PCMU', 'opus', 'telephone-event', '', 'a b', 'x/y'), fc.nat(100000), fc.option(fc.nat(1200)), fc.constantFrom('', ' ', '\t ', 'x')).map(
    ([pt, sp, name, rate, ch, tail]) => `${pt}${sp}${name}/${rate}${ch === null ? '' : `/${ch}`}${tail}`,
  ),
);

const eventList = fc.oneof(
  fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '2', '-', ',', ' ', '\t', 'x'), maxLength: 16 }),
  fc.array(fc.tuple(fc.nat(300), fc.option(fc.nat(300))), { minLength: 1, maxLength: 5 }).map((parts) => parts.map(([lo, hi]) => (hi === null ? String(lo) : `${lo}-${hi}`)).join(',')),
);

describe('sdp fast paths match their reference versions', () => {
  it('parseRtpMap (scanner) accepts and returns exactly what the RFC 8866 6.6 regex did', () => {
    fc.assert(
      fc.property(rtpmapText, (value) => {
        const a = { name: 'rtpmap', value, lineNo: 3 };
        const want = referenceRtpMap(a);
        if (want === 'error') expect(() => parseRtpMap(a)).toThrow(SdpParseError);
        else expect(parseRtpMap(a)).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('intersectEvents (bit set) equals the set-based RFC 4733 7.1.1 intersection', () => {
    fc.assert(
      fc.property(eventList, eventList, (a, b) => {
        expect(intersectEvents(a, b)).toBe(referenceEvents(a, b));
      }),
      { numRuns: 2000 },
    );
    expect(intersectEvents('0-15', '0-16')).toBe('0-15');
    expect(intersectEvents('0-15,66,70', ' 10 - 12 ,66,70-255')).toBe(referenceEvents('0-15,66,70', ' 10 - 12 ,66,70-255'));
  });

  it('encodeBase64 (native) equals the portable RFC 4648 4 encoder, also for views into larger buffers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(8), (bytes, skip) => {
        const big = new Uint8Array(bytes.length + skip + 3);
        big.set(bytes, skip);
        const view = big.subarray(skip, skip + bytes.length);
        expect(encodeBase64(bytes)).toBe(encodeBase64Portable(bytes));
        expect(encodeBase64(view)).toBe(encodeBase64Portable(bytes));
      }),
    );
  });

  it('parseSdp still reports a CR or NUL inside a value with its line number (RFC 8866 5)', () => {
    for (const [text, line] of [
      ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=a\rb\r\n', 3],
      ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\r\n', 3],
      ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\u0000y\r\n', 3],
    ] as const) {
      let err: unknown;
      try {
        parseSdp(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SdpParseError);
      expect((err as SdpParseError).line).toBe(line);
    }
    expect(parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r').session.lines).toHaveLength(3);
  });

  it('cryptoLines is parsed once per parsed m= section and shared (frozen), fresh for hand-built sections', () => {
    const sdp = parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n');
    const m = sdp.media[0];
    if (m === undefined) throw new Error('no m= section');
    const first = cryptoLines(m);
    expect(cryptoLines(m)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const copy = { index: m.index, mLine: m.mLine, lines: m.lines };
    expect(cryptoLines(copy)).not.toBe(first);
    expect(cryptoLines(copy)).toEqual(first);
  });
});
