/**
 * tshark on lo: every UDP datagram and TCP segment to 127.0.0.1 that matches a capture filter
 * (BPF, e.g. `dst port 5070 or src portrange 12000-12099`), as it crossed the wire, in capture
 * order, with its ports and, when tshark's SIP dissector recognised it, the SIP request method
 * or response status. An independent check of what an instance SENT to a peer (SIP requests,
 * media) that does not rely on the gateway's own logs. Fails loudly without tshark.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** One UDP datagram or TCP segment. */
export interface WirePacket {
  readonly srcPort: number;
  readonly dstPort: number;
  /** SIP request method (INVITE, BYE, ACK...), or null. */
  readonly method: string | null;
  /** SIP response status, or null. */
  readonly status: number | null;
}

export class WireCapture {
  readonly packets: WirePacket[] = [];
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
        const [uSrc, tSrc, uDst, tDst, method, status] = l.split('\t').map((f) => f.trim());
        const src = uSrc || tSrc;
        const dst = uDst || tDst;
        if (!src || !dst) continue;
        this.packets.push({ srcPort: Number(src), dstPort: Number(dst), method: method || null, status: status ? Number(status) : null });
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.#stderr += d.toString()));
  }

  static async start(match: string): Promise<WireCapture> {
    if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).error !== undefined) throw new Error('tshark not found; install with: apt-get install tshark');
    const filter = `(udp or tcp) and dst host 127.0.0.1 and (${match})`;
    const fields = ['udp.srcport', 'tcp.srcport', 'udp.dstport', 'tcp.dstport', 'sip.Method', 'sip.Status-Code'].flatMap((f) => ['-e', f]);
    // -Y: TCP segments without data (handshakes, ACKs) are noise here
    const proc = spawn('tshark', ['-i', 'lo', '-n', '-l', '-f', filter, '-Y', 'udp or tcp.len > 0', '-T', 'fields', '-E', 'occurrence=f', ...fields], { stdio: ['ignore', 'pipe', 'pipe'] });
    const c = new WireCapture(proc);
    const deadline = performance.now() + 20_000;
    while (!c.#stderr.includes('Capturing on')) {
      if (proc.exitCode !== null || performance.now() > deadline) throw new Error(`tshark did not start capturing:\n${c.#stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return c;
  }

  /** Resolves once `count` more packets than now were captured (a wait, not a timing check). */
  async more(count: number, limitMs = 20_000): Promise<void> {
    const target = this.packets.length + count;
    const deadline = performance.now() + limitMs;
    while (this.packets.length < target) {
      if (performance.now() > deadline) throw new Error(`capture: ${this.packets.length} of ${target} packets`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode === null) {
      const done = new Promise((r) => this.#proc.once('close', r));
      this.#proc.kill('SIGINT'); // tshark flushes what it captured and exits
      await done;
    }
  }
}
