/**
 * Load generator for the `relay` bench, run as a SEPARATE process (child_process.fork) so the
 * relay's CPU is measured alone. Per run it opens one UDP socket per call endpoint on
 * 127.0.0.1, pre-encrypts every packet it will send (so its own crypto is not on the clock),
 * sends G.711 20 ms packets on every endpoint paced in real time, and measures, for the packets
 * sent in the measurement window: how many arrived at the partner endpoint and how late.
 *
 * Matching a relayed packet to the one sent without decrypting each: the payload starts with
 * the packet's index; the first packet an endpoint receives is decrypted (relay mode: with the
 * gateway's key for that leg) to learn the sequence offset the relay's rewriter applied, which
 * is constant for the stream. Echo mode forwards packets untouched: the offset is 0.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { createSrtpSession, SRTP_SUITES } from '../../src/core/srtp/index.ts';
import type { SrtpSession, SrtpSuiteName } from '../../src/core/srtp/index.ts';

export interface LoadEndpoint {
  /** Gateway port this endpoint sends to (its leg, or the echo socket). */
  readonly gwPort: number;
  /** Index of the endpoint that receives what this one sends. */
  readonly partner: number;
  readonly suite: SrtpSuiteName;
  /** hex of master key || salt this endpoint sends with. */
  readonly sendKey: string;
  /** hex of master key || salt the gateway sends to this endpoint with (relay mode). */
  readonly recvKey: string;
}

export type LoadRequest =
  | { readonly type: 'open'; readonly endpoints: number }
  | { readonly type: 'run'; readonly mode: 'relay' | 'echo'; readonly endpoints: readonly LoadEndpoint[]; readonly warmupMs: number; readonly measureMs: number }
  | { readonly type: 'exit' };

export interface LoadResult {
  readonly type: 'result';
  readonly sent: number;
  readonly received: number;
  /** End-to-end latencies (ms) of the received measured packets, sorted: p50, p90, p99, max. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly measureMs: number;
  /** CPU the loader itself used during the window, as a fraction of one core (is the loader the limit?). */
  readonly loaderCpu: number;
}

export type LoadReply = { readonly type: 'opened'; readonly ports: readonly number[] } | { readonly type: 'measuring' } | { readonly type: 'measured' } | LoadResult;

const FRAME_MS = 20;
const PAYLOAD = 160;

interface Stream {
  readonly socket: Socket;
  readonly spec: LoadEndpoint;
  readonly packetLength: number;
  readonly packets: Buffer;
  readonly sentAt: Float64Array;
  readonly seq0: number;
  /** Offset of received sequence numbers to the partner's indices; -1 until learned. */
  base: number;
  readonly recv: SrtpSession | null;
}

let sockets: Socket[] = [];

function send(m: LoadReply): void {
  process.send?.(m);
}

async function open(n: number): Promise<void> {
  sockets = [];
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    s.setRecvBufferSize(1 << 20);
    sockets.push(s);
  }
  send({ type: 'opened', ports: sockets.map((s) => s.address().port) });
}

function session(suite: SrtpSuiteName, hex: string): SrtpSession {
  const k = Buffer.from(hex, 'hex');
  const s = SRTP_SUITES[suite];
  return createSrtpSession({ suite, masterKey: k.subarray(0, s.keyLength), masterSalt: k.subarray(s.keyLength) });
}

