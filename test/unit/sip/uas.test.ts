import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  answerCancel, answerOptions, checkIncomingReinvite, createInviteServer, createResponse, DEFAULT_UAS_CONFIG, getHeader, getTopVia,
  glareRetryDelayMs, negotiateSessionTimerUas, parseMessage, parseSessionExpires, pruneRecent, recordRequest, responseDestination,
  sessionTimerDeadline, sessionTimerFromUacResponse, stampVia, stepInviteServer, toTag, validateRequest, getParam,
  type RecentRequests, type SipRequest, type SipResponse,
} from '../../../src/core/sip/index.ts';

const r = (...lines: string[]): SipRequest => parseMessage([...lines, '', ''].join('\r\n')) as SipRequest;
const base = (method: string, extra: string[] = [], branch = 'z9hG4bKb1', ruri = 'sip:room1@gw.example.com'): SipRequest => r(
  `${method} ${ruri} SIP/2.0`, `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`, 'From: <sip:a@example.com>;tag=f1',
  'To: <sip:room1@gw.example.com>', 'Call-ID: c-1', `CSeq: 5 ${method}`, 'Max-Forwards: 70', ...extra,
);
const rfc4475 = (name: string): SipRequest => parseMessage(readFileSync(new URL(`../../fixtures/sip/rfc4475/${name}.sip`, import.meta.url))) as SipRequest;

describe('UAS request validation (RFC 3261 8.2)', () => {
  const cases: Array<{ name: string; req: () => SipRequest; status: number | null; check?: (res: SipResponse) => void }> = [
    { name: 'plain INVITE proceeds', req: () => base('INVITE'), status: null },
    { name: 'RFC 3261 16.3 / RFC 4475 3.3.11: Max-Forwards 0 INVITE -> 483', req: () => r('INVITE sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKq', 'From: <sip:a@b>;tag=1', 'To: <sip:x@y>', 'Call-ID: z', 'CSeq: 1 INVITE', 'Max-Forwards: 0'), status: 483 },
    { name: 'RFC 4475 3.3.11 zeromf: Max-Forwards 0 OPTIONS is answered as final recipient', req: () => rfc4475('zeromf'), status: null },
    { name: 'RFC 3261 8.2.1: known but unhandled method -> 405 with Allow', req: () => base('SUBSCRIBE'), status: 405,
      check: (res) => expect(getHeader(res, 'Allow')).toBe('INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE') },
    { name: 'RFC 3261 8.2.1: unknown method -> 405 with Allow (RFC 4475 3.1.1.2 intmeth)', req: () => rfc4475('intmeth'), status: 405,
      check: (res) => expect(getHeader(res, 'Allow')).toContain('INVITE') },
    { name: 'RFC 4475 3.3.2 unknown Request-URI scheme -> 416', req: () => rfc4475('unkscm'), status: 416 },
    { name: 'RFC 4475 3.3.3 atypical scheme -> 416', req: () => rfc4475('novelsc'), status: 416 },
    { name: 'RFC 3261 8.2.2.3 / RFC 4475 3.3.5: unsupported Require -> 420 with Unsupported', req: () => rfc4475('bext01'), status: 420,
      check: (res) => expect(getHeader(res, 'Unsupported')).toBe('nothingSupportsThis, nothingSupportsThisEither') },
    { name: 'Require: timer is supported', req: () => base('INVITE', ['Require: timer', 'Session-Expires: 1800']), status: null },
    { name: 'RFC 3261 8.2.3 / RFC 4475 3.3.6: unknown Content-Type -> 415 with Accept', req: () => rfc4475('invut'), status: 415,
      check: (res) => expect(getHeader(res, 'Accept')).toBe('application/sdp, application/media_control+xml') },
    { name: 'RFC 4475 3.3.15: Accept without application/sdp on INVITE -> 406', req: () => rfc4475('sdp01'), status: 406 },
    { name: 'RFC 4475 3.2.1: bare z9hG4bK branch -> 400 with reason', req: () => rfc4475('badbranch'), status: 400,
      check: (res) => expect(res.reason).toBe('Bad Request - Malformed Via branch') },
    { name: 'RFC 4028 9: Session-Expires below Min-SE -> 422 with Min-SE', req: () => base('INVITE', ['Supported: timer', 'Session-Expires: 60']), status: 422,
      check: (res) => expect(getHeader(res, 'Min-SE')).toBe('90') },
    { name: 'ACK is never answered', req: () => base('ACK', ['Require: nothing']), status: null },
    { name: 'CANCEL ignores Require', req: () => base('CANCEL', ['Require: nothing']), status: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = validateRequest(c.req(), DEFAULT_UAS_CONFIG, { toTag: 'gw' });
      if (c.status === null) {
        expect(v).toEqual({ kind: 'proceed' });
        return;
      }
      expect(v.kind).toBe('respond');
      if (v.kind !== 'respond') return;
      expect(v.response.status).toBe(c.status);
      expect(toTag(v.response)).toBe('gw');
      c.check?.(v.response);
    });
  }
  it('Max-Forwards 0 with zeroMaxForwards=process proceeds; unknownMethodStatus 501 is honoured', () => {
    const mf0 = r('INVITE sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKq', 'From: <sip:a@b>;tag=1', 'To: <sip:x@y>', 'Call-ID: z', 'CSeq: 1 INVITE', 'Max-Forwards: 0');
    expect(validateRequest(mf0, { ...DEFAULT_UAS_CONFIG, zeroMaxForwards: 'process' }).kind).toBe('proceed');
    const v = validateRequest(rfc4475('intmeth'), { ...DEFAULT_UAS_CONFIG, unknownMethodStatus: 501 });
    expect(v.kind === 'respond' && v.response.status).toBe(501);
  });
});

