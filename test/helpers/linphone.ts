/**
 * linphone (Debian `linphone-cli`, linphonec 5.1) as a second, independent SRTP stack for
 * integration tests, and the loopback-only network namespace it must run in.
 *
 * Why a namespace: linphonec advertises the address of the default-route interface (eth0) in
 * its Contact and SDP; in a namespace that has only `lo` it advertises 127.0.0.1, so every
 * packet stays on a loopback the test created. Whatever talks to it (the gateway) runs in the
 * same namespace.
 *
 *   const ns = await Netns.create();              `ip netns add gh-test-<pid>-<n>`, lo up; throws
 *                                                  with the reason (and what is needed) if the
 *                                                  kernel/container does not allow it
 *   ns.spawn(cmd, args, opts)                      `ip netns exec <ns> cmd args...`
 *   await ns.delete()                              ends what is left of OUR processes in it, deletes it
 *
 *   const l = await Linphone.start({ netns: ns, sipPort: 5090, rtpPort: 41000, play: wavPath });
 *   await l.call('sip:lobby@127.0.0.1:5060')      sends `call`; returns at once
 *   await l.waitOutput(/Call \d+ with .* connected\./)   linphonec's own console lines
 *   l.output / l.log()                             console output / debug log (-d 6, a file)
 *   l.recorded()                                   { rate, pcm }: what linphone DECODED from
 *                                                  the call ('record' file of files mode)
 *   await l.terminate(); await l.stop()            hang up; quit (kill if needed), remove dir
 *
 * Audio without a sound card: `soundcard use files` makes linphone send the WAV given by
 * `play <file>` (looped) and write what it receives to `record <file>` (a WAV at the stream's
 * internal rate, 48 kHz for Opus). Media encryption comes from the config:
 * `[sip] media_encryption=srtp|dtls` with `media_encryption_mandatory=1`; linphone's SDES offer
 * lists AES_CM_128_HMAC_SHA1_80/_32 and AES_256_CM_HMAC_SHA1_80/_32 (its default
 * `srtp_crypto_suites`; no GCM). Each instance gets its own HOME (liblinphone refuses to start
 * its core when it cannot create ~/.local/share/linphone/linphone.db) and config file.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requireLinphone(): void {
  if (spawnSync('linphonec', ['-v'], { stdio: 'ignore' }).error !== undefined) {
    throw new Error('linphonec is not installed; install with: apt-get install linphone-cli');
  }
}

let netnsCount = 0;

export class Netns {
  readonly name: string;
  private readonly children = new Set<ChildProcess>();

  private constructor(name: string) {
    this.name = name;
  }

  static async create(name = `gh-test-${process.pid}-${++netnsCount}`): Promise<Netns> {
    // a namespace of ours left by a crashed earlier run with the same pid: start clean
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
    if (add.error !== undefined || add.status !== 0) {
      const why = add.error?.message ?? add.stderr.trim();
      throw new Error(`cannot create network namespace ${name}: ${why}. This test needs \`ip netns\` (iproute2) and root or CAP_SYS_ADMIN; in a container run it with --cap-add SYS_ADMIN (or --privileged).`);
    }
    const up = spawnSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (up.status !== 0) {
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      throw new Error(`cannot bring lo up in network namespace ${name}: ${up.error?.message ?? up.stderr.trim()}`);
    }
    return new Netns(name);
  }

  spawn(command: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, command, ...args], opts);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async delete(): Promise<void> {
    // only processes this object started (ip netns exec execs them: same pid)
    await Promise.all(
      [...this.children].map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await gone;
      }),
    );
    const del = spawnSync('ip', ['netns', 'del', this.name], { encoding: 'utf8' });
    if (del.status !== 0) throw new Error(`cannot delete network namespace ${this.name}: ${del.stderr.trim()}`);
  }
}

export interface LinphoneOptions {
  /** Run inside this namespace (needed unless the host has only loopback). */
  readonly netns?: Netns;
  readonly sipPort: number;
  /** Audio RTP port (RTCP on +1: linphone does not offer rtcp-mux). */
  readonly rtpPort: number;
  /** WAV file sent as the microphone (mono 16-bit). */
  readonly play: string;
  /** Default 'srtp' (SDES). */
  readonly mediaEncryption?: 'srtp' | 'dtls';
  /** More `[sip]` settings of the linphonerc, e.g. `{ keep_srtp_keys: 0 }` (new SDES keys in every re-INVITE). */
  readonly sipConfig?: Readonly<Record<string, string | number>>;
}

