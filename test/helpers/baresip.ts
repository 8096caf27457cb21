/**
 * baresip (Debian `baresip-core`, 1.0) as a real, headless SRTP endpoint for integration tests.
 *
 * API (all on 127.0.0.1; one process per `Baresip.start`, in its own temporary config dir):
 *
 *   const b = await Baresip.start({ mediaenc: 'dtls_srtp', source: { sine: 440 }, rtcpMux: false });
 *   writeWav(path, pcm, rate)                            a mono 16-bit WAV (for source: { wav })
 *   b.sipPort / b.ctrlPort          UDP+TCP SIP listener / ctrl_tcp JSON control port
 *   await b.command('dial', 'sip:room@127.0.0.1:5070')   -> { ok, data } (ctrl_tcp response)
 *   await b.waitEvent('CALL_ESTABLISHED')                -> the event (JSON object from ctrl_tcp)
 *   await b.waitEvent('CALL_MENC')                       -> emitted when media is secure; in baresip
 *                                                        1.0 its param is only "<n>,audio,RTP"
 *   b.dtlsProfiles()                                     [{ component: 'audio/RTP', profile:
 *                                                        'AEAD_AES_256_GCM' }] from baresip's own
 *                                                        "DTLS-SRTP complete" log lines
 *   b.events                                             every event so far
 *   await b.command('callstat')                          text with RTP/RTCP statistics
 *   b.decodedAudio()                                     PCM (Int16, 8 kHz mono for G.711) that
 *                                                        baresip DECODED from what it received
 *                                                        (sndfile filter dump, *-dec.wav)
 *   b.output                                             stdout+stderr so far (for assertions/debug)
 *   (video option) await b.snapshotReceived()            { width, height } of the next video frame
 *                                                        baresip DECODED (snapshot.so writes it as
 *                                                        PNG; we read the IHDR), or null
 *   b.receivedResolutions()                              every "video: receiving with resolution
 *                                                        W x H" line (logged by baresip's decoder
 *                                                        path on each size change)
 *   await b.stop()                                       quit, kill if needed, remove the dir
 *
 * Config: `net_interface 127.0.0.1` (baresip needs it here: no default route), `sip_listen`,
 * modules g711, aufile (source: a WAV; `{ sine }` writes one, 8 kHz, because baresip 1.0's
 * ausine only runs at 48 kHz and G.711 needs 8 kHz), aubridge (a player that needs no sound card), sndfile
 * (dumps encoded and decoded audio to WAV in the dir: an independent check that received SRTP
 * decrypted and decoded), srtp + dtls_srtp (menc), account, menu (commands: dial, hangup,
 * callstat), ctrl_tcp (netstring-framed JSON commands/events). One account
 * `<sip:gatehouse-test@127.0.0.1>;mediaenc=...;answermode=auto;regint=0`.
 *
 * Video (`video: { size }`): modules vp8 (RFC 7741), fakevideo (a generated picture as the
 * camera and a display that discards), snapshot (PNG of a decoded frame on `snapshot_recv`);
 * baresip then offers a VP8 video m-line with its own a=crypto and `a=rtcp-fb:* nack pli`.
 * Give each participant its own size: the receiver's decoded size tells whose video it got.
 *
 * Missing baresip fails loudly with the install line.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, freeUdpTcpPort } from './ports.ts';

export interface BaresipOptions {
  /** Media encryption: 'dtls_srtp' (RFC 5763/5764), 'srtp' (SDES best effort), 'srtp-mand', 'srtp-mandf'. */
  readonly mediaenc?: 'dtls_srtp' | 'srtp' | 'srtp-mand' | 'srtp-mandf';
  /** Audio source: a sine of this frequency (written as an 8 kHz WAV, 30 s), or a WAV file (mono, 8 kHz for G.711). Default sine 440 Hz. */
  readonly source?: { readonly sine: number } | { readonly wav: string };
  /** Offer/accept a=rtcp-mux. Default true. */
  readonly rtcpMux?: boolean;
  /** Extra config lines. */
  readonly extraConfig?: readonly string[];
  /** Send and receive VP8 video: fakevideo's picture at this size (default 352x288), 15 fps. */
  readonly video?: { readonly width?: number; readonly height?: number; readonly fps?: number };
}

