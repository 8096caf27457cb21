import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.ts';
import {
  acceptInDialogRequest, applyResponse, buildInDialogRequest, createResponse, decodeDialog, dialogFromUac, dialogFromUas,
  dialogKey, encodeDialog, formatUri, getCSeq, getFrom, getHeader, getHeaderValues, getTo, header, importDialog,
  incomingRequestDialogKey, parseMessage, serializeMessage, type DialogState, type SipRequest,
} from '../../../src/core/sip/index.ts';

const lines = (...l: string[]): string => l.join('\r\n');
/** An INVITE as it reaches the gateway through two record-routing proxies (RFC 3665 3.2 style). */
const INVITE = parseMessage(lines(
  'INVITE sip:room1@gw.example.com SIP/2.0',
  'Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2', 'Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1',
  'Via: SIP/2.0/UDP alice.example.com;branch=z9hG4bKa',
  'Record-Route: <sip:p2.example.com;lr>', 'Record-Route: <sip:p1.example.com;lr>',
  'From: "Alice" <sip:alice@example.com>;tag=a1', 'To: <sip:room1@gw.example.com>', 'Call-ID: call-7',
  'CSeq: 314 INVITE', 'Contact: <sip:alice@192.0.2.10:5060>', 'Max-Forwards: 68', '', '',
)) as SipRequest;
const OK = createResponse(INVITE, 200, undefined, [header('Contact', '<sip:gw@192.0.2.9>')], { toTag: 'g1' });
const opts = { via: { transport: 'udp', host: '192.0.2.9', port: 5060 }, branch: 'z9hG4bKnew' };

describe('dialog creation (RFC 3261 12.1)', () => {
  it('12.1.1 UAS: route set in Record-Route order, remote target = Contact, remote CSeq, empty local CSeq', () => {
    const d = dialogFromUas(INVITE, OK, { localContact: 'sip:gw@192.0.2.9', transport: 'udp' });
    expect(d).toEqual({
      version: 1, role: 'uas', state: 'confirmed', callId: 'call-7', localTag: 'g1', remoteTag: 'a1', localSeq: null, remoteSeq: 314,
      inviteSeq: null, localAddress: '<sip:room1@gw.example.com>', remoteAddress: 'Alice <sip:alice@example.com>',
      remoteTarget: 'sip:alice@192.0.2.10:5060', routeSet: ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>'],
      localContact: 'sip:gw@192.0.2.9', secure: false, transport: 'UDP',
    });
    expect(dialogKey(d)).toBe('call-7|g1|a1');
  });
  it('12.1.2 UAC: route set is the 2xx Record-Route reversed; local CSeq = INVITE CSeq', () => {
    const ours = parseMessage(lines('INVITE sips:bob@example.org SIP/2.0', 'Via: SIP/2.0/TLS 192.0.2.9;branch=z9hG4bKo', 'From: <sip:gw@example.com>;tag=g7',
      'To: <sips:bob@example.org>', 'Call-ID: out-1', 'CSeq: 1 INVITE', 'Contact: <sips:gw@192.0.2.9>', '', '')) as SipRequest;
    const r = parseMessage(lines('SIP/2.0 200 OK', 'Via: SIP/2.0/TLS 192.0.2.9;branch=z9hG4bKo', 'Record-Route: <sip:p1.example.org;lr>, <sip:p2.example.org;lr>',
      'From: <sip:gw@example.com>;tag=g7', 'To: <sips:bob@example.org>;tag=b9', 'Call-ID: out-1', 'CSeq: 1 INVITE', 'Contact: <sips:bob@192.0.2.20>', '', ''));
    if (r.kind !== 'response') throw new Error();
    const d = dialogFromUac(ours, r, { localContact: 'sips:gw@192.0.2.9', transport: 'TLS' });
    expect(d.routeSet).toEqual(['<sip:p2.example.org;lr>', '<sip:p1.example.org;lr>']);
    expect([d.localTag, d.remoteTag, d.localSeq, d.remoteSeq, d.inviteSeq, d.secure]).toEqual(['g7', 'b9', 1, null, 1, true]);
  });
});

