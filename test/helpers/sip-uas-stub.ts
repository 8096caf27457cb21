/**
 * A minimal SIP UAS over UDP on 127.0.0.1 for media tests that need a real SIP peer (baresip)
 * to place a call, without depending on the gateway's SIP engine:
 *   INVITE -> 100 Trying, then 200 OK carrying the SDP answer from `onInvite(offer)` (or the
 *             final status it returns, e.g. 488); ACK is swallowed; BYE -> 200 OK; any other
 *             request -> 200 OK (OPTIONS) so nothing retransmits forever.
 * It is not a SIP implementation: no transactions beyond answering the same request again,
 * no authentication, no TCP/TLS. RFC 3261 s8.2.6/s12.1.1: responses echo Via/From/Call-ID/
 * CSeq, add a To tag and a Contact.
 *
 *   const uas = await SipUasStub.start(async (offer) => ({ status: 200, sdp: answerFor(offer) }));
 *   uas.port; uas.invites (offers received); uas.byes; await uas.close();
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export type InviteVerdict = { readonly status: 200; readonly sdp: string } | { readonly status: number; readonly reason: string };

export interface ReceivedInvite {
  readonly callId: string;
  readonly sdp: string;
}

export class SipUasStub {
  readonly port: number;
  readonly invites: ReceivedInvite[] = [];
  readonly byes: string[] = [];
  private readonly socket: Socket;
  private readonly onInvite: (offerSdp: string) => Promise<InviteVerdict>;
  /** Final responses by Call-ID + CSeq, re-sent when the request is retransmitted. */
  private readonly finals = new Map<string, string>();

  private constructor(socket: Socket, onInvite: (offerSdp: string) => Promise<InviteVerdict>) {
    this.socket = socket;
    this.port = socket.address().port;
    this.onInvite = onInvite;
    socket.on('message', (m, r) => void this.onMessage(m.toString('utf8'), r));
  }

  static start(onInvite: (offerSdp: string) => Promise<InviteVerdict>, port = 0): Promise<SipUasStub> {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve(new SipUasStub(s, onInvite)));
    });
  }

  private async onMessage(text: string, r: RemoteInfo): Promise<void> {
    const [head = '', body = ''] = splitOnce(text, '\r\n\r\n');
    const lines = head.split('\r\n');
    const method = (lines[0] ?? '').split(' ')[0] ?? '';
    if (method.startsWith('SIP/')) return; // a response: we send no requests
    const key = `${header(lines, 'call-id', 'i')} ${header(lines, 'cseq')}`;
    const cached = this.finals.get(key);
    if (cached !== undefined) return this.send(cached, r);
    if (method === 'ACK') return;
    if (method === 'INVITE') {
      this.send(this.response(lines, 100, 'Trying', null, null), r);
      this.invites.push({ callId: header(lines, 'call-id', 'i'), sdp: body });
      let verdict: InviteVerdict;
      try {
        verdict = await this.onInvite(body);
      } catch (err) {
        verdict = { status: 500, reason: err instanceof Error ? err.message.slice(0, 60) : 'error' };
      }
      const res = 'sdp' in verdict ? this.response(lines, 200, 'OK', verdict.sdp, r) : this.response(lines, verdict.status, verdict.reason, null, null);
      this.finals.set(key, res);
      return this.send(res, r);
    }
    if (method === 'BYE') this.byes.push(header(lines, 'call-id', 'i'));
    const res = this.response(lines, 200, 'OK', null, null);
    this.finals.set(key, res);
    this.send(res, r);
  }

  private response(req: readonly string[], status: number, reason: string, sdp: string | null, contactFor: RemoteInfo | null): string {
    const out = [`SIP/2.0 ${status} ${reason.replace(/[\r\n]/g, ' ')}`];
    for (const l of req) if (/^(via|v)\s*:/i.test(l)) out.push(l);
    out.push(`From: ${header(req, 'from', 'f')}`);
    const to = header(req, 'to', 't');
    out.push(`To: ${status > 100 && !/;tag=/i.test(to) ? `${to};tag=${randomBytes(4).toString('hex')}` : to}`);
    out.push(`Call-ID: ${header(req, 'call-id', 'i')}`, `CSeq: ${header(req, 'cseq')}`);
    if (contactFor !== null) out.push(`Contact: <sip:uas@127.0.0.1:${this.port}>`);
    if (sdp !== null) out.push('Content-Type: application/sdp');
    const payload = sdp ?? '';
    out.push(`Content-Length: ${Buffer.byteLength(payload)}`, '', payload);
    return out.join('\r\n');
  }

  private send(text: string, r: RemoteInfo): void {
    this.socket.send(Buffer.from(text), r.port, r.address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

function header(lines: readonly string[], name: string, compact?: string): string {
  for (const l of lines) {
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(l);
    if (m === null) continue;
    const n = (m[1] ?? '').toLowerCase();
    if (n === name || (compact !== undefined && n === compact)) return m[2] ?? '';
  }
  return '';
}