function videoConfig(v: NonNullable<BaresipOptions['video']>): string[] {
  return [
    'module vp8.so',
    'module fakevideo.so',
    'module snapshot.so',
    'video_source fakevideo,nil',
    'video_display fakevideo,nil',
    `video_size ${v.width ?? 352}x${v.height ?? 288}`,
    `video_fps ${v.fps ?? 15}`,
    'video_bitrate 300000',
  ];
}

export type BaresipEvent = Record<string, unknown> & { readonly type?: string; readonly param?: string };
export interface BaresipResponse {
  readonly ok: boolean;
  readonly data: string;
}

const MODULES = '/usr/lib/baresip/modules';

export function requireBaresip(): void {
  try {
    execFileSync('sh', ['-c', 'command -v baresip'], { stdio: 'ignore' });
  } catch {
    throw new Error('baresip is not installed; install with: apt-get install baresip-core');
  }
}

export class Baresip {
  readonly dir: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  readonly events: BaresipEvent[] = [];
  output = '';
  private readonly proc: ChildProcess;
  private ctrl: Socket | null = null;
  private rx = Buffer.alloc(0);
  private token = 0;
  private readonly pending = new Map<string, (r: BaresipResponse) => void>();
  private exited = false;
  private snapshots = 0;

  private constructor(dir: string, sipPort: number, ctrlPort: number, proc: ChildProcess) {
    this.dir = dir;
    this.sipPort = sipPort;
    this.ctrlPort = ctrlPort;
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.on('exit', () => (this.exited = true));
  }

