import { describe, expect, it } from 'vitest';
import {
  cancelTargetKey, clientTransactionKey, createInviteClient, createInviteServer, createNonInviteClient, createNonInviteServer,
  createResponse, getCSeq, getHeader, getTo, parseMessage, serverTransactionKey, startUas2xx, stepInviteClient, stepInviteServer,
  stepNonInviteClient, stepNonInviteServer, stepUas2xx, type SipRequest, type SipResponse, type TxAction, type TxEvent, type TxResult,
} from '../../../src/core/sip/index.ts';

/** Transaction tables with a fake clock (RFC 3261 17, RFC 6026). T1=500, T2=4000, T4=5000. */
const req = (method: string, branch = 'z9hG4bKabc', extra = ''): SipRequest => parseMessage([
  `${method} sip:room@gw.example.com SIP/2.0`, `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}`, 'Max-Forwards: 70',
  'From: <sip:a@example.com>;tag=f1', 'To: <sip:room@gw.example.com>', 'Call-ID: c1', `CSeq: 7 ${method}`, extra, '', '',
].filter((l, i, a) => l !== '' || i >= a.length - 2).join('\r\n')) as SipRequest;
const resp = (r: SipRequest, status: number): SipResponse => createResponse(r, status, undefined, [], { toTag: 't1' });

interface Log {
  sends: Array<[number, string]>;
  tu: Array<[number, string]>;
  timeouts: Array<[number, string]>;
  terminatedAt: number | null;
}

const label = (m: SipRequest | SipResponse): string => (m.kind === 'request' ? m.method : String(m.status));

/**
 * Drive a machine with a fake clock: fire the earliest armed timer or scripted event, apply the
 * actions, until terminated or `until`.
 */
function drive<S>(start: TxResult<S>, step: (s: S, e: TxEvent, now: number) => TxResult<S>, script: Array<[number, TxEvent]>, until = 200_000): Log {
  const log: Log = { sends: [], tu: [], timeouts: [], terminatedAt: null };
  const timers = new Map<string, number>();
  let state = start.state;
  let now = 0;
  const apply = (actions: readonly TxAction[]): void => {
    for (const a of actions) {
      if (a.type === 'send') log.sends.push([now, label(a.message)]);
      else if (a.type === 'pass-to-tu') log.tu.push([now, label(a.message)]);
      else if (a.type === 'start-timer') timers.set(a.name, a.at);
      else if (a.type === 'cancel-timer') timers.delete(a.name);
      else if (a.type === 'timeout') log.timeouts.push([now, a.timer]);
      else if (a.type === 'terminate') log.terminatedAt = now;
    }
  };
  apply(start.actions);
  const queue = [...script];
  while (log.terminatedAt === null) {
    let next: { at: number; ev: TxEvent } | null = null;
    for (const [name, at] of timers) if (next === null || at < next.at) next = { at, ev: { type: 'timer', name } as TxEvent };
    const scripted = queue[0];
    if (scripted !== undefined && (next === null || scripted[0] <= next.at)) {
      queue.shift();
      next = { at: scripted[0], ev: scripted[1] };
    } else if (next !== null && next.ev.type === 'timer') timers.delete(next.ev.name);
    if (next === null || next.at > until) break;
    now = next.at;
    const r = step(state, next.ev, now);
    state = r.state;
    apply(r.actions);
  }
  return log;
}

