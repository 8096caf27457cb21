import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createErrorResponse, formatUri, getCallId, getContacts, getContentLength, getContentType, getCSeq, getFrom,
  getHeader, getHeaderValues, getMaxForwards, getParam, getProxyRequire, getRequire, getRoutes, getTo, getVias,
  parseMessage, serializeMessage, SipParseError, viaBranch, type SipMessage, type SipParseReason, type SipRequest,
  type SipResponse, type SipUri, type Uri,
} from '../../../src/core/sip/index.ts';

/**
 * RFC 4475 "SIP Torture Test Messages". Each fixture is the bit-exact message of RFC 4475
 * Appendix B, named after the RFC's file name (wsinv.dat -> wsinv.sip).
 */
const DIR = new URL('../../fixtures/sip/rfc4475/', import.meta.url);
const load = (name: string): Uint8Array => readFileSync(new URL(`${name}.sip`, DIR));
const req = (m: SipMessage): SipRequest => {
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
};
const res = (m: SipMessage): SipResponse => {
  if (m.kind !== 'response') throw new Error('expected a response');
  return m;
};
const sip = (u: Uri): SipUri => {
  if (u.kind !== 'sip') throw new Error('expected a SIP URI');
  return u;
};
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

interface ValidCase {
  readonly file: string;
  readonly section: string;
  readonly title: string;
  readonly check: (m: SipMessage) => void;
}

interface InvalidCase {
  readonly file: string;
  readonly section: string;
  readonly title: string;
  readonly reason: SipParseReason;
  readonly status: number;
  /** Whether a 400/505 can be sent back (a request whose Via parsed). */
  readonly routable: boolean;
  /** Why this outcome (RFC text). */
  readonly why: string;
}

