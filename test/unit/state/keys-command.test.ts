import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../src/adapters/state/memory-state-store.ts';
import { registerKeysCommands } from '../../../src/cli/keys-command.ts';
import type { RewrapReport } from '../../../src/ports/state-store.ts';
import { keyring, makeCall, makeRoom } from './fixtures.ts';

function program(store: MemoryStateStore) {
  const out: string[] = [];
  const err: string[] = [];
  let closed = 0;
  const p = new Command('gatehouse').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerKeysCommands(p, {
    openRewrapper: async () => Object.assign(Object.create(null) as object, { rewrapAll: () => store.rewrapAll(), close: async () => void (closed += 1) }),
    print: (line) => out.push(line),
  });
  return { p, out, err, closed: () => closed };
}

describe('gatehouse keys rotate / generate', () => {
  it('re-wraps every record under the active key and prints the counts', async () => {
    const old = new MemoryStateStore({ clock: { now: () => 0 }, keyring: keyring('k1') });
    await old.put('call', makeCall('c1', 'a'), 'absent');
    await old.put('call', makeCall('c2', 'a'), 'absent');
    await old.put('room', makeRoom('r1'), 'absent');
    const rotated = old.withKeyring(keyring('k2', 'k1'));
    const run = program(rotated);
    await run.p.parseAsync(['keys', 'rotate'], { from: 'user' });
    expect(run.out).toEqual(['scanned 3, rewrapped 2, already current 0, without secrets 1, retried 0, failed 0']);
    expect(run.closed()).toBe(1);
    // The old key can go now.
    expect((await old.withKeyring(keyring('k2')).get('call', 'c1'))?.value.callId).toBe('c1');

    const again = program(rotated);
    await again.p.parseAsync(['keys', 'rotate', '--json'], { from: 'user' });
    expect(JSON.parse(again.out[0] ?? '') as RewrapReport).toEqual({ scanned: 3, rewrapped: 0, alreadyCurrent: 2, withoutSecrets: 1, retried: 0, failed: [] });
  });

  it('exits 1 and names the records it could not re-wrap', async () => {
    const old = new MemoryStateStore({ clock: { now: () => 0 }, keyring: keyring('k1') });
    await old.put('call', makeCall('c1', 'a'), 'absent');
    const run = program(old.withKeyring(keyring('k3')));
    const failure = await run.p.parseAsync(['keys', 'rotate'], { from: 'user' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(CommanderError);
    expect((failure as CommanderError).exitCode).toBe(1);
    expect(run.out).toEqual(['scanned 1, rewrapped 0, already current 0, without secrets 0, retried 0, failed 1', 'failed call/c1 SECRET_UNKNOWN_KEY_ID']);
    expect(run.err.join('')).toContain('keep the old key');
  });

  it('generate prints a fresh 32-byte key in base64', async () => {
    const run = program(new MemoryStateStore({ clock: { now: () => 0 } }));
    await run.p.parseAsync(['keys', 'generate'], { from: 'user' });
    await run.p.parseAsync(['keys', 'generate'], { from: 'user' });
    expect(run.out).toHaveLength(2);
    for (const line of run.out) expect(Buffer.from(line, 'base64')).toHaveLength(32);
    expect(run.out[0]).not.toBe(run.out[1]);
  });
});
