/**
 * Independent checks for the video room tests (test/integration/rooms/*video*.test.ts): what
 * the gateway SENT on the wire, decrypted without the gateway's code.
 *
 *   const cap = await VideoWire.start({ mediaMin, mediaMax, sipPort })
 *       tshark on lo: every UDP datagram from the gateway's media port range, and SIP to the
 *       gateway, with its payload, in capture order
 *   cap.keyFrameRequests(stream)
 *       the RTCP PLI (RFC 4585 6.3.1) / FIR (RFC 5104 4.3.1) the gateway sent about the video
 *       SSRC of one baresip: SRTCP decrypted by libsrtp2 with the key baresip itself received
 *       in our answer (its callstat), so neither the gateway's SRTP core nor its logs are used.
 *       Each with its index in the capture (compare with `cap.sipIndex('INFO')`).
 *   baresipVideoStream(callstat)
 *       baresip's own video SSRC and the answer's video a=crypto as baresip shows them
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { SrtpSuiteName } from '../../../src/core/srtp/index.ts';
import type { Libsrtp } from '../../helpers/media-libsrtp.ts';

export interface BaresipVideoStream {
  /** The SSRC baresip sends video with (its a=ssrc). */
  readonly ssrc: number;
  /** The suite and key||salt of the answer's video a=crypto: what the gateway protects with toward it. */
  readonly suite: SrtpSuiteName;
  readonly keySalt: Buffer;
}

/** From baresip's `callstat` text: the video section's local a=ssrc and remote a=crypto. */
export function baresipVideoStream(callstat: string): BaresipVideoStream {
  const video = callstat.slice(callstat.search(/^video RTP\/S?AVPF?/m));
  const local = video.slice(video.indexOf('local attributes:'), video.indexOf('remote attributes:'));
  const remote = video.slice(video.indexOf('remote attributes:'));
  const ssrc = /ssrc='(\d+)/.exec(local)?.[1];
  const crypto = /crypto='\d+ (\S+) inline:([A-Za-z0-9+/=]+)/.exec(remote);
  if (ssrc === undefined || crypto === null) throw new Error(`no video ssrc/crypto in baresip callstat:\n${callstat}`);
  return { ssrc: Number(ssrc), suite: crypto[1] as SrtpSuiteName, keySalt: Buffer.from(crypto[2] ?? '', 'base64') };
}

interface Datagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
  readonly sipMethod: string | null;
}

export interface KeyFrameRequest {
  readonly type: 'pli' | 'fir';
  /** Position in the capture. */
  readonly index: number;
}

export class VideoWire {
  readonly datagrams: Datagram[] = [];
  readonly #proc: ChildProcess;
  #partial = '';
  #stderr = '';

  private constructor(proc: ChildProcess) {
    this.#proc = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      this.#partial += d.toString();
      const lines = this.#partial.split('\n');
      this.#partial = lines.pop() ?? '';
      for (const l of lines) {
        const [src, dst, payload, method] = l.split('\t').map((f) => f.trim());
        if (!src || !dst || !payload) continue;
        this.datagrams.push({ srcPort: Number(src), dstPort: Number(dst), payload: Buffer.from(payload.replace(/:/g, ''), 'hex'), sipMethod: method || null });
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.#stderr += d.toString()));
  }

  static async start(o: { readonly mediaMin: number; readonly mediaMax: number; readonly sipPort: number }): Promise<VideoWire> {
    if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).error !== undefined) throw new Error('tshark not found; install with: apt-get install tshark');
    const filter = `udp and dst host 127.0.0.1 and (src portrange ${o.mediaMin}-${o.mediaMax} or dst port ${o.sipPort})`;
    const fields = ['udp.srcport', 'udp.dstport', 'udp.payload', 'sip.Method'].flatMap((f) => ['-e', f]);
    const proc = spawn('tshark', ['-i', 'lo', '-n', '-l', '-f', filter, '-T', 'fields', '-E', 'occurrence=f', ...fields], { stdio: ['ignore', 'pipe', 'pipe'] });
    const c = new VideoWire(proc);
    const deadline = performance.now() + 20_000;
    while (!c.#stderr.includes('Capturing on')) {
      if (proc.exitCode !== null || performance.now() > deadline) throw new Error(`tshark did not start capturing:\n${c.#stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return c;
  }

  /** Capture index of the first SIP request with this method, or -1. */
  sipIndex(method: string): number {
    return this.datagrams.findIndex((d) => d.sipMethod === method);
  }

  /**
   * PLI/FIR naming `stream.ssrc` in the gateway's SRTCP toward that baresip, decrypted by
   * libsrtp2. RTCP is recognised by its packet type (RFC 5761 4: 200-206 in the second octet).
   */
  keyFrameRequests(stream: BaresipVideoStream, srtp: Libsrtp): KeyFrameRequest[] {
    const candidates: { index: number; payload: Buffer }[] = [];
    this.datagrams.forEach((d, index) => {
      const b1 = d.payload[1] ?? 0;
      if (d.sipMethod === null && ((d.payload[0] ?? 0) & 0xc0) === 0x80 && b1 >= 200 && b1 <= 206) candidates.push({ index, payload: d.payload });
    });
    if (candidates.length === 0) return [];
    const plain = srtp.run(stream.suite, 'unprotect', stream.keySalt, candidates.map((c) => c.payload), true);
    const out: KeyFrameRequest[] = [];
    plain.forEach((hex, i) => {
      if (hex.startsWith('ERR')) return;
      for (const type of feedbackFor(Buffer.from(hex, 'hex'), stream.ssrc)) out.push({ type, index: candidates[i]?.index ?? -1 });
    });
    return out;
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode === null) {
      const done = new Promise((r) => this.#proc.once('close', r));
      this.#proc.kill('SIGINT');
      await done;
    }
  }
}

/** PLI / FIR about `ssrc` in a plain compound RTCP packet (RFC 3550 6.1 framing). */
function feedbackFor(p: Buffer, ssrc: number): ('pli' | 'fir')[] {
  const found: ('pli' | 'fir')[] = [];
  let off = 0;
  while (off + 4 <= p.length) {
    const fmt = (p[off] ?? 0) & 0x1f;
    const pt = p[off + 1] ?? 0;
    const len = 4 * (p.readUInt16BE(off + 2) + 1);
    if (off + len > p.length) break;
    if (pt === 206 && fmt === 1 && len >= 12 && p.readUInt32BE(off + 8) === ssrc) found.push('pli');
    if (pt === 206 && fmt === 4) {
      for (let e = off + 12; e + 8 <= off + len; e += 8) if (p.readUInt32BE(e) === ssrc) found.push('fir');
    }
    off += len;
  }
  return found;
}