const valid: ValidCase[] = [
  { file: 'wsinv', section: '3.1.1.1', title: 'A Short Tortuous INVITE', check: (m) => {
    const r = req(m);
    expect(r.method).toBe('INVITE');
    expect(sip(r.uri).user).toBe('vivekg');
    expect(sip(r.uri).params).toEqual([{ name: 'unknownparam', value: null }]);
    expect(getParam(getTo(m).params, 'tag')).toBe('1918181833n');
    expect(getFrom(m).displayName).toBe('J Rosenberg \\"');
    expect(getParam(getFrom(m).params, 'tag')).toBe('98asjd8');
    expect(getMaxForwards(m)).toBe(68);
    expect(getCallId(m)).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(getCSeq(m)).toEqual({ seq: 9, method: 'INVITE' });
    const vias = getVias(m);
    expect(vias.map((v) => [v.transport, v.host, viaBranch(v)])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'], ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'], ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(getHeader(m, 'Subject')).toBe('');
    expect(getHeader(m, 'newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(getHeader(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(getRoutes(m).map((r) => formatUri(r.uri))).toEqual(['sip:services.example.com;lr;unknownwith=value;unknown-no-value']);
    const c = getContacts(m);
    expect(c).not.toBe('*');
    if (c === '*') return;
    expect(c[0]?.displayName).toBe('Quoted string ""');
    expect(c[0]?.params).toEqual([{ name: 'newparam', value: 'newvalue' }, { name: 'secondparam', value: null }, { name: 'q', value: '0.33' }]);
    expect(m.body.length).toBe(150);
  } },
  { file: 'intmeth', section: '3.1.1.2', title: 'Wide Range of Valid Characters', check: (m) => {
    const r = req(m);
    expect(r.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    const u = sip(r.uri);
    expect(u.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(u.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(u.host).toBe('example.com');
    expect(viaBranch(getVias(m)[0]!)).toBe("z9hG4bK-.!%66*_+`'~");
    expect(getTo(m).displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(getFrom(m).displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(getParam(getFrom(m).params, "fromParam''~+*_!.-%")).toBe('"работающий"');
    expect(getParam(getFrom(m).params, 'tag')).toBe("_token~1'+`*%!-.");
    expect(getCallId(m)).toBe("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    expect(getCSeq(m).seq).toBe(139122385);
    expect(getHeader(m, "extensionHeader-!.%*+_`'~")).toBe('\uFEFF大停電');
  } },
  { file: 'esc01', section: '3.1.1.3', title: 'Valid Use of the % Escaping Mechanism', check: (m) => {
    expect(sip(req(m).uri).user).toBe('sips:user@example.com');
    expect(sip(getTo(m).uri).user).toBe('user');
    expect(sip(getFrom(m).uri).user).toBe('I have spaces');
    const c = getContacts(m);
    if (c === '*') throw new Error('wildcard');
    expect(sip(c[0]!.uri).user).toBe('caller');
    expect(sip(c[0]!.uri).params).toEqual([{ name: 'lr', value: null }, { name: 'name', value: 'value%41' }]);
  } },
  { file: 'escnull', section: '3.1.1.4', title: 'Escaped Nulls in URIs', check: (m) => {
    expect(sip(getTo(m).uri).user).toBe('null-\x00-null');
    const c = getContacts(m);
    if (c === '*') throw new Error('wildcard');
    expect(c.map((x) => sip(x.uri).user)).toEqual(['\x00', '\x00\x00']);
    expect(formatUri(c[1]!.uri)).toBe('sip:%00%00@host5.example.com');
  } },
  { file: 'esc02', section: '3.1.1.5', title: 'Use of % When It Is Not an Escape', check: (m) => {
    expect(req(m).method).toBe('RE%47IST%45R'); // not REGISTER: methods are not unescaped
    expect(getTo(m).displayName).toBe('%Z%45');
    const c = getContacts(m);
    if (c === '*') throw new Error('wildcard');
    expect(c.map((x) => formatUri(x.uri))).toEqual(['sip:alias1@host1.example.com', 'sip:alias3@host3.example.com']);
    expect(getHeader(m, 'C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(viaBranch(getVias(m)[0]!)).toBe('z9hG4bK209%fzsnel234');
  } },
  { file: 'lwsdisp', section: '3.1.1.6', title: 'Message with No LWS between Display Name and <', check: (m) => {
    expect(getFrom(m).displayName).toBe('caller');
    expect(formatUri(getFrom(m).uri)).toBe('sip:caller@example.com');
  } },
  { file: 'longreq', section: '3.1.1.7', title: 'Long Values in Header Fields', check: (m) => {
    expect(getTo(m).displayName).toContain('extremeextreme');
    expect(sip(getTo(m).uri).port).toBe(6000);
    expect(getParam(getFrom(m).params, 'tag')?.length).toBe(155);
    expect(getVias(m)[33]?.host).toBe('host.example.com');
    expect(getVias(m)).toHaveLength(34);
    expect(getCallId(m)).toMatch(/^longreq\.one(really){20}longcallid$/);
  } },
  { file: 'dblreq', section: '3.1.1.8', title: 'Extra Trailing Octets in a UDP Datagram', check: (m) => {
    expect(req(m).method).toBe('REGISTER');
    expect(getCallId(m)).toBe('dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    expect(m.body.length).toBe(0); // the INVITE after Content-Length is discarded (RFC 3261 18.3)
  } },
  { file: 'semiuri', section: '3.1.1.9', title: 'Semicolon-Separated Parameters in URI User Part', check: (m) => {
    expect(sip(req(m).uri).user).toBe('user;par=u@example.net');
    expect(sip(req(m).uri).host).toBe('example.com');
    expect(getHeaderValues(m, 'Accept')).toHaveLength(6);
  } },
  { file: 'transports', section: '3.1.1.10', title: 'Varied and Unknown Transport Types', check: (m) => {
    expect(getVias(m).map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(getCallId(m)).toBe('transports.kijh4akdnaqjkwendsasfdj');
  } },
  { file: 'mpart01', section: '3.1.1.11', title: 'Multipart MIME Message', check: (m) => {
    const ct = getContentType(m);
    expect([ct?.type, ct?.subtype, getParam(ct?.params ?? [], 'boundary')]).toEqual(['multipart', 'mixed', '7a9cbec02ceef655']);
    expect(m.body.length).toBe(getContentLength(m));
    expect(text(m.body)).toContain('--7a9cbec02ceef655--');
  } },
  { file: 'unreason', section: '3.1.1.12', title: 'Unusual Reason Phrase', check: (m) => {
    expect(res(m).status).toBe(200);
    expect(res(m).reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
  } },
  { file: 'noreason', section: '3.1.1.13', title: 'Empty Reason Phrase', check: (m) => {
    expect(res(m).status).toBe(100);
    expect(res(m).reason).toBe('');
  } },
  // RFC 4475 3.1.2.11-3.1.2.12 allow a liberal parser to accept; this one accepts 3.1.2.12 only.
  { file: 'baddate', section: '3.1.2.12', title: 'Invalid Time Zone in Date Header Field (accepted: Date kept raw, RFC allows ignoring it)', check: (m) => {
    expect(getHeader(m, 'Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
  } },
  { file: 'badbranch', section: '3.2.1', title: 'Missing Transaction Identifier (parses; the UAS core answers 400)', check: (m) => {
    expect(viaBranch(getVias(m)[0]!)).toBe('z9hG4bK');
  } },
  { file: 'unkscm', section: '3.3.2', title: 'Request-URI with Unknown Scheme (parses; UAS answers 416)', check: (m) => {
    expect(req(m).uri).toEqual({ kind: 'other', scheme: 'nobodyknowsthisscheme', opaque: 'totallyopaquecontent' });
  } },
  { file: 'novelsc', section: '3.3.3', title: 'Request-URI with Known but Atypical Scheme (parses; UAS answers 416)', check: (m) => {
    expect(req(m).uri).toEqual({ kind: 'other', scheme: 'soap.beep', opaque: '//192.0.2.103:3002' });
  } },
  { file: 'unksm2', section: '3.3.4', title: 'Unknown URI Schemes in Header Fields', check: (m) => {
    expect(getTo(m).uri).toEqual({ kind: 'other', scheme: 'isbn', opaque: '2983792873' });
    expect(getFrom(m).uri).toEqual({ kind: 'other', scheme: 'http', opaque: '//www.example.com' });
    expect(getContacts(m)).toEqual([{ displayName: null, uri: { kind: 'other', scheme: 'name', opaque: 'John_Smith' }, params: [] }]);
  } },
  { file: 'bext01', section: '3.3.5', title: 'Proxy-Require and Require (parses; UAS answers 420)', check: (m) => {
    expect(getRequire(m)).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(getProxyRequire(m)).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  } },
  { file: 'invut', section: '3.3.6', title: 'Unknown Content-Type (parses; UAS answers 415)', check: (m) => {
    expect(getContentType(m)?.subtype).toBe('unknownformat');
    expect(m.body.length).toBe(40);
  } },
  { file: 'regaut01', section: '3.3.7', title: 'Unknown Authorization Scheme (kept raw)', check: (m) => {
    expect(getHeader(m, 'authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
  } },
  { file: 'bcast', section: '3.3.10', title: '200 OK Response with Broadcast Via Header Field Value', check: (m) => {
    expect(getVias(m)[1]?.host).toBe('255.255.255.255');
  } },
  { file: 'zeromf', section: '3.3.11', title: 'Max-Forwards of Zero (parses; the UAS core decides)', check: (m) => {
    expect(getMaxForwards(m)).toBe(0);
  } },
  { file: 'cparam01', section: '3.3.12', title: 'REGISTER with a Contact Header Parameter', check: (m) => {
    const c = getContacts(m);
    if (c === '*') throw new Error('wildcard');
    expect(sip(c[0]!.uri).params).toEqual([]);
    expect(c[0]!.params).toEqual([{ name: 'unknownparam', value: null }]);
  } },
  { file: 'cparam02', section: '3.3.13', title: 'REGISTER with a url-parameter', check: (m) => {
    const c = getContacts(m);
    if (c === '*') throw new Error('wildcard');
    expect(sip(c[0]!.uri).params).toEqual([{ name: 'unknownparam', value: null }]);
    expect(c[0]!.params).toEqual([]);
  } },
  { file: 'regescrt', section: '3.3.14', title: 'REGISTER with a URL Escaped Header', check: (m) => {
    const c = getContacts(m);
    if (c === '*') throw new Error('wildcard');
    expect(sip(c[0]!.uri).headers).toEqual([{ name: 'Route', value: '<sip:sip.example.com>' }]);
  } },
  { file: 'sdp01', section: '3.3.15', title: 'Unacceptable Accept Offering (parses; UAS answers 406)', check: (m) => {
    expect(getHeaderValues(m, 'Accept')).toEqual(['text/nobodyKnowsThis']);
  } },
  { file: 'inv2543', section: '3.4.1', title: 'INVITE with RFC 2543 Syntax (accepted over a datagram)', check: (m) => {
    expect(viaBranch(getVias(m)[0]!)).toBeNull();
    expect(getParam(getFrom(m).params, 'tag')).toBeUndefined();
    expect(getMaxForwards(m)).toBeNull();
    expect(getContentLength(m)).toBeNull();
    expect(getParam(getTo(m).params, 'user')).toBe('phone'); // addr-spec: ;user=phone is a header param
    expect(text(m.body)).toContain('m=audio 49217 RTP/AVP 0');
  } },
];

const invalid: InvalidCase[] = [
  { file: 'badinv01', section: '3.1.2.1', title: 'Extraneous Header Field Separators', reason: 'bad-header-value', status: 400, routable: false, why: 'Via ";;,;,," is malformed; no routable Via, so dropped' },
  { file: 'clerr', section: '3.1.2.2', title: 'Content Length Larger Than Message', reason: 'body-too-short', status: 400, routable: true, why: 'RFC 3261 18.3: datagram shorter than Content-Length -> 400' },
  { file: 'ncl', section: '3.1.2.3', title: 'Negative Content-Length', reason: 'bad-header-value', status: 400, routable: true, why: 'must be rejected with 400' },
  { file: 'scalar02', section: '3.1.2.4', title: 'Request Scalar Fields with Overlarge Values', reason: 'bad-header-value', status: 400, routable: true, why: 'CSeq > 2**32-1 etc.; 400' },
  { file: 'scalarlg', section: '3.1.2.5', title: 'Response Scalar Fields with Overlarge Values', reason: 'bad-header-value', status: 400, routable: false, why: 'a response: discarded' },
  { file: 'quotbal', section: '3.1.2.6', title: 'Unterminated Quoted String in Display Name', reason: 'bad-header-value', status: 400, routable: true, why: '400' },
  { file: 'ltgtruri', section: '3.1.2.7', title: '<> Enclosing Request-URI', reason: 'bad-request-uri', status: 400, routable: true, why: '400' },
  { file: 'lwsruri', section: '3.1.2.8', title: 'Malformed SIP Request-URI (embedded LWS)', reason: 'bad-start-line', status: 400, routable: true, why: 'should respond 400' },
  { file: 'lwsstart', section: '3.1.2.9', title: 'Multiple SP Separating Request-Line Elements', reason: 'bad-start-line', status: 400, routable: true, why: 'rejecting is acceptable; we do not guess' },
  { file: 'trws', section: '3.1.2.10', title: 'SP Characters at End of Request-Line', reason: 'bad-start-line', status: 400, routable: true, why: 'rejecting is acceptable' },
  { file: 'escruri', section: '3.1.2.11', title: 'Escaped Headers in SIP Request-URI', reason: 'bad-request-uri', status: 400, routable: true, why: 'rejecting with 400 is acceptable (we do not silently drop the headers)' },
  { file: 'regbadct', section: '3.1.2.13', title: 'Failure to Enclose name-addr URI in <>', reason: 'bad-header-value', status: 400, routable: true, why: 'reasonable to respond 400' },
  { file: 'badaspec', section: '3.1.2.14', title: 'Spaces within addr-spec', reason: 'bad-header-value', status: 400, routable: true, why: 'reasonable to reject with 400' },
  { file: 'baddn', section: '3.1.2.15', title: 'Non-token Characters in Display Name', reason: 'bad-header-value', status: 400, routable: true, why: 'reasonable to always reject with 400' },
  { file: 'badvers', section: '3.1.2.16', title: 'Unknown Protocol Version', reason: 'bad-version', status: 505, routable: true, why: '505 Version Not Supported' },
  { file: 'mismatch01', section: '3.1.2.17', title: 'Start Line and CSeq Method Mismatch', reason: 'cseq-method-mismatch', status: 400, routable: true, why: '400' },
  { file: 'mismatch02', section: '3.1.2.18', title: 'Unknown Method with CSeq Method Mismatch', reason: 'cseq-method-mismatch', status: 400, routable: true, why: '400, not 405' },
  { file: 'bigcode', section: '3.1.2.19', title: 'Overlarge Response Code', reason: 'bad-status-code', status: 400, routable: false, why: 'a response: discarded' },
  { file: 'insuf', section: '3.3.1', title: 'Missing Required Header Fields', reason: 'missing-header', status: 400, routable: true, why: 'ideally 400' },
  { file: 'multi01', section: '3.3.8', title: 'Multiple Values in Single Value Required Fields', reason: 'duplicate-header', status: 400, routable: true, why: '400' },
  { file: 'mcl01', section: '3.3.9', title: 'Multiple Content-Length Values', reason: 'duplicate-header', status: 400, routable: true, why: '400' },
];

describe('RFC 4475 valid and accepted messages', () => {
  for (const c of valid) {
    it(`RFC 4475 ${c.section} ${c.title} (${c.file})`, () => {
      const m = parseMessage(load(c.file));
      c.check(m);
      // Our own serializer's output parses back to the same wire form.
      const wire = serializeMessage(m);
      expect(serializeMessage(parseMessage(wire)).equals(wire)).toBe(true);
    });
  }
});

describe('RFC 4475 invalid messages', () => {
  for (const c of invalid) {
    it(`RFC 4475 ${c.section} ${c.title} (${c.file}): ${c.why}`, () => {
      let err: unknown;
      try {
        parseMessage(load(c.file));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SipParseError);
      const pe = err as SipParseError;
      expect(pe.reason).toBe(c.reason);
      expect(pe.category).toBe('parse');
      expect(pe.sipStatus).toBe(c.status);
      expect(pe.responseRoutable).toBe(c.routable);
      expect(pe.sipReason?.startsWith(c.status === 505 ? 'Version Not Supported - ' : 'Bad Request - ')).toBe(true);
      const r = createErrorResponse(pe, { toTag: 'gh1' });
      if (!c.routable) {
        expect(r).toBeNull();
        return;
      }
      expect(r?.status).toBe(c.status);
      expect(r?.reason).toBe(pe.sipReason);
      expect(getVias(r!).length).toBeGreaterThan(0);
    });
  }
});

describe('RFC 4475 fixtures', () => {
  it('every fixture file is used by a case', () => {
    const files = readdirSync(DIR).map((f) => f.replace(/\.sip$/, '')).sort();
    const used = [...valid, ...invalid].map((c) => c.file).sort();
    expect(files).toEqual(used);
  });
});
