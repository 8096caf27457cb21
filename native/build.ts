/**
 * Builds the native SRTP primitives (native/srtp-crypto.c) into dist/native/srtp-crypto.node:
 * `node native/build.ts` (npm script `build:native`; `npm ci` runs it through `prepare`).
 *
 * It needs a C compiler (`cc`, or $CC) and Node's own headers (include/node next to the node
 * binary: Node-API and the OpenSSL headers of the OpenSSL built into Node, whose symbols the
 * addon uses). No node-gyp and no download: the headers ship with the official Node builds.
 *
 * Without a compiler or headers the gateway still runs, on node:crypto (`media.srtp_engine:
 * auto` says so at start-up), so a failed build only warns, unless it must not fail:
 * `--required`, or CI=true, where a missing native engine would leave its tests unexercised.
 *
 * Usage: node native/build.ts [--out FILE] [--required]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const NATIVE_SOURCE = join(here, 'srtp-crypto.c');
export const DEFAULT_NATIVE_OUT = resolve(here, '..', 'dist', 'native', 'srtp-crypto.node');

/** Node's header directory for the running binary (official builds: <prefix>/include/node). */
export function nodeHeaderDir(execPath: string = process.execPath): string {
  return join(dirname(dirname(execPath)), 'include', 'node');
}

export function buildNative(out: string = DEFAULT_NATIVE_OUT): void {
  const headers = nodeHeaderDir();
  for (const h of ['node_api.h', join('openssl', 'evp.h')]) {
    if (!existsSync(join(headers, h))) {
      throw new Error(`Node's headers are missing (${join(headers, h)}): use an official Node build (it ships include/node)`);
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const cc = process.env.CC ?? 'cc';
  const args = [
    '-O2', '-std=c11', '-fPIC', '-shared', '-fvisibility=hidden',
    '-Wall', '-Wextra', '-Wno-unused-parameter',
    // hardening: the addon parses lengths from JavaScript
    '-fstack-protector-strong', '-D_FORTIFY_SOURCE=2', '-Wl,-z,relro,-z,now',
    `-I${headers}`, NATIVE_SOURCE, '-o', tmp,
  ];
  try {
    execFileSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `no C compiler '${cc}' (install gcc, or set CC)` : `${cc} failed (see its output above)`, { cause: err });
  }
  renameSync(tmp, out); // atomic: a running gateway never loads a half-written file
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const outArg = argv[argv.indexOf('--out') + 1];
  const out = argv.includes('--out') && outArg !== undefined ? resolve(outArg) : DEFAULT_NATIVE_OUT;
  const required = argv.includes('--required') || process.env.CI === 'true';
  try {
    buildNative(out);
    process.stdout.write(`native SRTP engine built: ${out}\n`);
  } catch (err) {
    const msg = (err as Error).message;
    if (required) {
      process.stderr.write(`native SRTP engine NOT built: ${msg}\n`);
      process.exit(1);
    }
    process.stderr.write(
      `warning: native SRTP engine not built: ${msg}.\n` +
        '  Gatehouse still works on node:crypto (media.srtp_engine: auto), at a far lower packet rate per core.\n' +
        '  Install a C compiler (Debian: apt-get install gcc libc6-dev) and run `npm run build:native`.\n',
    );
  }
}
