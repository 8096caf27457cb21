/**
 * The real `gatehouse` binary inside a loopback-only network namespace (for tests with
 * linphone, which must run in one: test/helpers/linphone.ts), with its JSON log lines
 * collected, and what a test needs around it there: a redis-server for takeover, tone WAVs, and
 * how much of a tone linphone really decoded.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toneFraction } from '../../../helpers/audio-analysis.ts';
import { writeWav } from '../../../helpers/baresip.ts';
import { GATEHOUSE_BIN } from '../../../helpers/gatehouse-process.ts';
import type { Linphone, Netns } from '../../../helpers/linphone.ts';

export function requireTool(bin: string, args: readonly string[], pkg: string): void {
  if (spawnSync(bin, args, { stdio: 'ignore' }).error !== undefined) throw new Error(`${bin} not found; install with: apt-get install ${pkg}`);
}

export interface NetnsGatewayOptions {
  readonly name: string;
  readonly sipPort: number;
  /** First of 200 media ports (SDES legs); WebRTC ports are 10000 above. */
  readonly mediaBase: number;
  readonly rooms: readonly string[];
  /** Extra top-level YAML lines (e.g. a `state:` block). */
  readonly extraYaml?: readonly string[];
}

export type LogLine = Record<string, unknown>;

export class NetnsGateway {
  readonly lines: LogLine[] = [];
  out = '';
  private readonly proc: ChildProcess;
  private partial = '';

  private constructor(proc: ChildProcess) {
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.partial += d.toString();
      const parts = this.partial.split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          /* not a log line */
        }
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static async start(netns: Netns, dir: string, o: NetnsGatewayOptions): Promise<NetnsGateway> {
    const config = join(dir, `gatehouse-${o.name}.yaml`);
    writeFileSync(
      config,
      [
        'log: { level: info, format: json }',
        `admin: { listen: "127.0.0.1:${8088 + o.sipPort - 5060}" }`,
        'sip:',
        `  udp: { enabled: true, listen: "127.0.0.1:${o.sipPort}" }`,
        `  tcp: { enabled: true, listen: "127.0.0.1:${o.sipPort}" }`,
        `media: { bind_address: 127.0.0.1, port_min: ${o.mediaBase}, port_max: ${o.mediaBase + 199}, webrtc_port_min: ${o.mediaBase + 10000}, webrtc_port_max: ${o.mediaBase + 10199} }`,
        'rooms:',
        '  list:',
        ...o.rooms.map((r) => `    - id: ${r}`),
        ...(o.extraYaml ?? []),
        '',
      ].join('\n'),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    const g = new NetnsGateway(netns.spawn(process.execPath, [GATEHOUSE_BIN, 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    await g.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'), 30_000);
    return g;
  }

  logs(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }

  /** Resolves with the first `count` matching log lines. */
  async waitForLog(pred: (l: LogLine) => boolean, ms = 20_000, count = 1): Promise<LogLine[]> {
    const deadline = performance.now() + ms;
    for (;;) {
      const hits = this.lines.filter(pred);
      if (hits.length >= count) return hits.slice(0, count);
      if (this.proc.exitCode !== null || performance.now() > deadline) throw new Error(`gateway: no matching log line${this.proc.exitCode !== null ? ' (it exited)' : ''}:\n${this.out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** kill -9 (`ip netns exec` execs node: the child's pid is the gateway's). */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(killer);
  }
}

/** redis-server on 127.0.0.1:`port` inside the namespace (takeover state). */
export async function startNetnsRedis(netns: Netns, dir: string, port: number): Promise<ChildProcess> {
  requireTool('redis-server', ['--version'], 'redis-server');
  const child = netns.spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`redis-server exited early (code ${code}):\n${out.slice(-2000)}`)));
  });
  return child;
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

/** A 60 s sine WAV (8 kHz mono) for linphone's `play`. */
export function toneWav(dir: string, hz: number): string {
  const wav = join(dir, `tone-${hz}.wav`);
  const pcm = new Int16Array(8000 * 60);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  writeWav(wav, pcm, 8000);
  return wav;
}

/** Samples `l` has decoded so far (its record file). */
export function decodedLength(l: Linphone): number {
  return l.recorded().pcm.length;
}

/**
 * How much of what `l` decoded after sample `from` is LOUD and the tone `hz` (20 ms blocks over
 * RMS 1000 whose energy is the tone), in ms. Loud blocks only: mediastreamer's packet-loss
 * concealment repeats the last audio for a moment after a stream stops, fading out within a
 * few hundred ms, so only audio that really arrives can fill a second. When linphone restarted
 * its recorder (the file got shorter) everything in it is new.
 */
export function toneMsSince(l: Linphone, hz: number, from: number): number {
  const { rate, pcm } = l.recorded();
  if (rate === 0) return 0;
  const block = rate / 50;
  let loud = 0;
  for (let at = pcm.length >= from ? from : 0; at + block <= pcm.length; at += block) {
    if (toneFraction(pcm.subarray(at, at + block), rate, hz, 20, 1000) > 0.99) loud++;
  }
  return loud * 20;
}

/** Waits until `l` decoded >= 1 s of loud `hz` after sample `from`. */
export async function waitHeard(l: Linphone, hz: number, from: number, what: string, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  let got = 0;
  for (;;) {
    got = toneMsSince(l, hz, from);
    if (got >= 1000) return;
    if (performance.now() > deadline) throw new Error(`${what}: only ${got} ms of loud ${hz} Hz decoded after sample ${from}\n${l.output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The inline keys (key||salt, base64) of the a=crypto lines of every SIP message linphone
 * received or sent, in order. belle-sip logs "received [n] new bytes from [..]:" or
 * "message sent to [..], size: [n] bytes" and then the message, up to the next timestamped
 * log line. The keys are for comparing, never for printing.
 */
export function linphoneSipCrypto(l: Linphone): Array<{ readonly dir: 'in' | 'out'; readonly startLine: string; readonly keys: readonly string[] }> {
  const out: Array<{ dir: 'in' | 'out'; startLine: string; keys: string[] }> = [];
  const re = /(received \[\d+\] new bytes from \[[^\]]+\]:|message sent to \[[^\]]+\], size: \[\d+\] bytes)\r?\n([^\r\n]+)\r?\n([\s\S]*?)(?=^\d{4}-\d\d-\d\d |(?![\s\S]))/gm;
  for (const m of l.log().matchAll(re)) {
    const keys = [...(m[3] ?? '').matchAll(/^a=crypto:\d+ \S+ inline:([A-Za-z0-9+/=]+)/gm)].map((k) => k[1] ?? '');
    if (keys.length > 0) out.push({ dir: (m[1] ?? '').startsWith('received') ? 'in' : 'out', startLine: m[2] ?? '', keys });
  }
  return out;
}
