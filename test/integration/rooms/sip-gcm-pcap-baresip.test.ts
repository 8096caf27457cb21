/**
 * Issue 6, test 2: SIPp offering AEAD_AES_256_GCM first (plus AES_CM_128_HMAC_SHA1_80) with
 * REAL pre-encrypted GCM media, and baresip (SDES AES_CM_128_HMAC_SHA1_80), in one room of the
 * real `gatehouse` binary.
 *
 * The test generates fresh SDES keys for SIPp, writes a pcap of a 1000 Hz G.711 tone that it
 * protects itself with the project's SRTP core under AEAD_AES_256_GCM and SIPp's offered key,
 * and SIPp replays it byte for byte (`play_pcap_audio` rewrites UDP ports only). Checked
 * independently of the gateway's counters:
 *  - SIPp -> gateway: the answer picks tag 1 AEAD_AES_256_GCM (ereg in the scenario), and
 *    baresip's DECODED audio contains 1000 Hz: the gateway must have authenticated and decrypted
 *    the GCM packets with SIPp's key and re-protected them for baresip's SHA1_80 leg.
 *  - gateway -> SIPp: a tshark capture of what reaches SIPp's media port decrypts, every packet,
 *    under AEAD_AES_256_GCM with the key from the gateway's answer, and carries baresip's 440 Hz.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulawDecode, ulawEncode } from '../../../src/core/codec/g711.ts';
import { createSrtpSession } from '../../../src/core/srtp/index.ts';
import { frameRms, toneFraction } from '../../helpers/audio-analysis.ts';
import { Baresip } from '../../helpers/baresip.ts';
import { writePcap, type PcapUdpPacket } from '../../helpers/pcap-writer.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { freePort, requireSipp, runSipp } from '../sip/helpers/sipp.ts';

const ROOM = 'gcm-room';
const SIPP_TONE_HZ = 1000;
const BARESIP_TONE_HZ = 440;
const AUDIO_MS = 5000;
const RATE = 8000;

let gw: RoomGateway;
let baresip: Baresip;
let dir: string;

beforeAll(async () => {
  requireSipp();
  requireTshark();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-sip-gcm-'));
  gw = await startRoomGateway({ rooms: [{ id: ROOM }] });
  baresip = await Baresip.start({ mediaenc: 'srtp-mand', source: { sine: BARESIP_TONE_HZ }, rtcpMux: false });
}, 60_000);

afterAll(async () => {
  await baresip?.stop();
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('issue 6 test 2: SIPp (AEAD_AES_256_GCM, pre-encrypted media) and baresip (SDES) in one room', () => {
  it('answers SIPp with AEAD_AES_256_GCM; the tone SIPp sent reaches baresip decoded, and baresip reaches SIPp under the answer key', async () => {
    await baresip.command('dial', gw.roomUri(ROOM));
    await baresip.waitEvent('CALL_ESTABLISHED');
    await gw.waitForLog('call joined room', (l) => l.room === ROOM && l.suite === 'AES_CM_128_HMAC_SHA1_80');

    // SIPp's SDES keys (RFC 4568 6.1 inline: base64 of master key || master salt)
    const gcm = { masterKey: randomBytes(32), masterSalt: randomBytes(12) };
    const gcmInline = Buffer.concat([gcm.masterKey, gcm.masterSalt]).toString('base64');
    const sha1Inline = randomBytes(30).toString('base64');
    const pcap = join(dir, 'gcm-tone.pcap');
    writePcap(pcap, gcmTonePcap(gcm, SIPP_TONE_HZ, AUDIO_MS));

    const mediaPort = await freePort();
    const capture = await Capture.start(mediaPort);
    const log = join(dir, 'sipp-logs.log');
    let sipp: Awaited<ReturnType<typeof runSipp>>;
    try {
      sipp = await runSipp({
        scenario: 'uac-room-gcm-media.xml',
        target: `127.0.0.1:${gw.sipPort}`,
        transport: 'u1',
        service: ROOM,
        callLengthMs: AUDIO_MS + 1000,
        timeoutSeconds: 40,
        extra: ['-key', 'gcm_inline', gcmInline, '-key', 'sha1_inline', sha1Inline, '-key', 'pcap', pcap, '-mp', String(mediaPort), '-trace_logs', '-log_file', log],
      });
    } finally {
      await capture.stop();
    }
    // play_pcap_audio sends from a raw socket: SIPp needs root or CAP_NET_RAW (its stderr says so)
    expect(sipp.errors, sipp.stderr).toBe('');
    expect(sipp.exitCode, `${sipp.stderr}\n${sipp.errors}`).toBe(0);
    expect(sipp.successfulCalls).toBe(1);
    expect(gw.logs('call joined room').filter((l) => l.room === ROOM).map((l) => l.suite)).toEqual(['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_256_GCM']);

    // SIPp -> gateway -> baresip: the GCM tone, decoded by baresip (wait for its dump to catch up)
    const heard = await waitForTone(() => baresip.decodedAudio(), SIPP_TONE_HZ, AUDIO_MS / 2);
    expect(heard.loudMs, 'ms of sound in baresip decoded audio').toBeGreaterThanOrEqual(AUDIO_MS / 2);
    expect(heard.fraction, `share of ${SIPP_TONE_HZ} Hz in what baresip decoded`).toBeGreaterThan(0.8);
    expect(toneFraction(heard.pcm, RATE, BARESIP_TONE_HZ, 20, 500), 'baresip must not hear itself').toBeLessThan(0.05);

    // baresip -> gateway -> SIPp: decrypt the capture with the key of the gateway's answer
    const answerKey = /answer-key ([A-Za-z0-9+/]{59}=)/.exec(readSippLog(log))?.[1];
    expect(answerKey, 'SIPp logged the answer key').toBeDefined();
    const keySalt = Buffer.from(answerKey ?? '', 'base64');
    const rx = createSrtpSession({ suite: 'AEAD_AES_256_GCM', masterKey: keySalt.subarray(0, 32), masterSalt: keySalt.subarray(32) });
    const rtp = capture.payloads.filter((p) => p.length >= 12 && ((p[1] ?? 0) & 0x7f) < 64) // not RTCP (PT 200-204);
    expect(rtp.length, 'SRTP packets from the gateway to SIPp').toBeGreaterThanOrEqual(AUDIO_MS / 20 / 2);
    const pcm: number[] = [];
    let failed = 0;
    for (const p of rtp) {
      const r = rx.unprotectRtp(p);
      if (!r.ok) {
        failed++;
        continue;
      }
      const plain = r.out.subarray(0, r.length);
      expect((plain[1] ?? 0) & 0x7f, 'payload type PCMU').toBe(0);
      const samples = new Int16Array(plain.length - 12);
      ulawDecode(plain.subarray(12), samples);
      pcm.push(...samples);
    }
    expect(failed, 'packets that did not authenticate under AEAD_AES_256_GCM with the answer key').toBe(0);
    expect(toneFraction(pcm, RATE, BARESIP_TONE_HZ, 20, 500), `share of ${BARESIP_TONE_HZ} Hz in what the gateway sent SIPp`).toBeGreaterThan(0.8);
  }, 60_000);
});

/** G.711 PCMU RTP of a sine, 20 ms packets, SRTP-protected under AEAD_AES_256_GCM. */
function gcmTonePcap(key: { masterKey: Buffer; masterSalt: Buffer }, hz: number, ms: number): PcapUdpPacket[] {
  const tx = createSrtpSession({ suite: 'AEAD_AES_256_GCM', ...key });
  const ssrc = randomInt(1, 0xffffffff);
  let seq = randomInt(0, 30000);
  let ts = randomInt(0, 0x7fffffff);
  const t0 = Date.now() * 1000;
  const out: PcapUdpPacket[] = [];
  for (let i = 0; i < ms / 20; i++) {
    const pcm = new Int16Array(160);
    for (let j = 0; j < 160; j++) pcm[j] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (i * 160 + j)) / RATE));
    const rtp = Buffer.alloc(12 + 160);
    rtp[0] = 0x80;
    rtp[1] = i === 0 ? 0x80 : 0; // marker on the first packet, PT 0 (PCMU)
    rtp.writeUInt16BE(seq, 2);
    rtp.writeUInt32BE(ts >>> 0, 4);
    rtp.writeUInt32BE(ssrc, 8);
    ulawEncode(pcm, rtp, 12);
    const r = tx.protectRtp(rtp);
    if (!r.ok) throw new Error(`protect failed: ${r.reason}`);
    // SIPp rewrites both ports (to its -mp port and the answer's port); only the payload counts
    out.push({ timeUs: t0 + i * 20_000, src: { ip: '127.0.0.1', port: 6000 }, dst: { ip: '127.0.0.1', port: 6002 }, payload: Buffer.from(r.out.subarray(0, r.length)) });
    seq = (seq + 1) & 0xffff;
    ts += 160;
  }
  return out;
}

