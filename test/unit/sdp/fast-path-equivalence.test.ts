/**
 * Second round of bench-driven fast paths (test/bench/sdp.bench.ts, parse+policy+answer of a
 * SIP SDES offer): each must give exactly what the general path or the straightforward version
 * it replaced gives, errors included. References below are the previous code where the fast
 * path replaced it, or the module's own general path where the fast path only short-cuts it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributes, parseFmtp, parseRtcpFb, parseRtpMap } from '../../../sdp/attributes.ts';
import type { AttributeLine, Fmtp } from '../../../sdp/attributes.ts';
import { decodeBase64Lenient } from '../../../sdp/base64.ts';
import { offeredCodecs } from '../../../sdp/codecs.ts';
import type { OfferedCodec } from '../../../sdp/codecs.ts';
import { cryptoLines, parseCrypto, parseSdp, SdpParseError } from '../../../sdp/index.ts';
import type { MediaSection } from '../../../sdp/index.ts';

const HEAD = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';

/** Result or the SdpParseError's code, reason and line (anything else is a test failure). */
function outcome<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof SdpParseError) return { error: `${e.code} ${String(e.line)} ${e.reason}` };
    throw e;
  }
}

function referenceFmtp(a: AttributeLine): { format: string; raw: string; params: [string, string][] } | 'error' {
  const m = /^([^ \t]+)(?:[ \t]+(.*))?$/.exec(a.value);
  if (m === null || a.value.length === 0) return 'error';
  const raw = (m[2] ?? '').trim();
  const params = new Map<string, string>();
  for (const part of raw.split(';')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    if (eq === -1) params.set(p.toLowerCase(), '');
    else params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return { format: m[1] as string, raw, params: [...params] };
}

function referenceDecode(text: string): Uint8Array | undefined {
  let end = text.length;
  let pad = 0;
  while (end > 0 && text[end - 1] === '=' && pad < 2) {
    end--;
    pad++;
  }
  if (end === 0 || end % 4 === 1 || (pad > 0 && (end + pad) % 4 !== 0)) return undefined;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text.slice(0, end)) {
    const v = alphabet.indexOf(ch);
    if (v < 0 || ch.length !== 1) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** offeredCodecs as it was: attributes() per name, Maps, every rtpmap then fmtp then rtcp-fb parsed. */
function referenceCodecs(media: MediaSection): { pt: number; name: string; rate: number; ch: number; fmtp: string | undefined; fb: readonly string[] }[] {
  const maps = new Map(attributes(media, 'rtpmap').map(parseRtpMap).map((r) => [r.payloadType, r] as const));
  const fm = new Map(attributes(media, 'fmtp').map(parseFmtp).map((f) => [f.format, f] as const));
  const fbs = attributes(media, 'rtcp-fb').map(parseRtcpFb);
  const statics: Readonly<Record<number, readonly [string, number, number]>> = { 0: ['PCMU', 8000, 1], 8: ['PCMA', 8000, 1], 9: ['G722', 8000, 1], 18: ['G729', 8000, 1], 13: ['CN', 8000, 1], 34: ['H263', 90000, 1] };
  const out: ReturnType<typeof referenceCodecs> = [];
  const seen = new Set<number>();
  for (const fmt of media.mLine.fmts) {
    if (!/^[0-9]{1,3}$/.test(fmt) || Number(fmt) > 127 || seen.has(Number(fmt))) continue;
    const pt = Number(fmt);
    seen.add(pt);
    const r = maps.get(pt);
    const st = statics[pt];
    if (r === undefined && st === undefined) continue;
    const fb = [...fbs.filter((x) => x.payloadType === '*'), ...fbs.filter((x) => x.payloadType === pt)].map((x) => x.feedback);
    out.push({ pt, name: r?.encodingName ?? st?.[0] ?? '', rate: r?.clockRate ?? st?.[1] ?? 0, ch: r === undefined ? (st?.[2] ?? 1) : (r.channels ?? 1), fmtp: fm.get(fmt)?.raw, fb });
  }
  return out;
}

function codecsView(list: readonly OfferedCodec[]): ReturnType<typeof referenceCodecs> {
  return list.map((c) => ({ pt: c.payloadType, name: c.name, rate: c.clockRate, ch: c.channels, fmtp: c.fmtp?.raw, fb: [...c.rtcpFb] }));
}

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
const cryptoValue = fc.oneof(
  fc.string({ unit: fc.constantFrom('1', '0', ' ', '\t', '|', ';', ':', 'i', 'n', 'l', 'e', 'A', '_', 'W', 'V', '=', '+', '/', 'K', 'D', 'R', '-', 'é'), maxLength: 50 }),
  fc
    .tuple(
      fc.constantFrom('1', '2', '0', '007', '1234567890', 'x', ''),
      fc.constantFrom(' ', '  ', '\t'),
      fc.constantFrom('AES_CM_128_HMAC_SHA1_80', 'aead_aes_256_gcm', 'A-B', ''),
      fc.constantFrom(' ', ' \t'),
      fc.constantFrom('inline:', 'INLINE:', 'inline: ', 'inlinex:'),
      fc.constantFrom(KEY, `${KEY}==`, `${KEY}=`, `${KEY}===`, KEY.slice(0, 37), 'A'.repeat(300), '', '!'),
      fc.constantFrom('', '|2^20', '|1:4', ';inline:' + KEY, ' KDR=1', ' -X', ' '),
    )
    .map((parts) => parts.join('')),
);

/** Plain-shape values (one regex recognises them) that the general path accepts or refuses. */
const PLAIN_CASES = [
  `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
  `0 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
  `000 AEAD_AES_256_GCM inline:${KEY}`,
  `123456789 X inline:${KEY}==`,
  `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}=`,
  `1 AES_CM_128_HMAC_SHA1_80 inline:${'A'.repeat(256)}`,
  `1 AES_CM_128_HMAC_SHA1_80 inline:${'A'.repeat(257)}`,
  '1 AES_CM_128_HMAC_SHA1_80 inline:A',
  '1 AES_CM_128_HMAC_SHA1_80 inline:AB==',
];

describe('sdp fast paths (second round) match their general or previous versions', () => {
  it('parseCrypto: the plain-shape and in-place paths equal the general (normalising) path, errors included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...PLAIN_CASES), cryptoValue), (value) => {
        // A leading space sends the value through the general path; it changes no field.
        const general = outcome(() => parseCrypto(` ${value}`, 4));
        expect(outcome(() => parseCrypto(value, 4))).toEqual(general);
        const lines = cryptoLines(parseSdp(`${HEAD}m=audio 4000 RTP/SAVP 0\r\na=crypto:${value}\r\n`).media[0] as MediaSection);
        const l = lines[0];
        expect(l?.ok === true ? l.attribute : { error: `${l?.error.code} 7 ${l?.error.reason}` }).toEqual(general === undefined ? undefined : 'error' in general ? { error: general.error.replace(' 4 ', ' 7 ') } : general);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodeBase64Lenient on a range equals the reference decoder on the slice (RFC 4648 4, unpadded allowed)', () => {
    const b64 = fc.string({ unit: fc.constantFrom('A', 'Q', 'z', '0', '+', '/', '=', '-', ' ', 'é'), maxLength: 30 });
    fc.assert(
      fc.property(b64, fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), (text, pre, post) => {
        const want = referenceDecode(text);
        expect(decodeBase64Lenient(`${pre}${text}${post}`, pre.length, pre.length + text.length)).toEqual(want);
        expect(decodeBase64Lenient(text)).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseFmtp (scanner, parameters on first use) equals the RFC 8866 6.15 regex version', () => {
    const fmtpText = fc.string({ unit: fc.constantFrom('9', '6', ' ', '\t', 'a', 'p', 't', '=', ';', 'X', '\u2028', '\u00a0', '-'), maxLength: 20 });
    fc.assert(
      fc.property(fmtpText, (value) => {
        const want = referenceFmtp({ name: 'fmtp', value, lineNo: 2 });
        const got = outcome((): Fmtp => parseFmtp({ name: 'fmtp', value, lineNo: 2 }));
        if (want === 'error') expect(got).toEqual({ error: "SDP_ATTRIBUTE 2 malformed 'a=fmtp' (RFC 8866 6.15)" });
        else expect('error' in got ? got : { format: got.format, raw: got.raw, params: [...got.params] }).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('offeredCodecs (one scan, PT tables) equals the per-attribute Map version, errors included', () => {
    const line = fc.constantFrom(
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:96 opus/48000/2',
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:101 telephone-event/8000',
      'a=rtpmap:200 x/8000',
      'a=rtpmap:97 bad',
      'a=rtpmap',
      'a=fmtp:101 0-15',
      'a=fmtp:96 minptime=10;useinbandfec=1',
      'a=fmtp:',
      'a=fmtp:96 later=1',
      'a=rtcp-fb:* nack',
      'a=rtcp-fb:96 nack pli',
      'a=rtcp-fb:96',
      'a=rtcp-mux',
      'a=rtpmapx:1 y/1',
      'a=sendrecv',
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.subarray(['0', '8', '18', '96', '101', '97', '34', '96', '13', '200', 'x'], { minLength: 1 }), (lines, fmts) => {
        const text = `${HEAD}m=audio 4000 RTP/AVP ${fmts.join(' ')}\r\n${lines.map((l) => `${l}\r\n`).join('')}`;
        const m = parseSdp(text).media[0] as MediaSection;
        expect(outcome(() => codecsView(offeredCodecs(m)))).toEqual(outcome(() => referenceCodecs(m)));
        // The scratch tables are cleared after every call, also after a parse error.
        expect(outcome(() => codecsView(offeredCodecs(m)))).toEqual(outcome(() => referenceCodecs(m)));
      }),
      { numRuns: 2000 },
    );
  });

  it('parseSdp splits m=, o= and c= fields on single spaces exactly like the RFC 8866 run-of-blanks split', () => {
    const gap = fc.constantFrom(' ', '  ', '\t', ' \t ');
    fc.assert(
      fc.property(fc.array(fc.tuple(gap, fc.constantFrom('0', '8', '96', '101')), { minLength: 1, maxLength: 4 }), fc.constantFrom('', ' ', '\t'), (parts, tail) => {
        const line = `audio${parts.map(([g, f], i) => (i === 0 ? `${g}4000${g}RTP/AVP${g}${f}` : `${g}${f}`)).join('')}${tail}`;
        const fields = line.split(/[ \t]+/).filter((s) => s.length > 0);
        expect(parseSdp(`${HEAD}m=${line}\r\n`).media[0]?.mLine.fmts).toEqual(fields.slice(3));
      }),
    );
  });
});
