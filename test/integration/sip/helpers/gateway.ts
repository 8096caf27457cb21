/**
 * Test harness around the embedded engine: a minimal call handler standing in for rooms
 * (the lead wires the policy engine's answer later). By Request-URI user:
 *   busy      -> 480 Temporarily Unavailable
 *   slow      -> never answered (CANCEL tests)
 *   hangup    -> answered; once confirmed the gateway sends a re-INVITE, then BYE
 *   otherwise -> answered with `answerSdp(offer)`, or 488 when it returns null
 */
import { startSipEngine } from '../../../../src/adapters/sip-net/start.ts';
import type { RunningSipEngine, SipNetConfig } from '../../../../src/adapters/sip-net/start.ts';
import type { IncomingInvite, SignallingBackend } from '../../../../src/ports/signalling-backend.ts';

/** RFC 4568 section 6.1 example key: a public test vector, not a secret. */
export const TEST_INLINE_KEY = 'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32';

/** Toy SDES answer: first codec of the first audio line, the offered tag and suite, our test key. */
export function toySdesAnswer(offer: string | null): string | null {
  if (offer === null) return null;
  const m = /^m=audio \d+ RTP\/SAVP ([0-9 ]+)$/m.exec(offer);
  const crypto = /^a=crypto:(\d+) (AES_CM_128_HMAC_SHA1_80|AEAD_AES_256_GCM|AEAD_AES_128_GCM) inline:/m.exec(offer);
  if (m === null || crypto === null) return null;
  const pt = (m[1] ?? '0').split(' ')[0] ?? '0';
  return [
    'v=0', 'o=gatehouse 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio 40000 RTP/SAVP ${pt}`, `a=crypto:${crypto[1] ?? '1'} ${crypto[2] ?? ''} ${TEST_INLINE_KEY}`, 'a=sendrecv', '',
  ].join('\r\n');
}

export interface TestGateway {
  readonly engine: RunningSipEngine;
  readonly backend: SignallingBackend;
  readonly port: (transport: string, family?: 'IPv4' | 'IPv6') => number;
  readonly stats: { invites: number; confirmed: number; cancelled: number; ended: Record<string, number>; reinvites: number };
  stop(): Promise<void>;
}

export async function startTestGateway(config: SipNetConfig, answerSdp: (offer: string | null) => string | null = toySdesAnswer): Promise<TestGateway> {
  const engine = await startSipEngine(config);
  const backend = engine.backend;
  const stats = { invites: 0, confirmed: 0, cancelled: 0, ended: {} as Record<string, number>, reinvites: 0 };
  const hangupDialogs = new Set<string>();
  const lastAnswer = new Map<string, string>();
  const onInvite = async (inv: IncomingInvite): Promise<void> => {
    stats.invites++;
    if (inv.user === 'busy') return backend.reject(inv.requestId, 480, 'Temporarily Unavailable', 'room busy');
    if (inv.user === 'slow') return;
    const sdp = answerSdp(inv.sdp);
    if (sdp === null) return backend.reject(inv.requestId, 488, 'Not Acceptable Here', 'no acceptable SRTP suite');
    if (inv.user === 'hangup') hangupDialogs.add(inv.dialogId);
    lastAnswer.set(inv.dialogId, sdp);
    return backend.answer(inv.requestId, { sdp });
  };
  backend.on('invite', (inv) => void onInvite(inv).catch(() => undefined));
  backend.on('request', (r) => {
    if (r.method === 'INVITE') stats.reinvites++;
    const sdp = r.method === 'INVITE' ? (lastAnswer.get(r.dialogId) ?? answerSdp(r.body)) : undefined;
    void backend.answer(r.requestId, sdp === undefined || sdp === null ? {} : { sdp }).catch(() => undefined);
  });
  backend.on('cancelled', () => stats.cancelled++);
  backend.on('ended', (e) => {
    stats.ended[e.cause] = (stats.ended[e.cause] ?? 0) + 1;
    lastAnswer.delete(e.dialogId);
  });
  backend.on('confirmed', ({ dialogId }) => {
    stats.confirmed++;
    if (!hangupDialogs.delete(dialogId)) return;
    const sdp = lastAnswer.get(dialogId) ?? '';
    void (async () => {
      await backend.request(dialogId, 'INVITE', { contentType: 'application/sdp', body: sdp });
      await backend.request(dialogId, 'BYE');
    })().catch(() => undefined);
  });
  const port = (transport: string, family: 'IPv4' | 'IPv6' = 'IPv4'): number => {
    const a = engine.addresses.find((x) => x.transport === transport && x.local.family === family);
    if (a === undefined) throw new Error(`no ${transport} ${family} listener`);
    return a.local.port;
  };
  return { engine, backend, port, stats, stop: () => engine.stop() };
}