describe('INVITE client transaction (RFC 3261 17.1.1, RFC 6026)', () => {
  const invite = req('INVITE');
  it('17.1.1.2 UDP, no answer: INVITE at 0, 500, 1500, 3500, 7500, 15500, 31500; Timer B timeout at 32 s', () => {
    const log = drive(createInviteClient(invite, 0, { reliable: false }), stepInviteClient, []);
    expect(log.sends).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500].map((t) => [t, 'INVITE']));
    expect(log.timeouts).toEqual([[32000, 'B']]);
    expect(log.terminatedAt).toBe(32000);
  });
  it('17.1.1.2 TCP, no answer: one INVITE, Timer B at 32 s', () => {
    const log = drive(createInviteClient(invite, 0, { reliable: true }), stepInviteClient, []);
    expect(log.sends).toEqual([[0, 'INVITE']]);
    expect(log.timeouts).toEqual([[32000, 'B']]);
  });
  it('T1 is a parameter: T1=100 gives 0, 100, 300, 700 ... and B at 6.4 s', () => {
    const log = drive(createInviteClient(invite, 0, { reliable: false, timers: { t1: 100, t2: 4000, t4: 5000 } }), stepInviteClient, []);
    expect(log.sends.map(([t]) => t)).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    expect(log.timeouts).toEqual([[6400, 'B']]);
  });
  it('a provisional stops retransmissions; 486 -> ACK sent, passed up, Timer D 32 s; retransmitted 486 re-ACKed', () => {
    const r486 = resp(invite, 486);
    const log = drive(createInviteClient(invite, 0, { reliable: false }), stepInviteClient, [
      [600, { type: 'response', message: resp(invite, 180) }],
      [5000, { type: 'response', message: r486 }],
      [5200, { type: 'response', message: r486 }],
    ]);
    expect(log.sends).toEqual([[0, 'INVITE'], [500, 'INVITE'], [5000, 'ACK'], [5200, 'ACK']]);
    expect(log.tu).toEqual([[600, '180'], [5000, '486']]);
    expect(log.timeouts).toEqual([]);
    expect(log.terminatedAt).toBe(37000);
  });
  it('17.1.1.3 ACK for a non-2xx: same branch, CSeq number, To tag of the response', () => {
    const r = stepInviteClient(createInviteClient(invite, 0, { reliable: true }).state, { type: 'response', message: resp(invite, 404) }, 10);
    const ack = r.actions.find((a) => a.type === 'send');
    expect(ack?.type === 'send' && ack.message.kind === 'request' && ack.message.method).toBe('ACK');
    if (ack?.type !== 'send') return;
    expect(getHeader(ack.message, 'Via')).toBe('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc');
    expect(getCSeq(ack.message)).toEqual({ seq: 7, method: 'ACK' });
    expect(getTo(ack.message).params).toEqual([{ name: 'tag', value: 't1' }]);
    expect(r.actions.at(-1)).toEqual({ type: 'terminate' }); // Timer D = 0 on TCP
  });
  it('RFC 6026 Accepted: 2xx and forked 2xx go to the TU; Timer M = 64*T1 ends it; no ACK from the transaction', () => {
    const log = drive(createInviteClient(invite, 0, { reliable: false }), stepInviteClient, [
      [700, { type: 'response', message: resp(invite, 200) }],
      [900, { type: 'response', message: createResponse(invite, 200, undefined, [], { toTag: 'fork2' }) }],
    ]);
    expect(log.sends).toEqual([[0, 'INVITE'], [500, 'INVITE']]);
    expect(log.tu).toEqual([[700, '200'], [900, '200']]);
    expect(log.terminatedAt).toBe(700 + 32000);
  });
  it('transport error in Calling informs the TU', () => {
    const r = stepInviteClient(createInviteClient(invite, 0, { reliable: true }).state, { type: 'transport-error' }, 1);
    expect(r.actions.map((a) => a.type)).toEqual(['cancel-timer', 'cancel-timer', 'transport-error', 'terminate']);
  });
});

