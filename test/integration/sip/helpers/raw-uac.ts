/** A hand-driven SIP client over a UDP socket or any byte pipe, for exact-message tests. */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

let n = 0;
export interface CallIds {
  readonly callId: string;
  readonly fromTag: string;
  readonly branch: string;
}

export function ids(): CallIds {
  n++;
  const r = Math.random().toString(36).slice(2, 10);
  return { callId: `${r}-${String(n)}@test`, fromTag: `ft${r}`, branch: `z9hG4bK${r}${String(n)}` };
}

export function request(opts: {
  method: string; transport: string; host: string; port: number; local: string; ids: CallIds; cseq?: number; body?: string;
  contentType?: string; extra?: string; toTag?: string; user?: string;
}): string {
  const body = opts.body ?? '';
  const hostRef = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return (
    `${opts.method} sip:${opts.user ?? 'room'}@${hostRef}:${String(opts.port)} SIP/2.0\r\n` +
    `Via: SIP/2.0/${opts.transport} ${opts.local};branch=${opts.ids.branch};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:alice@test>;tag=${opts.ids.fromTag}\r\n` +
    `To: <sip:${opts.user ?? 'room'}@${hostRef}>${opts.toTag === undefined ? '' : `;tag=${opts.toTag}`}\r\n` +
    `Call-ID: ${opts.ids.callId}\r\nCSeq: ${String(opts.cseq ?? 1)} ${opts.method}\r\n` +
    `Contact: <sip:alice@${opts.local};transport=${opts.transport.toLowerCase()}>\r\n` +
    (body === '' ? '' : `Content-Type: ${opts.contentType ?? 'application/sdp'}\r\n`) +
    `${opts.extra ?? ''}Content-Length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`
  );
}

export const OFFER_SDES =
  'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/SAVP 0\r\n' +
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n';
export const OFFER_PLAIN_RTP = 'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n';

export class UdpPeer {
  readonly socket: Socket;
  private readonly queue: string[] = [];
  private waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (d) => {
      this.queue.push(d.toString('utf8'));
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  static async open(host: string): Promise<UdpPeer> {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    return new UdpPeer(s);
  }

  get local(): string {
    const a = this.socket.address();
    return a.family === 'IPv6' ? `[${a.address}]:${String(a.port)}` : `${a.address}:${String(a.port)}`;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(text: string, port: number, host: string): void {
    this.socket.send(text, port, host);
  }

  /** Next message whose text matches `pred` (earlier non-matching ones are discarded). */
  async next(pred: (m: string) => boolean = () => true): Promise<string> {
    for (;;) {
      const i = this.queue.findIndex(pred);
      if (i >= 0) return this.queue.splice(0, i + 1)[i] ?? '';
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  close(): void {
    this.socket.close();
  }
}

export const status = (m: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(m)?.[1] ?? 0);
export const header = (m: string, name: string): string | undefined =>
  new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(m)?.[1]?.trim();
export const toTagOf = (m: string): string => /;tag=([^;\s>]+)/.exec(header(m, 'To') ?? '')?.[1] ?? '';