describe('in-dialog requests (RFC 3261 12.2)', () => {
  const uas = dialogFromUas(INVITE, OK, { localContact: 'sip:gw@192.0.2.9', transport: 'UDP' });
  it('12.2.1.1 BYE from the UAS: first local CSeq, loose routing, tags swapped', () => {
    const { dialog, request } = buildInDialogRequest(uas, 'BYE', opts);
    expect(formatUri(request.uri)).toBe('sip:alice@192.0.2.10:5060');
    expect(getHeaderValues(request, 'Route')).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
    expect(getCSeq(request)).toEqual({ seq: 1, method: 'BYE' });
    expect(getHeader(request, 'From')).toBe('<sip:room1@gw.example.com>;tag=g1');
    expect(getTo(request).displayName).toBe('Alice');
    expect(getHeader(request, 'Contact')).toBeUndefined();
    expect(dialog.localSeq).toBe(1);
    // serializes and parses back to the same request
    const back = parseMessage(serializeMessage(request)) as SipRequest;
    expect(back.method).toBe('BYE');
    expect(getFrom(back).params).toEqual([{ name: 'tag', value: 'g1' }]);
  });
  it('re-INVITE takes the next CSeq, carries Contact; its ACK reuses the INVITE CSeq and leaves the dialog as is', () => {
    const a = buildInDialogRequest(uas, 'INFO', opts);
    const b = buildInDialogRequest(a.dialog, 'INVITE', { ...opts, body: new TextEncoder().encode('v=0\r\n'), contentType: 'application/sdp' });
    expect(getCSeq(b.request)).toEqual({ seq: 2, method: 'INVITE' });
    expect(getHeader(b.request, 'Contact')).toBe('<sip:gw@192.0.2.9>');
    expect(getHeader(b.request, 'Content-Type')).toBe('application/sdp');
    const ack = buildInDialogRequest(b.dialog, 'ACK', { ...opts, branch: 'z9hG4bKack' });
    expect(getCSeq(ack.request)).toEqual({ seq: 2, method: 'ACK' });
    expect(ack.dialog).toBe(b.dialog);
  });
  it('12.2.1.1 strict routing: first route becomes the Request-URI, remote target the last Route', () => {
    const strict: DialogState = { ...uas, routeSet: ['<sip:p2.example.com;method=INVITE>', '<sip:p1.example.com;lr>'] };
    const { request } = buildInDialogRequest(strict, 'BYE', opts);
    expect(formatUri(request.uri)).toBe('sip:p2.example.com');
    expect(getHeaderValues(request, 'Route')).toEqual(['<sip:p1.example.com;lr>', '<sip:alice@192.0.2.10:5060>']);
  });
  it('12.2.2 lower remote CSeq -> 500; re-INVITE Contact refreshes the target; dialog key from a request', () => {
    const reinvite = parseMessage(lines('INVITE sip:gw@192.0.2.9 SIP/2.0', 'Via: SIP/2.0/UDP alice.example.com;branch=z9hG4bKr',
      'From: <sip:alice@example.com>;tag=a1', 'To: <sip:room1@gw.example.com>;tag=g1', 'Call-ID: call-7', 'CSeq: 315 INVITE',
      'Contact: <sip:alice@198.51.100.7>', '', '')) as SipRequest;
    expect(incomingRequestDialogKey(reinvite)).toBe(dialogKey(uas));
    const v = acceptInDialogRequest(uas, reinvite);
    expect(v.ok && [v.dialog.remoteSeq, v.dialog.remoteTarget]).toEqual([315, 'sip:alice@198.51.100.7']);
    const old = { ...reinvite, headers: reinvite.headers.map((h) => (h.name === 'CSeq' ? header('CSeq', '313 INVITE') : h)) };
    expect(acceptInDialogRequest(uas, old)).toEqual({ ok: false, status: 500, reason: 'Server Internal Error - CSeq out of order' });
  });
  it('12.2.1.2 a 2xx to our re-INVITE refreshes the remote target', () => {
    const { request } = buildInDialogRequest(uas, 'INVITE', opts);
    const ok = createResponse(request, 200, undefined, [header('Contact', '<sip:alice@203.0.113.5>')]);
    expect(applyResponse(uas, ok).remoteTarget).toBe('sip:alice@203.0.113.5');
    expect(applyResponse(uas, createResponse(request, 488)).remoteTarget).toBe(uas.remoteTarget);
  });
});

describe('dialog snapshot codec (DESIGN.md convention 9)', () => {
  const d = dialogFromUas(INVITE, OK, { localContact: 'sip:gw@192.0.2.9', transport: 'UDP' });
  it('encode -> decode gives the same plain data', () => {
    expect(decodeDialog(encodeDialog(d))).toEqual(d);
    expect(JSON.parse(encodeDialog(d)).version).toBe(1);
  });
  it('rejects wrong versions, unknown keys and bad fields with the path', () => {
    const bad = (x: unknown): GatehouseError => {
      try {
        importDialog(x);
      } catch (e) {
        if (e instanceof GatehouseError) return e;
      }
      throw new Error('accepted');
    };
    expect(bad({ ...d, version: 2 }).message).toContain('version');
    expect(bad({ ...d, extra: 1 }).code).toBe('DIALOG_SNAPSHOT_INVALID');
    expect(bad({ ...d, remoteSeq: -1 }).message).toContain('remoteSeq');
    expect(bad({ ...d, callId: '' }).category).toBe('state');
    expect(() => decodeDialog('{')).toThrow(GatehouseError);
  });
});
