/**
 * libsrtp2 as an independent SRTP implementation for media tests: compiles the oracle the SRTP
 * interop test uses (test/interop/srtp/srtp-helper.c, one session per run, hex lines on stdin)
 * and protects or unprotects a batch of packets with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SrtpSuiteName } from '../../src/core/srtp/index.ts';

const INSTALL = 'install with: apt-get install libsrtp2-dev build-essential';
const SOURCE = fileURLToPath(new URL('../interop/srtp/srtp-helper.c', import.meta.url));

export class Libsrtp {
  private readonly dir: string;
  private readonly binary: string;

  private constructor(dir: string, binary: string) {
    this.dir = dir;
    this.binary = binary;
  }

  /** Compiles the helper; throws with the install line when libsrtp2 or a compiler is missing. */
  static compile(): Libsrtp {
    if (!existsSync('/usr/include/srtp2/srtp.h')) throw new Error(`libsrtp2 headers missing (/usr/include/srtp2/srtp.h); ${INSTALL}`);
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-media-srtp-'));
    const binary = join(dir, 'srtp-helper');
    const cc = spawnSync('cc', ['-O1', '-Wall', '-o', binary, SOURCE, '-lsrtp2'], { encoding: 'utf8' });
    if (cc.error !== undefined || cc.status !== 0) throw new Error(`cannot compile the libsrtp2 helper: ${cc.error?.message ?? cc.stderr}; ${INSTALL}`);
    return new Libsrtp(dir, binary);
  }

  /** Runs one libsrtp session over `packets` (RTP when rtcp is false); returns hex or "ERR n" per packet. */
  run(suite: SrtpSuiteName, mode: 'protect' | 'unprotect', keyAndSalt: Buffer, packets: readonly Uint8Array[], rtcp = false): string[] {
    const lines = packets.map((p) => `${rtcp ? 'C' : 'R'} ${Buffer.from(p).toString('hex')}`);
    const r = spawnSync(this.binary, [suite, mode, keyAndSalt.toString('hex')], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`srtp-helper failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim().split('\n');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
