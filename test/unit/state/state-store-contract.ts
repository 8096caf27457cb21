/**
 * The StateStore/InstanceRegistry/KeyRewrapper contract. Every adapter runs this same suite
 * (memory: test/unit/state/memory-state-store.test.ts, Redis:
 * test/integration/state/redis-state-store.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fenceVerdict } from '../../../src/core/call/fencing.ts';
import type { Keyring } from '../../../src/core/secrets/keyring.ts';
import type { InstanceRegistry, KeyRewrapper, RoomHomes, StateStore } from '../../../src/ports/state-store.ts';
import { keyring, leakForms, legSecrets, makeCall, makeInstance, makeLeg, makeRoom } from './fixtures.ts';

export type FullStore = StateStore & InstanceRegistry & KeyRewrapper & RoomHomes;

export interface Harness {
  readonly store: FullStore;
  /** Let the instance's heartbeat lapse (memory: advance the clock; Redis: wait for PX expiry). */
  lapse(instanceId: string, ttlMs: number): Promise<void>;
  /** Every stored value, as bytes, exactly as the backend holds it. */
  rawValues(): Promise<Buffer[]>;
  /** The same data seen through another keyring. */
  withKeyring(keyring: Keyring): Promise<FullStore>;
  close(): Promise<void>;
}

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );

