import { describe, expect, it } from 'vitest';
import { SdpParseError, parseSdp, serializeSdp } from '../../../sdp/index.ts';
import { crlf, deviceFixtureNames, loadFixture } from './fixtures.ts';

function parseError(text: string, limits?: Parameters<typeof parseSdp>[1]): SdpParseError {
  try {
    parseSdp(text, limits);
  } catch (e) {
    if (e instanceof SdpParseError) return e;
    throw e;
  }
  throw new Error('expected SdpParseError');
}

const MIN = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n';

describe('RFC 8866 parse/serialize of device fixtures', () => {
  for (const name of deviceFixtureNames()) {
    it(`${name}: CRLF input round-trips byte for byte (RFC 8866 5)`, () => {
      const f = loadFixture(name);
      expect(f.header.get('source')).toBeTruthy();
      const text = crlf(f.sdp);
      expect(serializeSdp(parseSdp(text))).toBe(text);
    });
    it(`${name}: LF input is accepted and serialized with CRLF (RFC 8866 5)`, () => {
      const f = loadFixture(name);
      expect(serializeSdp(parseSdp(f.sdp))).toBe(crlf(f.sdp));
    });
  }
});

describe('RFC 8866 structure', () => {
  it('splits session and media sections and keeps unknown lines in order', () => {
    const sdp = parseSdp(`${MIN}a=x-unknown:foo bar\r\nm=audio 4000 RTP/AVP 0\r\na=zzz\r\ny=odd-type\r\nm=video 0 RTP/AVP 31\r\n`);
    expect(sdp.session.lines.map((l) => l.type)).toEqual(['v', 'o', 's', 't', 'a']);
    expect(sdp.media).toHaveLength(2);
    expect(sdp.media[0]?.lines.map((l) => `${l.type}=${l.value}`)).toEqual(['m=audio 4000 RTP/AVP 0', 'a=zzz', 'y=odd-type']);
    expect(sdp.media[1]?.mLine).toEqual({ media: 'video', port: 0, portCount: undefined, proto: 'RTP/AVP', fmts: ['31'] });
    expect(sdp.origin).toEqual({ username: '-', sessionId: '1', sessionVersion: '1', netType: 'IN', addrType: 'IP4', address: '192.0.2.1' });
  });

  it('parses m= port count (RFC 8866 5.14)', () => {
    expect(parseSdp(`${MIN}m=video 49170/2 RTP/AVP 31\r\n`).media[0]?.mLine.portCount).toBe(2);
  });

  it('skips empty lines (trailing CRLFs from some devices)', () => {
    expect(parseSdp(`${MIN}\r\n\r\n`).session.lines).toHaveLength(4);
  });

  const bad: readonly [string, string, number | undefined, string][] = [
    ['empty input', '', undefined, "empty input (RFC 8866 5.1: 'v=0' required)"],
    ['first line not v=', 'o=- 1 1 IN IP4 a\r\n', 1, "first line must be 'v='"],
    ['v=1', 'v=1\r\n', 1, "unsupported protocol version (RFC 8866 5.1: 'v=0')"],
    ['line without =', `${MIN}garbage\r\n`, 5, "expected '<type>=<value>' with a lowercase letter type"],
    ['uppercase type', `${MIN}A=x\r\n`, 5, "expected '<type>=<value>' with a lowercase letter type"],
    ['NUL in value', `${MIN}a=x\0y\r\n`, 5, 'value contains CR or NUL'],
    ['bare CR in value', `${MIN}a=x\ry\r\n`, 5, 'value contains CR or NUL'],
    ['missing o=', 'v=0\r\ns=-\r\n', undefined, "missing 'o=' line (RFC 8866 5.2)"],
    ['missing s=', 'v=0\r\no=- 1 1 IN IP4 a\r\n', undefined, "missing 's=' line (RFC 8866 5.3)"],
    ['o= with 5 fields', 'v=0\r\no=- 1 IN IP4 a\r\n', 2, "'o=' needs 6 fields: username sess-id sess-version nettype addrtype address"],
    ['o= sess-id not digits', 'v=0\r\no=- x 1 IN IP4 a\r\n', 2, "'o=' sess-id must be digits"],
    ['two o=', `${MIN}o=- 1 1 IN IP4 a\r\n`, 5, "'o=' may appear only once"],
    ['m= before s=', 'v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\n', 3, "'m=' before 's='"],
    ['m= port too big', `${MIN}m=audio 70000 RTP/AVP 0\r\n`, 5, "'m=' port must be 0..65535"],
    ['m= without formats', `${MIN}m=audio 4000 RTP/AVP\r\n`, 5, "'m=' needs at least one format"],
    ['m= too short', `${MIN}m=audio 4000\r\n`, 5, "'m=' needs media, port and proto"],
    ['c= IP4 with IPv6 literal', `${MIN}c=IN IP4 ::1\r\n`, 5, "'c=' IP4 address contains ':'"],
    ['c= missing address', `${MIN}c=IN IP4\r\n`, 5, "'c=' needs nettype addrtype address"],
    ['s= in media', `${MIN}m=audio 1 RTP/AVP 0\r\ns=x\r\n`, 6, "'s=' inside a media section"],
  ];
  for (const [name, text, line, reason] of bad) {
    it(`rejects ${name} with line number and reason`, () => {
      const e = parseError(text);
      expect(e.reason).toBe(reason);
      expect(e.line).toBe(line);
      expect(e.category).toBe('parse');
      expect(e.sipStatus).toBe(400);
      expect(e.code).toBe('SDP_SYNTAX');
    });
  }

  it('enforces limits given as parameters', () => {
    expect(parseError(MIN, { maxLength: 10 }).code).toBe('SDP_LIMIT');
    const lines = parseError(MIN, { maxLines: 3 });
    expect([lines.code, lines.line]).toEqual(['SDP_LIMIT', 4]);
    expect(parseError(`${MIN}m=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\n`, { maxMedia: 1 }).reason).toBe('more than 1 media sections');
    expect(parseError(`${MIN}a=${'x'.repeat(50)}\r\n`, { maxLineLength: 40 }).reason).toBe('line longer than 40 characters');
  });

  it('never puts line content into the message (a=crypto keys)', () => {
    const e = parseError(`${MIN}m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:SECRETSECRETSECRET\0\r\n`);
    expect(e.message).not.toContain('SECRET');
    expect(e.message).toBe('SDP line 6: value contains CR or NUL');
  });
});
