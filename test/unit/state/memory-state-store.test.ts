import { MemoryStateStore } from '../../../src/adapters/state/memory-state-store.ts';
import { stateStoreContract } from './state-store-contract.ts';

stateStoreContract('memory', async (keyring) => {
  let now = 1_000;
  const clock = { now: () => now };
  const store = new MemoryStateStore({ clock, keyring });
  return {
    store,
    lapse: async (_id, ttlMs) => {
      now += ttlMs;
    },
    rawValues: async () => store.rawEntries().map((t) => Buffer.from(t)),
    withKeyring: async (kr) => store.withKeyring(kr),
    close: async () => undefined,
  };
});