describe('INVITE server transaction (RFC 3261 17.2.1, RFC 6026)', () => {
  const invite = req('INVITE');
  it('sends 100 Trying at once and passes the INVITE up; a retransmission re-sends the last provisional', () => {
    const start = createInviteServer(invite, 0, { reliable: false });
    const log = drive(start, stepInviteServer, [
      [100, { type: 'request', message: invite }],
      [200, { type: 'send-response', message: resp(invite, 180) }],
      [300, { type: 'request', message: invite }],
    ], 1000);
    expect(log.sends).toEqual([[0, '100'], [100, '100'], [200, '180'], [300, '180']]);
    expect(log.tu).toEqual([[0, 'INVITE']]);
  });
  it('17.2.1 UDP 486 without ACK: re-sent at T1 doubling to T2 (500, 1500, 3500, 7500, 11500 ...), Timer H at 32 s', () => {
    const log = drive(createInviteServer(invite, 0, { reliable: false }), stepInviteServer, [[0, { type: 'send-response', message: resp(invite, 486) }]]);
    expect(log.sends.map(([t, l]) => `${String(t)}:${l}`)).toEqual(['0:100', '0:486', '500:486', '1500:486', '3500:486', '7500:486', '11500:486', '15500:486', '19500:486', '23500:486', '27500:486', '31500:486']);
    expect(log.timeouts).toEqual([[32000, 'H']]);
  });
  it('17.2.1 UDP 486 then ACK: Confirmed, Timer I = T4 absorbs ACKs, no more re-sends', () => {
    const ack = req('ACK');
    const log = drive(createInviteServer(invite, 0, { reliable: false }), stepInviteServer, [
      [0, { type: 'send-response', message: resp(invite, 486) }],
      [800, { type: 'request', message: ack }],
      [900, { type: 'request', message: ack }],
    ]);
    expect(log.sends).toEqual([[0, '100'], [0, '486'], [500, '486']]);
    expect(log.tu).toEqual([[0, 'INVITE']]);
    expect(log.terminatedAt).toBe(5800);
  });
  it('TCP 486: no re-sends; ACK terminates at once', () => {
    const log = drive(createInviteServer(invite, 0, { reliable: true, sendTrying: false }), stepInviteServer, [
      [0, { type: 'send-response', message: resp(invite, 486) }],
      [50, { type: 'request', message: req('ACK') }],
    ]);
    expect(log.sends).toEqual([[0, '486']]);
    expect(log.terminatedAt).toBe(50);
  });
  it('RFC 6026 Accepted: 2xx once, INVITE retransmissions absorbed, TU 2xx copies sent, ACK to TU, Timer L 32 s', () => {
    const ok = resp(invite, 200);
    const ack2xx = req('ACK', 'z9hG4bKnewbranch');
    const log = drive(createInviteServer(invite, 0, { reliable: false, sendTrying: false }), stepInviteServer, [
      [10, { type: 'send-response', message: ok }],
      [400, { type: 'request', message: invite }],
      [510, { type: 'send-response', message: ok }],
      [600, { type: 'request', message: ack2xx }],
    ]);
    expect(log.sends).toEqual([[10, '200'], [510, '200']]);
    expect(log.tu).toEqual([[0, 'INVITE'], [600, 'ACK']]);
    expect(log.terminatedAt).toBe(10 + 32000);
  });
});

