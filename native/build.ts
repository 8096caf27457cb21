/**
 * Builds the native addons into dist/native/: the SRTP primitives (native/srtp-crypto.c ->
 * srtp-crypto.node) and the batched media sockets (native/media-udp.c -> media-udp.node, Linux):
 * `node native/build.ts` (npm script `build:native`; `npm ci` runs it through `prepare`).
 *
 * It needs a C compiler (`cc`, or $CC) and Node's own headers (include/node next to the node
 * binary: Node-API and the OpenSSL headers of the OpenSSL built into Node, whose symbols the
 * addon uses). No node-gyp and no download: the headers ship with the official Node builds.
 *
 * Without a compiler or headers the gateway still runs, on node:crypto (`media.srtp_engine:
 * auto` says so at start-up; media sockets on node:dgram, `media.socket_engine: auto`), so a
 * failed build only warns, unless it must not fail: `--required`, or CI=true, where a missing
 * native engine would leave its tests unexercised.
 *
 * Usage: node native/build.ts [--out-dir DIR] [--required]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_NATIVE_DIR = resolve(here, '..', 'dist', 'native');
/** The addons: C sources in native/, output name in the output directory. */
export const NATIVE_ADDONS = [
  { name: 'SRTP engine', sources: [join(here, 'srtp-crypto.c')], file: 'srtp-crypto.node', needs: join('openssl', 'evp.h') },
  {
    name: 'media sockets',
    sources: ['media-udp.c', 'media-udp-send.c', 'media-udp-recv.c'].map((f) => join(here, f)),
    file: 'media-udp.node',
    needs: 'uv.h',
  },
] as const;

/** Node's header directory for the running binary (official builds: <prefix>/include/node). */
export function nodeHeaderDir(execPath: string = process.execPath): string {
  return join(dirname(dirname(execPath)), 'include', 'node');
}

export function buildNative(sources: readonly string[], out: string, needs: string): void {
  const headers = nodeHeaderDir();
  for (const h of ['node_api.h', needs]) {
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
    `-I${headers}`, ...sources, '-o', tmp,
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
  const dirArg = argv[argv.indexOf('--out-dir') + 1];
  const dir = argv.includes('--out-dir') && dirArg !== undefined ? resolve(dirArg) : DEFAULT_NATIVE_DIR;
  const required = argv.includes('--required') || process.env.CI === 'true';
  let failed = false;
  for (const addon of NATIVE_ADDONS) {
    const out = join(dir, addon.file);
    try {
      if (addon.file === 'media-udp.node' && process.platform !== 'linux') throw new Error('epoll/recvmmsg are Linux only');
      buildNative(addon.sources, out, addon.needs);
      process.stdout.write(`native ${addon.name} built: ${out}\n`);
    } catch (err) {
      const msg = (err as Error).message;
      failed = true;
      if (required) {
        process.stderr.write(`native ${addon.name} NOT built: ${msg}\n`);
        continue;
      }
      process.stderr.write(
        `warning: native ${addon.name} not built: ${msg}.\n` +
          '  Gatehouse still works without it (media.srtp_engine / media.socket_engine: auto use node:crypto / node:dgram), at a far lower packet rate per core.\n' +
          '  Install a C compiler (Debian: apt-get install gcc libc6-dev) and run `npm run build:native`.\n',
      );
    }
  }
  if (failed && required) process.exit(1);
}
