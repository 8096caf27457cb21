/**
 * A test SRTP endpoint on 127.0.0.1: its own dgram socket, an outbound SRTP session under the
 * key it "signalled" and an inbound one under the gateway leg's key, both from the project's
 * SRTP core (test/helpers/media-libsrtp.ts checks independently with libsrtp2). It sends
 * paced G.711/G.722 audio or crafted packets and records what it receives, decrypted.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../src/core/codec/g711.ts';
import { G722Decoder } from '../../src/core/codec/g722-decoder.ts';
import { G722Encoder } from '../../src/core/codec/g722-encoder.ts';
import { parseRtcp } from '../../src/core/rtp/rtcp-parse.ts';
import type { RtcpPacket } from '../../src/core/rtp/rtcp-types.ts';
import { isRtcpPacket } from '../../src/core/rtp/demux.ts';
import { parseRtp, serializeRtp } from '../../src/core/rtp/rtp-packet.ts';
import type { RtpPacket } from '../../src/core/rtp/rtp-packet.ts';
import { createSrtpSession, SRTP_SUITES } from '../../src/core/srtp/index.ts';
import type { SrtpMasterKeyConfig, SrtpSession, SrtpSuiteName } from '../../src/core/srtp/index.ts';

export type PeerCodec = 'PCMU' | 'PCMA' | 'G722';

export function randomKey(suite: SrtpSuiteName): SrtpMasterKeyConfig {
  const s = SRTP_SUITES[suite];
  return { masterKey: randomBytes(s.keyLength), masterSalt: randomBytes(s.saltLength) };
}

/** master key || master salt, as libsrtp takes it. */
export function keyBytes(k: SrtpMasterKeyConfig): Buffer {
  return Buffer.concat([k.masterKey, k.masterSalt]);
}

export function codecRate(c: PeerCodec): number {
  return c === 'G722' ? 16000 : 8000;
}

export interface RtpPeerOptions {
  readonly suite: SrtpSuiteName;
  /** The key this peer sends with (its a=crypto; the leg's remoteKey). */
  readonly sendKey: SrtpMasterKeyConfig;
  /** The key the gateway sends to this peer with (the leg's localKey). */
  readonly recvKey: SrtpMasterKeyConfig;
  readonly codec: PeerCodec;
  readonly pt: number;
}

export interface Received {
  readonly packet: RtpPacket;
  readonly from: number;
}

export class RtpPeer {
  readonly socket: Socket;
  readonly port: number;
  readonly ssrc = randomInt(1, 0xffffffff);
  readonly opts: RtpPeerOptions;
  target: { address: string; port: number } = { address: '127.0.0.1', port: 0 };
  seq = randomInt(0, 0x10000);
  ts = randomInt(0, 0xffffffff);
  readonly received: Received[] = [];
  readonly rtcp: RtcpPacket[][] = [];
  /** Source port of each RTCP datagram received (which gateway socket sent it). */
  readonly rtcpFrom: number[] = [];
  /** Every datagram received, as it came off the wire (for independent verification). */
  readonly raw: Buffer[] = [];
  /** Datagrams that did not decrypt under recvKey. */
  undecryptable = 0;
  private tx: SrtpSession;
  private readonly rx: SrtpSession;
  private readonly encoder = new G722Encoder();
  private phase = 0;