describe('merged requests (RFC 3261 8.2.2.2)', () => {
  it('same From tag/Call-ID/CSeq, other branch, no To tag -> 482; the retransmission itself is not merged', () => {
    const first = base('INVITE');
    let table: RecentRequests = new Map();
    table = recordRequest(table, first, 0);
    expect(validateRequest(first, DEFAULT_UAS_CONFIG, { recent: table }).kind).toBe('proceed');
    const forked = base('INVITE', [], 'z9hG4bKviaOtherProxy');
    const v = validateRequest(forked, DEFAULT_UAS_CONFIG, { recent: table });
    expect(v.kind === 'respond' && [v.response.status, v.reason]).toEqual([482, 'merged-request']);
    expect(pruneRecent(table, 40_000).size).toBe(0);
    expect(pruneRecent(table, 1_000)).toBe(table);
  });
});

describe('OPTIONS and CANCEL', () => {
  it('RFC 3261 11.2: OPTIONS -> 200 with Allow, Accept, Supported', () => {
    const res = answerOptions(base('OPTIONS'), DEFAULT_UAS_CONFIG, 'gw');
    expect([res.status, getHeader(res, 'Allow'), getHeader(res, 'Accept'), getHeader(res, 'Supported')])
      .toEqual([200, 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE', 'application/sdp, application/media_control+xml', 'timer']);
  });
  it('RFC 3261 9.2: CANCEL of a pending INVITE -> 200 for CANCEL, 487 for the INVITE with the 180 To tag', () => {
    const invite = base('INVITE');
    let tx = createInviteServer(invite, 0, { reliable: false }).state;
    tx = stepInviteServer(tx, { type: 'send-response', message: createResponse(invite, 180, undefined, [], { toTag: 'ring1' }) }, 10).state;
    const { cancelResponse, inviteResponse } = answerCancel(base('CANCEL'), tx, 'x');
    expect(cancelResponse.status).toBe(200);
    expect(inviteResponse?.status).toBe(487);
    expect(toTag(inviteResponse!)).toBe('ring1');
    const after = stepInviteServer(tx, { type: 'send-response', message: inviteResponse! }, 20);
    expect(after.state.state).toBe('completed');
    expect(answerCancel(base('CANCEL'), after.state).inviteResponse).toBeNull();
  });
  it('CANCEL without a matching INVITE -> 481', () => {
    expect(answerCancel(base('CANCEL'), undefined).cancelResponse.status).toBe(481);
  });
});

describe('Via received/rport (RFC 3261 18.2.1, RFC 3581)', () => {
  it('adds received when sent-by differs, fills rport, keeps other Via values', () => {
    const req = r('OPTIONS sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKn;rport, SIP/2.0/UDP p.example.com;branch=z9hG4bKp',
      'From: <sip:a@b>;tag=1', 'To: <sip:x@y>', 'Call-ID: z', 'CSeq: 1 OPTIONS');
    const s = stampVia(req, { address: '203.0.113.9', port: 40123 });
    expect(getHeader(s, 'Via')).toBe('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKn;rport=40123;received=203.0.113.9, SIP/2.0/UDP p.example.com;branch=z9hG4bKp');
    expect(responseDestination(getTopVia(s))).toEqual({ host: '203.0.113.9', port: 40123 });
  });
  it('same host, no rport: unchanged; IPv6 received is written bare and parses back', () => {
    const req = base('OPTIONS');
    expect(stampVia(req, { address: '192.0.2.10', port: 5060 })).toBe(req);
    const v6 = stampVia(req, { address: '2001:db8::7', port: 5060 });
    expect(getParam(getTopVia(v6).params, 'received')).toBe('2001:db8::7');
    expect(responseDestination(getTopVia(v6))).toEqual({ host: '2001:db8::7', port: 5060 });
  });
});

describe('session timers (RFC 4028)', () => {
  it('parses Session-Expires', () => {
    expect(parseSessionExpires('1800;refresher=uac')).toEqual({ interval: 1800, refresher: 'uac' });
    expect(parseSessionExpires('90')).toEqual({ interval: 90, refresher: null });
    expect(() => parseSessionExpires('x')).toThrow();
  });
  const table: Array<{ name: string; extra: string[]; expect: unknown }> = [
    { name: 'no timer support, no Session-Expires: we refresh at our default', extra: [], expect: { kind: 'accept', interval: 1800, weRefresh: true, headers: [{ name: 'Session-Expires', value: '1800;refresher=uas' }] } },
    { name: 'UAC supports, asks 600 with refresher=uac: Require: timer in answer', extra: ['Supported: timer', 'Session-Expires: 600;refresher=uac'], expect: { kind: 'accept', interval: 600, weRefresh: false, headers: [{ name: 'Session-Expires', value: '600;refresher=uac' }, { name: 'Require', value: 'timer' }] } },
    { name: 'UAC supports, leaves refresher to us: our preference (uas)', extra: ['Supported: timer', 'Session-Expires: 900'], expect: { kind: 'accept', interval: 900, weRefresh: true, headers: [{ name: 'Session-Expires', value: '900;refresher=uas' }] } },
    { name: 'UAC without support asking refresher=uac cannot be made refresher', extra: ['Session-Expires: 900;refresher=uac'], expect: { kind: 'accept', interval: 900, weRefresh: true, headers: [{ name: 'Session-Expires', value: '900;refresher=uas' }] } },
    { name: 'too small -> 422 with Min-SE = max(ours, theirs)', extra: ['Supported: timer', 'Session-Expires: 60', 'Min-SE: 30'], expect: { kind: 'reject', status: 422, headers: [{ name: 'Min-SE', value: '90' }] } },
  ];
  for (const c of table) it(`RFC 4028 9: ${c.name}`, () => expect(negotiateSessionTimerUas(base('INVITE', c.extra))).toEqual(c.expect));
  it('RFC 4028 10: refresh at half; BYE at interval - min(32 s, interval/3)', () => {
    expect(sessionTimerDeadline(1800, true, 1000)).toEqual({ action: 'refresh', at: 901_000 });
    expect(sessionTimerDeadline(1800, false, 0)).toEqual({ action: 'bye', at: 1_768_000 });
    expect(sessionTimerDeadline(90, false, 0)).toEqual({ action: 'bye', at: 60_000 });
  });
  it('RFC 4028 7.2: UAC reads the 2xx; 422 gives the retry interval', () => {
    const inv = base('INVITE', ['Supported: timer', 'Session-Expires: 60']);
    expect(sessionTimerFromUacResponse(createResponse(inv, 422, undefined, [{ name: 'Min-SE', value: '120' }]))).toEqual({ retryInterval: 120 });
    expect(sessionTimerFromUacResponse(createResponse(inv, 200, undefined, [{ name: 'Session-Expires', value: '120;refresher=uas' }]))).toEqual({ interval: 120, weRefresh: false });
    expect(sessionTimerFromUacResponse(createResponse(inv, 200))).toBeNull();
  });
});

describe('re-INVITE glare (RFC 3261 14)', () => {
  it('14.2: our INVITE pending -> 491; theirs unanswered -> 500 with Retry-After; else accept', () => {
    expect(checkIncomingReinvite({ outgoingInvitePending: true, incomingInvitePending: false }, 0.5)).toEqual({ kind: 'reject', status: 491, reason: 'Request Pending' });
    expect(checkIncomingReinvite({ outgoingInvitePending: false, incomingInvitePending: true }, 0.55)).toMatchObject({ status: 500, retryAfter: 5 });
    expect(checkIncomingReinvite({ outgoingInvitePending: false, incomingInvitePending: false }, 0)).toEqual({ kind: 'accept' });
  });
  it('14.1: retry after 2.1-4 s (Call-ID owner) or 0-2 s, in 10 ms steps', () => {
    expect([glareRetryDelayMs(true, 0), glareRetryDelayMs(true, 0.999999), glareRetryDelayMs(false, 0), glareRetryDelayMs(false, 0.999999)]).toEqual([2100, 4000, 0, 2000]);
    expect(glareRetryDelayMs(true, 0.5) % 10).toBe(0);
  });
});
