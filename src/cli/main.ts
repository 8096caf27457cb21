/** Process entry for the `gatehouse` binary: the only place that reads argv, env and exits. */
import { readFileSync } from 'node:fs';
import { runCli } from './program.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  version: pkg.version,
});
process.exitCode = code;
// let stdout drain, then leave even if a library left a handle open
setImmediate(() => process.exit(code));