export class Linphone {
  readonly dir: string;
  readonly recordPath: string;
  output = '';
  private readonly proc: ChildProcess;
  private exited = false;

  private constructor(dir: string, proc: ChildProcess) {
    this.dir = dir;
    this.recordPath = join(dir, 'received.wav');
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.once('exit', () => (this.exited = true));
  }

  static async start(o: LinphoneOptions): Promise<Linphone> {
    requireLinphone();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-linphone-'));
    mkdirSync(join(dir, 'home', '.local', 'share', 'linphone'), { recursive: true });
    const rc = join(dir, 'linphonerc');
    writeFileSync(
      rc,
      [
        '[sip]',
        `sip_port=${o.sipPort}`,
        'sip_tcp_port=0',
        'sip_tls_port=0',
        `media_encryption=${o.mediaEncryption ?? 'srtp'}`,
        'media_encryption_mandatory=1',
        ...Object.entries(o.sipConfig ?? {}).map(([k, v]) => `${k}=${v}`),
        '[rtp]',
        `audio_rtp_port=${o.rtpPort}`,
        '[sound]',
        'echocancellation=0',
        '',
      ].join('\n'),
    );
    const args = ['-c', rc, '-d', '6', '-l', join(dir, 'linphone.log')];
    const opts: SpawnOptions = { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: join(dir, 'home') } };
    const proc = o.netns ? o.netns.spawn('linphonec', args, opts) : spawn('linphonec', args, opts);
    const l = new Linphone(dir, proc);
    l.send('soundcard use files');
    await l.waitOutput(/Using wav files instead of soundcard/, 20_000);
    l.send(`play ${o.play}`);
    l.send(`record ${l.recordPath}`);
    return l;
  }

  send(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  call(uri: string): void {
    this.send(`call ${uri}`);
  }

  terminate(): void {
    this.send('terminate');
  }

  /** Resolves with the match once linphonec's console output matches `re`. */
  async waitOutput(re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
    const deadline = performance.now() + ms;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.exited || performance.now() > deadline) {
        throw new Error(`linphonec: no output matching ${String(re)}${this.exited ? ' (it exited)' : ''}; output:\n${this.output.slice(-3000)}\nlog tail:\n${this.log().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** liblinphone's debug log (SIP messages as sent/received, media set-up). */
  log(): string {
    const f = join(this.dir, 'linphone.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /**
   * What linphone decoded from the call so far (its 'record' WAV). mediastreamer's MSFileRec
   * writes the 44-octet WAV header only when it closes the file; while the call runs the header
   * is zeros and the rate comes from its log ("configuring X-->MSFileRec from rate [a] to rate [b]").
   */
  recorded(): { readonly rate: number; readonly pcm: Int16Array } {
    if (!existsSync(this.recordPath)) return { rate: 0, pcm: new Int16Array(0) };
    const wav = readFileSync(this.recordPath);
    let rate: number;
    let channels = 1;
    let dataAt = 44;
    if (wav.subarray(0, 4).toString('latin1') === 'RIFF') {
      const fmt = wav.indexOf('fmt ');
      const data = wav.indexOf('data');
      if (fmt < 0 || data < 0) return { rate: 0, pcm: new Int16Array(0) };
      channels = wav.readUInt16LE(fmt + 10);
      rate = wav.readUInt32LE(fmt + 12);
      dataAt = data + 8;
    } else {
      const m = [...this.log().matchAll(/-->MSFileRec:\S+ from rate \[\d+\] to rate \[(\d+)\]/g)].pop();
      rate = Number(m?.[1] ?? 0);
    }
    if (rate === 0 || wav.length <= dataAt) return { rate, pcm: new Int16Array(0) };
    const bytes = wav.subarray(dataAt);
    const frames = Math.floor(bytes.length / (2 * channels));
    const pcm = new Int16Array(frames);
    for (let i = 0; i < frames; i++) pcm[i] = bytes.readInt16LE(2 * channels * i);
    return { rate, pcm };
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      this.send('quit');
      const deadline = performance.now() + 5000;
      while (!this.exited && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (!this.exited) {
        const gone = new Promise((r) => this.proc.once('exit', r));
        this.proc.kill('SIGKILL');
        await gone;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
