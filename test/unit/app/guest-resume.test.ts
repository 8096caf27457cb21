/**
 * src/app/guest-resume.ts decisions that need no media: which stray re-INVITEs are refused how
 * (481 unknown, 503 + Retry-After when another live instance holds the room or keeps owning
 * the call), and what happens to a held guest call whose browser never comes back. Real memory
 * store; the backend and the lifecycle are recording fakes (pure decision logic).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../src/adapters/state/memory-state-store.ts';
import type { CallRecord } from '../../../src/core/call/call-record.ts';
import { GuestResumer, GUEST_RESUME_WINDOW_MS } from '../../../src/app/guest-resume.ts';
import type { CallServiceDeps } from '../../../src/app/call-service.ts';
import type { TimerDriver } from '../../../src/app/instance-lifecycle.ts';
import { LiveCalls } from '../../../src/app/live-calls.ts';
import type { IncomingStrayReinvite } from '../../../src/ports/signalling-backend.ts';
import { keyring, makeCall, makeInstance, makeLeg } from '../state/fixtures.ts';

const NOW = { t: 0 };
const clock = { now: () => NOW.t };

interface Rejection {
  readonly status: number;
  readonly warning: string | undefined;
  readonly retryAfter: number | undefined;
}

function guestCall(callId: string, owner: string, epoch = 1): CallRecord {
  const leg = makeLeg(`${callId}-leg1`);
  return makeCall(callId, owner, epoch, [{ ...leg, kind: 'webrtc', srtp: null, dtls: null }]);
}

function setup() {
  const store = new MemoryStateStore({ clock, keyring: keyring('k1') });
  const rejections: Rejection[] = [];
  const released: string[] = [];
  const tracked: string[] = [];
  const fired: (() => void)[] = [];
  const timers: TimerDriver = {
    after(ms, fn) {
      // waits inside onStray resolve at once; the hold window is fired by the test
      if (ms === GUEST_RESUME_WINDOW_MS) fired.push(fn);
      else setImmediate(fn);
      return () => undefined;
    },
  };
  const lifecycle = {
    ttlMs: 30,
    heartbeatIntervalMs: 10,
    draining: false,
    leaseValid: true,
    track: (callId: string) => void tracked.push(callId),
    release: (callId: string) => void released.push(callId),
  };
  const deps = {
    store,
    homes: store,
    instanceId: 'me',
    admission: { maxCalls: 10, retryAfterSeconds: 5, storeOutage: 'reject' },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => deps.logger },
    backend: {
      reject: async (_id: string, status: number, _reason: string, warning?: string, retryAfter?: number) => void rejections.push({ status, warning, retryAfter }),
    },
    lifecycle,
    wallclock: () => 1_700_000_000_000,
  } as unknown as CallServiceDeps;
  const resumer = new GuestResumer({ deps, calls: new LiveCalls(), timers, roomById: () => null, dropLocal: async () => undefined, watchDtls: () => undefined });
  const stray = (rec: CallRecord): IncomingStrayReinvite => ({
    requestId: 'tx1',
    dialogId: rec.legs[0]?.dialog?.dialogId ?? '',
    callId: rec.callId,
    from: '<sip:guest@example.invalid>;tag=rt1',
    to: '<sip:room-1@127.0.0.1>;tag=lt1',
    contentType: 'application/sdp',
    body: 'v=0\r\n',
    source: { transport: 'wss', remote: { address: '127.0.0.1', port: 50000, family: 'IPv4' }, local: { address: '127.0.0.1', port: 5063, family: 'IPv4' }, tlsPeer: undefined },
  });
  return { store, rejections, released, tracked, fired, resumer, stray, lifecycle };
}

describe('GuestResumer: stray re-INVITEs it must refuse', () => {
  it('481 for a call the store does not know, and for a call that is not a browser guest', async () => {
    const { store, rejections, resumer, stray } = setup();
    await resumer.onStray(stray(guestCall('nope', 'dead')));
    const sip = makeCall('sip1', 'dead');
    await store.put('call', sip, 'absent');
    await resumer.onStray(stray(sip));
    expect(rejections.map((r) => r.status)).toEqual([481, 481]);
  });

  it('503 with Retry-After 1 when another live instance holds the room: the page tries its next URL', async () => {
    const { store, rejections, resumer, stray } = setup();
    await store.heartbeat(makeInstance('other', 60_000));
    await store.heartbeat(makeInstance('dead', 60_000));
    expect(await store.claimHome('room-1', 'other')).toBe('other');
    const rec = guestCall('g1', 'dead');
    await store.put('call', rec, 'absent');
    await resumer.onStray(stray(rec));
    expect(rejections).toEqual([{ status: 503, warning: '399 gatehouse "the room is running on another instance"', retryAfter: 1 }]);
    expect((await store.get('call', 'g1'))?.value.owner).toBe('dead'); // not claimed
  });

  it('waits while the owner is alive, then refuses with 503 (the call runs elsewhere) and claims nothing', async () => {
    const { store, rejections, resumer, stray, tracked } = setup();
    await store.heartbeat(makeInstance('alive', 60_000));
    const rec = guestCall('g2', 'alive');
    await store.put('call', rec, 'absent');
    await resumer.onStray(stray(rec));
    expect(rejections.map((r) => [r.status, r.retryAfter])).toEqual([[503, 1]]);
    expect(tracked).toEqual([]);
    expect((await store.get('call', 'g2'))?.value).toMatchObject({ owner: 'alive', epoch: 1 });
    expect(await store.homeOf('room-1')).toBeNull(); // a guest at the wrong instance takes no room
  });

  it('503 with the configured Retry-After while this instance cannot take calls over (lease lapsed)', async () => {
    const { store, rejections, resumer, stray, lifecycle } = setup();
    lifecycle.leaseValid = false;
    const rec = guestCall('g3', 'dead');
    await store.put('call', rec, 'absent');
    await resumer.onStray(stray(rec));
    expect(rejections.map((r) => [r.status, r.retryAfter])).toEqual([[503, 5]]);
  });
});

describe('GuestResumer: a held guest call whose browser never comes back', () => {
  it('is ended after the window: record removed (fenced by our epoch), tracking released', async () => {
    const { store, resumer, fired, released } = setup();
    const rec = guestCall('g4', 'me', 2);
    await store.put('call', rec, 'absent');
    resumer.hold(rec, { owner: 'me', epoch: 2 });
    expect(fired).toHaveLength(1);
    fired[0]?.();
    await new Promise((r) => setImmediate(r));
    expect(await store.get('call', 'g4')).toBeNull();
    expect(released).toEqual(['g4']);
  });

  it('a newer hold of the same call cancels nothing it should not: an old window firing late does not end it', async () => {
    const { store, resumer, fired } = setup();
    const rec = guestCall('g5', 'me', 2);
    await store.put('call', rec, 'absent');
    resumer.hold(rec, { owner: 'me', epoch: 2 });
    resumer.close(); // shutdown: holds dropped, the record stays for another instance
    fired[0]?.();
    await new Promise((r) => setImmediate(r));
    expect((await store.get('call', 'g5'))?.value.owner).toBe('me');
  });
});
