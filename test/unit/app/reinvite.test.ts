import { describe, expect, it } from 'vitest';
import { answerHoldReinvite, type HoldContext } from '../../../src/app/reinvite.ts';

const KEY = Buffer.from(Array.from({ length: 30 }, (_, i) => i + 1));
const previousAnswer = ['v=0', 'o=gatehouse 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/SAVP 0', 'a=rtpmap:0 PCMU/8000', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA', 'a=sendrecv', ''].join('\r\n');
const ctx: HoldContext = { previousAnswer, version: 2, tag: 1, remoteKeySalt: KEY, remoteAddress: '127.0.0.1', remotePort: 4000 };

function offer(opts: { dir?: string; key?: Buffer; addr?: string; port?: number } = {}): string {
  return ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', `c=IN IP4 ${opts.addr ?? '127.0.0.1'}`, 't=0 0', `m=audio ${opts.port ?? 4000} RTP/SAVP 0`, 'a=rtpmap:0 PCMU/8000', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${(opts.key ?? KEY).toString('base64')}`, `a=${opts.dir ?? 'sendrecv'}`, ''].join('\r\n');
}

describe('re-INVITE hold/resume (RFC 3264 8.4)', () => {
  const table: ReadonlyArray<readonly [string, string, string]> = [
    ['sendonly', 'sendonly', 'recvonly'],
    ['inactive', 'inactive', 'inactive'],
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['recvonly', 'recvonly', 'sendonly'],
  ];
  for (const [offered, peer, answered] of table) {
    it(`peer offers ${offered}: we answer ${answered} and bump the o= version`, () => {
      const r = answerHoldReinvite(ctx, offer({ dir: offered }));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.peerDirection).toBe(peer);
      expect(r.answer).toContain(`\r\na=${answered}\r\n`);
      expect(r.answer).toContain('o=gatehouse 1 2 IN IP4 127.0.0.1');
      expect(r.answer.match(/a=(sendrecv|sendonly|recvonly|inactive)/g)).toHaveLength(1);
    });
  }
  it('c=0.0.0.0 (RFC 2543 hold) counts as sendonly', () => {
    const r = answerHoldReinvite(ctx, offer({ addr: '0.0.0.0' }));
    expect(r.ok && r.peerDirection).toBe('sendonly');
  });
  it('refuses a new SRTP key with 488 and says why', () => {
    const r = answerHoldReinvite(ctx, offer({ key: Buffer.alloc(30, 9) }));
    expect(r).toMatchObject({ ok: false, status: 488 });
    if (!r.ok) expect(r.warning).toContain('changing SRTP keys');
  });
  it('refuses moving media to another port', () => {
    expect(answerHoldReinvite(ctx, offer({ port: 5000 }))).toMatchObject({ ok: false, status: 488 });
  });
  it('malformed SDP -> 400 with the line', () => {
    expect(answerHoldReinvite(ctx, 'v=0\r\nxx\r\n')).toMatchObject({ ok: false, status: 400 });
  });
});