  private constructor(socket: Socket, opts: RtpPeerOptions) {
    this.socket = socket;
    this.opts = opts;
    const addr = socket.address();
    this.port = addr.port;
    this.tx = createSrtpSession({ suite: opts.suite, ...opts.sendKey });
    this.rx = createSrtpSession({ suite: opts.suite, ...opts.recvKey });
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.port));
  }

  static async open(opts: RtpPeerOptions): Promise<RtpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RtpPeer(socket, opts);
  }

  /** Replace the outbound session (e.g. to act as an attacker with a wrong key). */
  useSendKey(key: SrtpMasterKeyConfig): void {
    this.tx = createSrtpSession({ suite: this.opts.suite, ...key });
  }

  private onMessage(msg: Buffer, fromPort: number): void {
    this.raw.push(msg);
    if (isRtcpPacket(msg)) {
      const r = this.rx.unprotectRtcp(msg);
      if (!r.ok) return void this.undecryptable++;
      const p = parseRtcp(r.out.subarray(0, r.length));
      if (p.ok) {
        this.rtcp.push([...p.packets]);
        this.rtcpFrom.push(fromPort);
      }
      return;
    }
    const r = this.rx.unprotectRtp(msg);
    if (!r.ok) return void this.undecryptable++;
    const p = parseRtp(Buffer.from(r.out.subarray(0, r.length)));
    if (p.ok) this.received.push({ packet: p.packet, from: performance.now() });
  }

  /** Plain RTP packet with this peer's SSRC and the next seq/ts (advances them). */
  nextPacket(payload: Uint8Array, pt = this.opts.pt, marker = false, tsStep = 160): Buffer {
    const p = Buffer.from(serializeRtp({ marker, payloadType: pt, sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc, csrcs: [], extension: null, payload, paddingLength: 0 }));
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + tsStep) >>> 0;
    return p;
  }

  protect(plain: Uint8Array): Buffer {
    const r = this.tx.protectRtp(plain);
    if (!r.ok) throw new Error(`peer protect failed: ${r.reason}`);
    return Buffer.from(r.out.subarray(0, r.length));
  }

  protectRtcp(plain: Uint8Array): Buffer {
    const r = this.tx.protectRtcp(plain);
    if (!r.ok) throw new Error(`peer protectRtcp failed: ${r.reason}`);
    return Buffer.from(r.out.subarray(0, r.length));
  }

  sendRaw(datagram: Uint8Array, to = this.target): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(datagram, to.port, to.address, (err) => (err ? reject(err) : resolve())));
  }

  /** One 20 ms frame of a sine tone in this peer's codec (phase continues across frames). */
  toneFrame(freq: number, amplitude = 8000): Buffer {
    const rate = codecRate(this.opts.codec);
    const pcm = new Int16Array(rate / 50);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (this.phase + i)) / rate));
    this.phase += pcm.length;
    return encode(this.opts.codec, pcm, this.encoder);
  }

  /** Sends `frames` 20 ms tone packets, paced in real time. */
  async sendTone(freq: number, frames: number, amplitude = 8000): Promise<void> {
    for (let i = 0; i < frames; i++) {
      await this.sendRaw(this.protect(this.nextPacket(this.toneFrame(freq, amplitude), this.opts.pt, i === 0)));
      await sleep(20);
    }
  }

  /** Received audio packets with payload type `pt`, in sequence order. */
  audio(pt: number): RtpPacket[] {
    return this.received.map((r) => r.packet).filter((p) => p.payloadType === pt);
  }

  /** Decodes the received packets of `pt` as `codec`, concatenated in arrival order. */
  decoded(pt: number, codec: PeerCodec): Int16Array {
    const packets = this.audio(pt);
    const dec = new G722Decoder();
    const parts = packets.map((p) => decode(codec, p.payload, dec));
    const out = new Int16Array(parts.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of parts) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export function encode(codec: PeerCodec, pcm: Int16Array, g722: G722Encoder): Buffer {
  if (codec === 'G722') {
    const out = Buffer.alloc(pcm.length / 2);
    g722.encode(pcm, out, 0);
    return out;
  }
  const out = Buffer.alloc(pcm.length);
  if (codec === 'PCMU') ulawEncode(pcm, out, 0);
  else alawEncode(pcm, out, 0);
  return out;
}

export function decode(codec: PeerCodec, payload: Uint8Array, g722: G722Decoder): Int16Array {
  if (codec === 'G722') {
    const out = new Int16Array(payload.length * 2);
    g722.decode(payload, out, 0);
    return out;
  }
  const out = new Int16Array(payload.length);
  if (codec === 'PCMU') ulawDecode(payload, out, 0);
  else alawDecode(payload, out, 0);
  return out;
}

/** Amplitude of `freq` in `pcm` (single-bin DFT over the whole buffer). */
export function amplitudeAt(pcm: Int16Array, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i] ?? 0;
    re += v * Math.cos((2 * Math.PI * freq * i) / rate);
    im += v * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return pcm.length === 0 ? 0 : (2 * Math.hypot(re, im)) / pcm.length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until true; throws with `what` after `timeoutMs` (a liveness bound, not a speed assertion). */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
