import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { KeyRewrapper, RewrapReport } from '../ports/state-store.ts';

/**
 * `gatehouse keys ...`: key-encryption key management for secrets at rest (issue 7).
 *
 *   gatehouse keys rotate [--json]   re-wrap every record's data key under the active key id
 *   gatehouse keys generate          print a fresh random 32-byte KEK (base64) to stdout
 *
 * Rotation procedure: add the new key to the keyring and make it active (old key kept), roll
 * the instances, run `keys rotate` until it reports 0 failed, then drop the old key.
 * The composition root supplies the store opened with the configured keyring.
 */
export interface KeysCommandDeps {
  openRewrapper(): Promise<KeyRewrapper & { close(): Promise<void> }>;
  /** Command output (stdout in main.ts). Never receives key material except from `generate`. */
  print(line: string): void;
}

export function formatRewrapReport(r: RewrapReport): string[] {
  return [
    `scanned ${r.scanned}, rewrapped ${r.rewrapped}, already current ${r.alreadyCurrent}, without secrets ${r.withoutSecrets}, retried ${r.retried}, failed ${r.failed.length}`,
    ...r.failed.map((f) => `failed ${f.key} ${f.code}`),
  ];
}

export function registerKeysCommands(program: Command, deps: KeysCommandDeps): Command {
  const keys = program.command('keys').description('manage key-encryption keys for secrets at rest');

  keys
    .command('rotate')
    .description('re-wrap all stored records under the active key id (SCAN + per-record compare-and-set)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const store = await deps.openRewrapper();
      let report: RewrapReport;
      try {
        report = await store.rewrapAll();
      } finally {
        await store.close();
      }
      if (opts.json) deps.print(JSON.stringify(report));
      else for (const line of formatRewrapReport(report)) deps.print(line);
      if (report.failed.length > 0) {
        cmd.error(`${report.failed.length} record(s) not re-wrapped; keep the old key until a rerun reports 0 failed`, {
          exitCode: 1,
          code: 'gatehouse.keys.rotate.failed',
        });
      }
    });

  keys
    .command('generate')
    .description('print a new random 256-bit key-encryption key (base64) for the keyring')
    .action(() => {
      deps.print(randomBytes(32).toString('base64'));
    });

  return keys;
}