  /**
   * Starts baresip on free ports. A port probed free can be taken by a parallel test before
   * baresip binds it ("Address already in use" at start-up): then it is started again on new
   * ports, at most three times in all; any other start-up failure is thrown at once.
   */
  static async start(o: BaresipOptions = {}): Promise<Baresip> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Baresip.startOnce(o);
      } catch (err) {
        if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
      }
    }
  }

  private static async startOnce(o: BaresipOptions): Promise<Baresip> {
    requireBaresip();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-baresip-'));
    const sipPort = await freeUdpTcpPort();
    const ctrlPort = await freeTcpPort();
    const src = o.source ?? { sine: 440 };
    let wav: string;
    if ('wav' in src) wav = src.wav;
    else {
      wav = join(dir, 'source.wav');
      const pcm = new Int16Array(8000 * 30);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * src.sine * i) / 8000));
      writeWav(wav, pcm, 8000);
    }
    const config = [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'audio_player aubridge,gatehouse',
      'audio_alert aubridge,gatehouse',
      'sip_trans_def udp',
      `audio_source aufile,${wav}`,
      `rtcp_mux ${o.rtcpMux === false ? 'no' : 'yes'}`,
      'rtp_stats yes',
      `module_path ${MODULES}`,
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      `snd_path ${dir}`,
      'module srtp.so',
      'module dtls_srtp.so',
      'module_app account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      ...(o.video === undefined ? [] : videoConfig(o.video)),
      ...(o.extraConfig ?? []),
    ];
    writeFileSync(join(dir, 'config'), config.join('\n') + '\n');
    writeFileSync(join(dir, 'accounts'), `<sip:gatehouse-test@127.0.0.1>;mediaenc=${o.mediaenc ?? 'dtls_srtp'};answermode=auto;regint=0\n`);
    writeFileSync(join(dir, 'contacts'), '');
    const proc = spawn('baresip', ['-f', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const b = new Baresip(dir, sipPort, ctrlPort, proc);
    await b.connectCtrl();
    return b;
  }

  private async connectCtrl(): Promise<void> {
    const deadline = performance.now() + 15_000;
    for (;;) {
      if (this.exited) throw new Error(`baresip exited during start-up:\n${this.output}`);
      try {
        this.ctrl = await new Promise<Socket>((resolve, reject) => {
          const s = connect(this.ctrlPort, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch {
        if (performance.now() > deadline) throw new Error(`baresip ctrl_tcp did not come up:\n${this.output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.ctrl.on('data', (d: Buffer) => this.onCtrlData(d));
    this.ctrl.on('error', () => {});
  }

  /** Netstring framing: `<len>:<json>,` */
  private onCtrlData(d: Buffer): void {
    this.rx = Buffer.concat([this.rx, d]);
    for (;;) {
      const colon = this.rx.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.rx.subarray(0, colon).toString());
      if (!Number.isInteger(len) || this.rx.length < colon + 1 + len + 1) return;
      const json = this.rx.subarray(colon + 1, colon + 1 + len).toString();
      this.rx = this.rx.subarray(colon + 1 + len + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event === true) this.events.push(msg as BaresipEvent);
      else if (msg.response === true) {
        const t = String(msg.token ?? '');
        this.pending.get(t)?.({ ok: msg.ok === true, data: String(msg.data ?? '') });
        this.pending.delete(t);
      }
    }
  }

  command(command: string, params = ''): Promise<BaresipResponse> {
    const ctrl = this.ctrl;
    if (ctrl === null) return Promise.reject(new Error('baresip ctrl_tcp not connected'));
    const token = String(++this.token);
    const body = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baresip command ${command} got no response`)), 10_000);
      this.pending.set(token, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      ctrl.write(`${Buffer.byteLength(body)}:${body},`);
    });
  }

  async waitEvent(type: string, timeoutMs = 20_000): Promise<BaresipEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.type === type);
      if (e !== undefined) return e;
      if (this.exited || performance.now() > deadline) throw new Error(`baresip: no ${type} event; events: ${JSON.stringify(this.events.map((x) => x.type))}\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Profiles from baresip's "DTLS-SRTP complete (audio/RTP) Profile=..." log lines. */
  dtlsProfiles(): { readonly component: string; readonly profile: string }[] {
    return [...this.output.matchAll(/DTLS-SRTP complete \(([^)]+)\) Profile=([A-Za-z0-9_]+)/g)].map((m) => ({ component: m[1] ?? '', profile: m[2] ?? '' }));
  }

  /** Decoded received audio (sndfile's dump-*-dec.wav), as 16-bit samples; empty if none yet. */
  decodedAudio(): Int16Array {
    const f = readdirSync(this.dir).find((n) => n.startsWith('dump-') && n.endsWith('-dec.wav'));
    if (f === undefined) return new Int16Array(0);
    const wav = readFileSync(join(this.dir, f));
    const data = wav.indexOf('data');
    if (data < 0) return new Int16Array(0);
    const pcm = wav.subarray(data + 8);
    const out = new Int16Array(Math.floor(pcm.length / 2));
    for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(2 * i);
    return out;
  }

  /** Size of the next decoded video frame (snapshot.so PNG), or null when none came within `timeoutMs`. */
  async snapshotReceived(timeoutMs = 5000): Promise<{ readonly width: number; readonly height: number } | null> {
    const file = join(this.dir, `snap-${++this.snapshots}.png`);
    await this.command('snapshot_recv', file);
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      try {
        const png = readFileSync(file);
        // PNG: 8-octet signature, then the IHDR chunk: length, "IHDR", width, height (big-endian)
        if (png.length >= 24 && png.toString('latin1', 12, 16) === 'IHDR') return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
      } catch {
        // not written yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }

  /**
   * The RTP statistics baresip prints when a call ends (`rtp_stats yes`): packets it sent and
   * received on the `kind` stream ("video           Transmit:     Receive:" then "packets:"), or
   * null before the call ended.
   */
  streamStats(kind: 'audio' | 'video'): { readonly sent: number; readonly received: number } | null {
    const m = new RegExp(`^${kind}\\s+Transmit:\\s+Receive:\\s*\\npackets:\\s+(\\d+)\\s+(\\d+)`, 'm').exec(this.output);
    return m === null ? null : { sent: Number(m[1]), received: Number(m[2]) };
  }

  /** Every "video: receiving with resolution W x H" baresip logged, in order. */
  receivedResolutions(): { readonly width: number; readonly height: number }[] {
    return [...this.output.matchAll(/video: receiving with resolution (\d+) x (\d+)/g)].map((m) => ({ width: Number(m[1]), height: Number(m[2]) }));
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      await this.command('quit').catch(() => undefined);
      const deadline = performance.now() + 3000;
      while (!this.exited && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (!this.exited) this.proc.kill('SIGKILL');
    }
    this.ctrl?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes a mono 16-bit PCM WAV (RIFF, format 1). */
export function writeWav(path: string, pcm: Int16Array, rate: number): void {
  const data = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) data.writeInt16LE(pcm[i] ?? 0, 2 * i);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([h, data]));
}