export function stateStoreContract(name: string, open: (keyring: Keyring) => Promise<Harness>): void {
  describe(`StateStore contract: ${name}`, () => {
    let h: Harness | undefined;
    const start = async (kr: Keyring = keyring('k1')): Promise<Harness> => (h = await open(kr));
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('creates with expect absent, reads back the same plain data (bytes included)', async () => {
      const { store } = await start();
      const call = makeCall('c1', 'inst-a');
      expect(await store.put('call', call, 'absent')).toEqual({ ok: true, revision: 1 });
      expect(await store.get('call', 'c1')).toEqual({ value: call, revision: 1 });
      expect(await store.get('call', 'nope')).toBeNull();
      expect(await store.put('call', call, 'absent')).toEqual({ ok: false, reason: 'exists', current: { revision: 1, owner: 'inst-a', epoch: 1 } });
    });

    it('compare-and-set on revision: stale revision is a conflict, missing record is missing', async () => {
      const { store } = await start();
      await store.put('call', makeCall('c1', 'inst-a'), 'absent');
      const next = { ...makeCall('c1', 'inst-a'), state: 'migrating' as const };
      expect(await store.put('call', next, 1)).toEqual({ ok: true, revision: 2 });
      expect(await store.put('call', next, 1)).toEqual({ ok: false, reason: 'conflict', current: { revision: 2, owner: 'inst-a', epoch: 1 } });
      expect(await store.put('call', makeCall('c9', 'inst-a'), 3)).toEqual({ ok: false, reason: 'missing', current: null });
      expect(await store.put('call', next, 'any')).toEqual({ ok: true, revision: 3 });
      expect((await store.get('call', 'c1'))?.value.state).toBe('migrating');
    });

    it('every call write is fenced by the owner and epoch it carries, even with expect any', async () => {
      const { store } = await start();
      await store.put('call', makeCall('c1', 'inst-a'), 'absent');
      const fenced = { ok: false, reason: 'fenced', current: { revision: 1, owner: 'inst-a', epoch: 1 } };
      expect(await store.put('call', makeCall('c1', 'inst-b'), 'any')).toEqual(fenced);
      expect(await store.put('call', makeCall('c1', 'inst-a', 2), 1)).toEqual(fenced);
    });

    it('rooms: compare-and-set without fencing', async () => {
      const { store } = await start();
      expect(await store.put('room', makeRoom('r1', ['c1']), 'absent')).toEqual({ ok: true, revision: 1 });
      expect(await store.put('room', makeRoom('r1', ['c1', 'c2']), 1)).toEqual({ ok: true, revision: 2 });
      expect(await store.put('room', makeRoom('r1'), 1)).toEqual({ ok: false, reason: 'conflict', current: { revision: 2, owner: null, epoch: null } });
      expect(await store.get('room', 'r1')).toEqual({ value: makeRoom('r1', ['c1', 'c2']), revision: 2 });
      expect(await store.remove('room', 'r1', { expect: 2 })).toEqual({ ok: true, revision: 2 });
      expect(await store.get('room', 'r1')).toBeNull();
    });

    it('remove: needs a fence for calls, honours fence and revision, unindexes the owner', async () => {
      const { store } = await start();
      await store.put('call', makeCall('c1', 'inst-a'), 'absent');
      expect(await codeOf(store.remove('call', 'c1', { expect: 'any' }))).toBe('STATE_FENCE_REQUIRED');
      expect((await store.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-b', epoch: 1 } })).ok).toBe(false);
      expect(await store.remove('call', 'c1', { expect: 7, fence: { owner: 'inst-a', epoch: 1 } })).toMatchObject({ ok: false, reason: 'conflict' });
      expect(await store.remove('call', 'c1', { expect: 1, fence: { owner: 'inst-a', epoch: 1 } })).toEqual({ ok: true, revision: 1 });
      expect(await store.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-a', epoch: 1 } })).toEqual({ ok: false, reason: 'missing', current: null });
      expect(await store.listCalls({ owner: 'inst-a' })).toEqual([]);
    });

    it('rejects invalid records before writing anything', async () => {
      const { store } = await start();
      expect(await codeOf(store.put('call', { ...makeCall('c1', 'inst-a'), createdAt: -1 }, 'any'))).toBe('STATE_RECORD_INVALID');
      expect(await codeOf(store.put('call', makeCall('c1', 'inst-a', 0), 'any'))).toBe('STATE_BAD_EPOCH');
      expect(await codeOf(store.put('call', makeCall('has space', 'inst-a'), 'any'))).toBe('STATE_RECORD_INVALID');
      expect(await store.get('call', 'c1')).toBeNull();
    });

    it('lists calls by owner', async () => {
      const { store } = await start();
      for (const [id, owner] of [['c2', 'inst-a'], ['c1', 'inst-a'], ['c3', 'inst-b']] as const) await store.put('call', makeCall(id, owner), 'absent');
      expect((await store.listCalls({ owner: 'inst-a' })).map((c) => c.value.callId)).toEqual(['c1', 'c2']);
      expect((await store.listCalls({ owner: 'inst-b' })).map((c) => c.value.callId)).toEqual(['c3']);
      expect(await store.listCalls({ owner: 'inst-z' })).toEqual([]);
    });

    it('claim: owner and epoch compared atomically; winner gets epoch + 1; stale claims lose', async () => {
      const { store } = await start();
      const call = makeCall('c1', 'inst-a');
      await store.put('call', call, 'absent');
      expect(await store.claim('c1', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-b' })).toEqual({
        won: true,
        ownership: { owner: 'inst-b', epoch: 2 },
        revision: 2,
      });
      expect(await store.claim('c1', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-c' })).toEqual({
        won: false,
        reason: 'lost',
        current: { owner: 'inst-b', epoch: 2 },
      });
      expect(await store.claim('nope', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-c' })).toEqual({ won: false, reason: 'missing', current: null });
      const got = await store.get('call', 'c1');
      expect(got).toEqual({ value: { ...call, owner: 'inst-b', epoch: 2 }, revision: 2 });
      expect((await store.listCalls({ owner: 'inst-a' })).length).toBe(0);
      expect((await store.listCalls({ owner: 'inst-b' })).map((c) => c.value.callId)).toEqual(['c1']);
    });

    it('epoch fencing: the old owner learns it lost the call and can neither write nor end it', async () => {
      const { store } = await start();
      const mine = { owner: 'inst-a', epoch: 1 };
      await store.put('call', makeCall('c1', 'inst-a'), 'absent');
      expect(fenceVerdict((await store.get('call', 'c1'))?.value ?? null, mine)).toEqual({ kind: 'owner' });
      await store.claim('c1', { from: mine, to: 'inst-b' });
      const verdict = fenceVerdict((await store.get('call', 'c1'))?.value ?? null, mine);
      expect(verdict).toEqual({ kind: 'lost', current: { owner: 'inst-b', epoch: 2 } });
      expect(await store.put('call', { ...makeCall('c1', 'inst-a'), state: 'ending' }, 'any')).toMatchObject({ ok: false, reason: 'fenced' });
      expect(await store.remove('call', 'c1', { expect: 'any', fence: mine })).toMatchObject({ ok: false, reason: 'fenced' });
      // Claiming back is a new epoch, so even the same owner name with the old epoch stays fenced.
      await store.claim('c1', { from: { owner: 'inst-b', epoch: 2 }, to: 'inst-a' });
      expect(fenceVerdict((await store.get('call', 'c1'))?.value ?? null, mine)).toEqual({ kind: 'lost', current: { owner: 'inst-a', epoch: 3 } });
      await store.remove('call', 'c1', { expect: 'any', fence: { owner: 'inst-a', epoch: 3 } });
      expect(fenceVerdict((await store.get('call', 'c1'))?.value ?? null, mine)).toEqual({ kind: 'gone' });
    });

    it('heartbeats: listed while alive, gone after the TTL or leave', async () => {
      const { store, lapse } = await start();
      await store.heartbeat(makeInstance('inst-a', 60_000));
      await store.heartbeat(makeInstance('inst-b', 150));
      expect((await store.listInstances()).map((i) => i.instanceId)).toEqual(['inst-a', 'inst-b']);
      expect((await store.listInstances())[0]).toEqual(makeInstance('inst-a', 60_000));
      await lapse('inst-b', 150);
      expect((await store.listInstances()).map((i) => i.instanceId)).toEqual(['inst-a']);
      await store.leave('inst-a');
      expect(await store.listInstances()).toEqual([]);
    });

    it('room homes: the first live claimer keeps the room; a dead home is taken over; only the home clears it', async () => {
      const { store, lapse } = await start();
      await store.heartbeat(makeInstance('inst-a', 150));
      await store.heartbeat(makeInstance('inst-b', 60_000));
      await store.heartbeat(makeInstance('inst-c', 60_000));
      expect(await store.homeOf('r1')).toBeNull();
      expect(await store.claimHome('r1', 'inst-a')).toBe('inst-a');
      expect(await store.claimHome('r1', 'inst-b')).toBe('inst-a'); // alive: stays
      expect(await store.homeOf('r1')).toBe('inst-a');
      expect(await store.claimHome('r1', 'inst-a')).toBe('inst-a');
      await lapse('inst-a', 150);
      expect(await store.homeOf('r1')).toBeNull(); // a dead home is no home
      // two survivors at once: exactly one becomes the home, both are told which
      const [b, c] = await Promise.all([store.claimHome('r1', 'inst-b'), store.claimHome('r1', 'inst-c')]);
      expect(b).toBe(c);
      expect(['inst-b', 'inst-c']).toContain(b);
      const loser = b === 'inst-b' ? 'inst-c' : 'inst-b';
      await store.leaveHome('r1', loser); // not its home: nothing happens
      expect(await store.claimHome('r1', loser)).toBe(b);
      await store.leaveHome('r1', b);
      expect(await store.claimHome('r1', loser)).toBe(loser);
      expect(await store.claimHome('r2', 'inst-b')).toBe('inst-b'); // rooms are independent
    });

    it('heartbeat expiry -> the owner\'s calls are orphans; claim only-if-dead respects liveness', async () => {
      const { store, lapse } = await start();
      await store.heartbeat(makeInstance('inst-a', 150));
      await store.heartbeat(makeInstance('inst-b', 60_000));
      await store.put('call', makeCall('a1', 'inst-a'), 'absent');
      await store.put('call', makeCall('a2', 'inst-a'), 'absent');
      await store.put('call', makeCall('b1', 'inst-b'), 'absent');
      await store.put('call', makeCall('z1', 'inst-never-seen'), 'absent');
      expect((await store.listCalls({ orphaned: true })).map((c) => c.value.callId)).toEqual(['z1']);
      expect(await store.claim('a1', { from: { owner: 'inst-a', epoch: 1 }, to: 'inst-b', onlyIfOwnerDead: true })).toEqual({
        won: false,
        reason: 'owner-alive',
        current: { owner: 'inst-a', epoch: 1 },
      });
      await lapse('inst-a', 150);
      const orphans = await store.listCalls({ orphaned: true });
      expect(orphans.map((c) => [c.value.callId, c.value.owner, c.value.epoch])).toEqual([
        ['a1', 'inst-a', 1],
        ['a2', 'inst-a', 1],
        ['z1', 'inst-never-seen', 1],
      ]);
      for (const o of orphans) {
        expect(await store.claim(o.value.callId, { from: o.value, to: 'inst-b', onlyIfOwnerDead: true })).toMatchObject({ won: true });
      }
      expect(await store.listCalls({ orphaned: true })).toEqual([]);
      expect((await store.listCalls({ owner: 'inst-b' })).map((c) => c.value.callId)).toEqual(['a1', 'a2', 'b1', 'z1']);
    });

    it('stores no SRTP key, salt or DTLS private key in any recognisable form', async () => {
      const { store, rawValues } = await start();
      const secrets = [legSecrets(), legSecrets()];
      await store.put('call', makeCall('c1', 'inst-a', 1, [makeLeg('l1', secrets[0]), makeLeg('l2', secrets[1])]), 'absent');
      const raw = Buffer.concat(await rawValues());
      expect(raw.includes(Buffer.from('c1-leg1@127.0.0.1')) || raw.includes(Buffer.from('l1@127.0.0.1'))).toBe(true); // control: plain data is there
      for (const s of secrets) for (const form of leakForms(s)) expect(raw.includes(form.bytes), form.label).toBe(false);
      expect(raw.includes(Buffer.from('inline:'))).toBe(false);
    });

    it('key rotation: old key id readable until rotated, afterwards only the new key is needed', async () => {
      const harness = await start(keyring('k1'));
      const s = legSecrets();
      await harness.store.put('call', makeCall('c1', 'inst-a', 1, [makeLeg('l1', s)]), 'absent');
      await harness.store.put('call', makeCall('c2', 'inst-a'), 'absent');
      await harness.store.put('room', makeRoom('r1'), 'absent');
      const newOnlyBefore = await harness.withKeyring(keyring('k2'));
      expect(await codeOf(newOnlyBefore.get('call', 'c1'))).toBe('SECRET_UNKNOWN_KEY_ID');
      const both = await harness.withKeyring(keyring('k2', 'k1'));
      expect((await both.get('call', 'c1'))?.value.legs[0]?.srtp?.local.masterKey).toEqual(s.localKey);
      expect(await both.rewrapAll()).toEqual({ scanned: 3, rewrapped: 2, alreadyCurrent: 0, withoutSecrets: 1, retried: 0, failed: [] });
      expect(await both.rewrapAll()).toEqual({ scanned: 3, rewrapped: 0, alreadyCurrent: 2, withoutSecrets: 1, retried: 0, failed: [] });
      const onlyNew = await harness.withKeyring(keyring('k2'));
      expect((await onlyNew.get('call', 'c1'))?.value.legs[0]?.srtp?.local.masterKey).toEqual(s.localKey);
      expect(await onlyNew.get('call', 'c1')).toMatchObject({ revision: 1 }); // rotation does not bump revisions
      const onlyOld = await harness.withKeyring(keyring('k1'));
      expect(await codeOf(onlyOld.get('call', 'c1'))).toBe('SECRET_UNKNOWN_KEY_ID');
      const raw = Buffer.concat(await harness.rawValues());
      expect(raw.includes(Buffer.from('"kid":"k1"'))).toBe(false);
      expect(raw.includes(Buffer.from('"kid":"k2"'))).toBe(true);
    });

    it('rotation reports records it cannot unwrap instead of stopping', async () => {
      const harness = await start(keyring('k1'));
      await harness.store.put('call', makeCall('c1', 'inst-a'), 'absent');
      const stranger = await harness.withKeyring(keyring('k3'));
      expect(await stranger.rewrapAll()).toMatchObject({ scanned: 1, rewrapped: 0, failed: [{ code: 'SECRET_UNKNOWN_KEY_ID' }] });
    });
  });
}
