/**
 * src/app/inbound-refresh.ts + call-records.ts: the peer's SRTP indexes are re-stored only
 * when a stream's ROC changed, it moved 2^14 packets (RFC 3711 Appendix A guesses the ROC
 * right within 2^15) or went backwards (a re-key restarted it); frozen or never-stored calls
 * are skipped.
 */
import { describe, expect, it } from 'vitest';
import { INBOUND_REFRESH_PACKETS, inboundMoved } from '../../../src/app/call-records.ts';
import { refreshInbound } from '../../../src/app/inbound-refresh.ts';
import type { LiveCall } from '../../../src/app/live-calls.ts';
import type { InboundIndex } from '../../../src/ports/media-plane.ts';
import { makeCall, makeLeg } from '../state/fixtures.ts';

describe('inboundMoved', () => {
  const stored = [{ ssrc: 7, index: 100_000 }];
  it.each([
    { name: 'nothing stored, still at ROC 0: a new owner starts right', stored: undefined, live: [{ ssrc: 7, index: 5 }], moved: false },
    { name: 'nothing stored, past a wrap', stored: undefined, live: [{ ssrc: 7, index: 0x10000 + 5 }], moved: true },
    { name: 'the ROC changed (a wrap since the last write)', stored: [{ ssrc: 7, index: 0xfff0 }], live: [{ ssrc: 7, index: 0x10002 }], moved: true },
    { name: 'moved less than 2^14', stored, live: [{ ssrc: 7, index: 100_000 + INBOUND_REFRESH_PACKETS - 1 }], moved: false },
    { name: 'moved 2^14', stored, live: [{ ssrc: 7, index: 100_000 + INBOUND_REFRESH_PACKETS }], moved: true },
    { name: 'a new SSRC past a wrap', stored, live: [{ ssrc: 8, index: 0x20001 }], moved: true },
    { name: 'went backwards (new context after a re-key)', stored, live: [{ ssrc: 7, index: 99_999 }], moved: true },
  ])('$name -> $moved', ({ stored: s, live, moved }) => {
    expect(inboundMoved(s, live)).toBe(moved);
  });
});

describe('refreshInbound', () => {
  function call(id: string, live: InboundIndex[] | undefined, stored: InboundIndex[] | undefined, over: Partial<LiveCall> = {}): LiveCall {
    const leg = { ...makeLeg(`${id}-leg`), ...(stored ? { inbound: stored } : {}) };
    return {
      dialogId: id, callId: id, record: makeCall(id, 'me', 1, [leg]), frozen: false,
      leg: { id: `${id}-leg`, updateDirection: () => undefined, rekey: () => undefined, ...(live ? { inboundIndexes: () => live } : {}) },
      ...over,
    } as unknown as LiveCall;
  }

  it('stores exactly the calls whose streams moved, with their live indexes', async () => {
    const written: [string, readonly InboundIndex[]][] = [];
    const calls = [
      call('moved', [{ ssrc: 1, index: 70_000 }], [{ ssrc: 1, index: 65_000 }]),
      call('still', [{ ssrc: 1, index: 10 }], [{ ssrc: 1, index: 1 }]),
      call('frozen', [{ ssrc: 1, index: 70_000 }], undefined, { frozen: true }),
      call('unstored', [{ ssrc: 1, index: 70_000 }], undefined, { record: null }),
      call('no-srtp-state', undefined, undefined),
    ];
    const n = await refreshInbound({ calls: () => calls, store: async (c, inbound) => void written.push([c.callId, inbound]) });
    expect(n).toBe(1);
    expect(written).toEqual([['moved', [{ ssrc: 1, index: 70_000 }]]]);
  });

  it('retries the first write of a call the store could not take at set-up, and nothing else for it', async () => {
    const late: string[] = [];
    const written: string[] = [];
    const pending = call('pending', [{ ssrc: 1, index: 70_000 }], undefined, { record: null, unstored: { remoteSdp: 'v=0\r\n', localPort: 40000 } });
    await refreshInbound({
      calls: () => [pending],
      store: async (c) => void written.push(c.callId),
      storeLate: async (c, u) => void late.push(`${c.callId}:${String(u.localPort)}`),
    });
    expect(late).toEqual(['pending:40000']);
    expect(written).toEqual([]);
  });
});