/** Pre-encrypts `count` packets of one stream into one contiguous buffer. */
function prepare(spec: LoadEndpoint, count: number, ssrc: number, seq0: number): { packets: Buffer; length: number } {
  const tx = session(spec.suite, spec.sendKey);
  const length = 12 + PAYLOAD + SRTP_SUITES[spec.suite].rtpTagLength;
  const packets = Buffer.alloc(count * length);
  const plain = Buffer.alloc(12 + PAYLOAD, 0xff); // PCMU silence after the index
  plain[0] = 0x80;
  plain[1] = 0;
  plain.writeUInt32BE(ssrc, 8);
  for (let i = 0; i < count; i++) {
    plain.writeUInt16BE((seq0 + i) & 0xffff, 2);
    plain.writeUInt32BE((i * 160) >>> 0, 4);
    plain.writeUInt32BE(i, 12);
    const r = tx.protectRtp(plain, packets.subarray(i * length, (i + 1) * length));
    if (!r.ok || r.length !== length) throw new Error(`pre-encryption failed: ${r.ok ? r.length : r.reason}`);
  }
  return { packets, length };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function run(mode: 'relay' | 'echo', specs: readonly LoadEndpoint[], warmupMs: number, measureMs: number): Promise<void> {
  const frames = Math.ceil((warmupMs + measureMs) / FRAME_MS);
  const streams: Stream[] = specs.map((spec, i) => {
    const seq0 = (i * 7919) & 0xffff;
    const { packets, length } = prepare(spec, frames, 0x10000 + i, seq0);
    return {
      socket: sockets[i] as Socket,
      spec,
      packetLength: length,
      packets,
      sentAt: new Float64Array(frames).fill(Number.NaN),
      seq0,
      base: mode === 'echo' ? -2 : -1,
      recv: mode === 'relay' ? session(spec.suite, spec.recvKey) : null,
    };
  });
  const S = streams.length;
  const latencies = new Float64Array(S * Math.ceil(measureMs / FRAME_MS) + 16);
  let nLat = 0;
  let received = 0;
  let measureStart = Infinity;
  let measureEnd = Infinity;
  const seen = streams.map(() => new Uint8Array(frames));

  streams.forEach((st, j) => {
    // endpoints come in pairs: what arrives here was sent by our partner
    const fromIndex = streams.findIndex((x) => x.spec.partner === j);
    const from = streams[fromIndex] as Stream;
    const fromSeen = seen[fromIndex] as Uint8Array;
    st.socket.on('message', (msg: Buffer) => {
      const now = performance.now();
      const pt = (msg[1] ?? 0) & 0x7f;
      if (msg.length < 16 || (pt >= 64 && pt <= 95)) return; // RTCP (RFC 5761 4): the relay's reports
      const seq = msg.readUInt16BE(2);
      if (st.base === -1) {
        const r = st.recv?.unprotectRtp(msg);
        if (r === undefined || !r.ok) return;
        st.base = (seq - r.out.readUInt32BE(12)) & 0xffff;
      }
      const idx = st.base === -2 ? (seq - from.seq0) & 0xffff : (seq - st.base) & 0xffff;
      if (idx >= frames || fromSeen[idx] === 1) return;
      fromSeen[idx] = 1;
      const t = from.sentAt[idx] ?? Number.NaN;
      if (t >= measureStart && t < measureEnd) {
        received++;
        if (nLat < latencies.length) latencies[nLat++] = now - t;
      }
    });
  });

  const t0 = performance.now() + 50;
  const total = frames * S;
  let k = 0;
  let sent = 0;
  let measuring = false;
  let cpu0: NodeJS.CpuUsage | null = null;
  let loaderCpu = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (!measuring && now >= t0 + warmupMs) {
        measuring = true;
        measureStart = now;
        cpu0 = process.cpuUsage();
        send({ type: 'measuring' });
      }
      const due = Math.min(total, Math.floor(((now - t0) / FRAME_MS) * S));
      for (; k < due; k++) {
        const s = k % S;
        const i = Math.floor(k / S);
        const st = streams[s] as Stream;
        st.sentAt[i] = performance.now();
        if (measuring) sent++;
        st.socket.send(st.packets, i * st.packetLength, st.packetLength, st.spec.gwPort, '127.0.0.1');
      }
      if (k >= total) {
        measureEnd = performance.now();
        const d = process.cpuUsage(cpu0 ?? undefined);
        loaderCpu = (d.user + d.system) / 1000 / (measureEnd - measureStart);
        send({ type: 'measured' });
        resolve();
      } else {
        setTimeout(tick, 1);
      }
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  await new Promise((r) => setTimeout(r, 300)); // late packets
  const sorted = latencies.slice(0, nLat).sort();
  send({ type: 'result', sent, received, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN, measureMs: measureEnd - measureStart, loaderCpu });
  for (const s of sockets) s.close();
  sockets = [];
}

process.on('message', (m: LoadRequest) => {
  if (m.type === 'open') void open(m.endpoints);
  else if (m.type === 'run') void run(m.mode, m.endpoints, m.warmupMs, m.measureMs);
  else process.exit(0);
});