/** Polls the receiver's decoded audio until `hz` has been heard for `minMs` (or 15 s pass). */
async function waitForTone(read: () => Int16Array, hz: number, minMs: number): Promise<{ pcm: Int16Array; loudMs: number; fraction: number }> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const pcm = read();
    const loudMs = frameRms(pcm, RATE, 10).filter((r) => r > 1000).length * 10;
    const fraction = toneFraction(pcm, RATE, hz, 20, 500);
    if ((loudMs >= minMs && fraction > 0.8) || performance.now() > deadline) return { pcm, loudMs, fraction };
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readSippLog(path: string): string {
  // SIPp writes -log_file as given (3.6); older versions add _<pid>: accept either
  const d = join(path, '..');
  const names = readdirSync(d).filter((n) => n.startsWith('sipp-logs'));
  return names.map((n) => readFileSync(join(d, n), 'utf8')).join('\n');
}

function requireTshark(): void {
  if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).error !== undefined) throw new Error('tshark not found; install with: apt-get install tshark');
}

/** tshark on lo: UDP payloads sent to `port`, as they crossed the wire. */
class Capture {
  readonly payloads: Buffer[] = [];
  private readonly proc: ChildProcess;
  private partial = '';
  private stderr = '';

  private constructor(proc: ChildProcess) {
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      this.partial += d.toString();
      const lines = this.partial.split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (/^[0-9a-f]+$/.test(l.trim())) this.payloads.push(Buffer.from(l.trim(), 'hex'));
    });
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  static async start(port: number): Promise<Capture> {
    const proc = spawn('tshark', ['-i', 'lo', '-n', '-l', '-f', `udp and dst host 127.0.0.1 and dst port ${port}`, '-T', 'fields', '-e', 'udp.payload'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const c = new Capture(proc);
    const deadline = performance.now() + 20_000;
    while (!c.stderr.includes('Capturing on')) {
      if (proc.exitCode !== null || performance.now() > deadline) throw new Error(`tshark did not start capturing:\n${c.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return c;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc.once('close', r));
      this.proc.kill('SIGINT'); // tshark flushes what it captured and exits
      await done;
    }
  }
}