describe('UAS 2xx retransmission (RFC 3261 13.3.1.4)', () => {
  const ok = resp(req('INVITE'), 200);
  const run = (reliable: boolean, ackAt: number | null): Array<[number, string]> => {
    const out: Array<[number, string]> = [];
    let r = startUas2xx(ok, 0, reliable);
    const timers = new Map<string, number>();
    for (;;) {
      for (const a of r.actions) {
        if (a.type === 'send') out.push([now(), '200']);
        else if (a.type === 'start-timer') timers.set(a.name, a.at);
        else if (a.type === 'cancel-timer') timers.delete(a.name);
        else out.push([now(), 'ack-timeout']);
      }
      if (r.state.state === 'done') return out;
      const [name, at] = [...timers].sort((a, b) => a[1] - b[1])[0] ?? ['none', Infinity];
      if (ackAt !== null && ackAt <= at) {
        clock = ackAt;
        ackAt = null;
        r = stepUas2xx(r.state, { type: 'ack' }, clock);
        continue;
      }
      timers.delete(name);
      clock = at;
      r = stepUas2xx(r.state, { type: 'timer', name: name as 'retransmit' | 'give-up' }, clock);
    }
    function now(): number {
      return clock;
    }
  };
  let clock = 0;
  it('UDP: re-sent at 500, 1500, 3500, 7500, 11500 ... until ACK', () => {
    clock = 0;
    expect(run(false, 8000)).toEqual([[500, '200'], [1500, '200'], [3500, '200'], [7500, '200']]);
  });
  it('UDP without ACK: gives up at 64*T1 = 32 s', () => {
    clock = 0;
    const out = run(false, null);
    expect(out.at(-1)).toEqual([32000, 'ack-timeout']);
    expect(out.filter(([, l]) => l === '200').map(([t]) => t)).toEqual([500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  });
  it('TCP: no re-sends, still gives up at 32 s', () => {
    clock = 0;
    expect(run(true, null)).toEqual([[32000, 'ack-timeout']]);
  });
});

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  const bye = req('BYE');
  it('UDP, no answer: 0, 500, 1500, 3500, 7500, then every T2 to Timer F at 32 s', () => {
    const log = drive(createNonInviteClient(bye, 0, { reliable: false }), stepNonInviteClient, []);
    expect(log.sends.map(([t]) => t)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(log.timeouts).toEqual([[32000, 'F']]);
  });
  it('TCP, no answer: one send, Timer F', () => {
    const log = drive(createNonInviteClient(bye, 0, { reliable: true }), stepNonInviteClient, []);
    expect(log.sends).toEqual([[0, 'BYE']]);
    expect(log.timeouts).toEqual([[32000, 'F']]);
  });
  it('provisional -> retransmit every T2; 200 -> Completed, Timer K = T4 absorbs retransmitted 200', () => {
    const ok = resp(bye, 200);
    const log = drive(createNonInviteClient(bye, 0, { reliable: false }), stepNonInviteClient, [
      [600, { type: 'response', message: resp(bye, 100) }],
      [9000, { type: 'response', message: ok }],
      [9100, { type: 'response', message: ok }],
    ]);
    expect(log.sends.map(([t]) => t)).toEqual([0, 500, 1500, 5500]);
    expect(log.tu).toEqual([[600, '100'], [9000, '200']]);
    expect(log.terminatedAt).toBe(14000);
  });
});

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  const opt = req('OPTIONS');
  it('UDP: Trying absorbs, final re-sent on retransmission, Timer J 64*T1', () => {
    const log = drive(createNonInviteServer(opt, 0, { reliable: false }), stepNonInviteServer, [
      [100, { type: 'request', message: opt }],
      [200, { type: 'send-response', message: resp(opt, 200) }],
      [700, { type: 'request', message: opt }],
    ]);
    expect(log.sends).toEqual([[200, '200'], [700, '200']]);
    expect(log.tu).toEqual([[0, 'OPTIONS']]);
    expect(log.terminatedAt).toBe(32200);
  });
  it('TCP: terminated as soon as the final is sent (Timer J = 0)', () => {
    const log = drive(createNonInviteServer(opt, 0, { reliable: true }), stepNonInviteServer, [[5, { type: 'send-response', message: resp(opt, 200) }]]);
    expect(log.terminatedAt).toBe(5);
  });
});

describe('transaction matching (RFC 3261 17.1.3, 17.2.3)', () => {
  it('ACK for a non-2xx matches its INVITE; ACK for a 2xx (new branch) does not; CANCEL is its own and finds its INVITE', () => {
    const invite = req('INVITE');
    expect(serverTransactionKey(req('ACK'))).toBe(serverTransactionKey(invite));
    expect(serverTransactionKey(req('ACK', 'z9hG4bKother'))).not.toBe(serverTransactionKey(invite));
    const cancel = req('CANCEL');
    expect(serverTransactionKey(cancel)).not.toBe(serverTransactionKey(invite));
    expect(cancelTargetKey(cancel)).toBe(serverTransactionKey(invite));
  });
  it('sent-by is part of the key; default port folds 5060', () => {
    const a = req('OPTIONS');
    const c = { ...a, headers: a.headers.map((h) => (h.name === 'Via' ? { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc' } : h)) };
    expect(serverTransactionKey(c)).toBe(serverTransactionKey(a));
    const d = { ...a, headers: a.headers.map((h) => (h.name === 'Via' ? { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKabc' } : h)) };
    expect(serverTransactionKey(d)).not.toBe(serverTransactionKey(a));
  });
  it('RFC 2543 / bare-cookie branches fall back to the request fields', () => {
    const a = req('OPTIONS', 'z9hG4bK');
    const b = req('OPTIONS', 'z9hG4bK');
    expect(serverTransactionKey(a)).toBe(serverTransactionKey(b));
    expect(serverTransactionKey(a).startsWith('2543|')).toBe(true);
  });
  it('client: response matches by branch and CSeq method', () => {
    const invite = req('INVITE');
    expect(clientTransactionKey(resp(invite, 200))).toBe(clientTransactionKey(invite));
    expect(clientTransactionKey(resp(req('CANCEL'), 200))).not.toBe(clientTransactionKey(invite));
  });
});
