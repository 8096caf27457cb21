/**
 * Issue 6, test 4: linphone (no GCM) against the real `gatehouse` binary. Under the `default`
 * profile (AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80: no AES_256_CM) its SDES
 * offer (AES_CM_128_HMAC_SHA1_80/_32, AES_256_CM_HMAC_SHA1_80/_32) is answered with
 * AES_CM_128_HMAC_SHA1_80 and audio flows both ways; in a room with `profile: secure`
 * (AEAD_AES_256_GCM only) it gets 488.
 *
 * linphone and the gateway run in a loopback-only network namespace this test creates
 * (test/helpers/linphone.ts says why). Two linphone instances send different tones (1000 Hz and
 * 600 Hz WAV files) and record what they DECODE: each must hear the other's tone, which only
 * happens if both legs' SRTP (each under its own keys) decrypts end to end. linphone's own debug
 * log shows the suite it accepted from our answer. Checked independently of gateway counters.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameRms, toneFraction } from '../../helpers/audio-analysis.ts';
import { writeWav } from '../../helpers/baresip.ts';
import { GATEHOUSE_BIN } from '../../helpers/gatehouse-process.ts';
import { Linphone, Netns, requireLinphone } from '../../helpers/linphone.ts';

// A namespace of our own: nothing else listens in it, so fixed ports are free.
const SIP_PORT = 5060;
const DEFAULT_ROOM = 'lobby';
const SECURE_ROOM = 'vault';
const DTLS_ROOM = 'lobby-dtls';
const TONE_A = 1000;
const TONE_B = 600;

let ns: Netns;
let gw: NetnsGateway;
let dir: string;
const linphones: Linphone[] = [];

beforeAll(async () => {
  requireLinphone();
  requireIp();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-linphone-test-'));
  ns = await Netns.create();
  gw = await NetnsGateway.start(ns, dir);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(linphones.map((l) => l.stop()));
  await gw?.stop();
  await ns?.delete();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startLinphone(n: number, toneHz: number, mediaEncryption: 'srtp' | 'dtls' = 'srtp'): Promise<Linphone> {
  const wav = join(dir, `tone-${toneHz}.wav`);
  const pcm = new Int16Array(8000 * 30);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * toneHz * i) / 8000));
  writeWav(wav, pcm, 8000);
  const l = await Linphone.start({ netns: ns, sipPort: 5090 + 2 * n, rtpPort: 41000 + 10 * n, play: wav, mediaEncryption });
  linphones.push(l);
  return l;
}

/** The a=crypto line of the first 200 OK linphone received (its debug log), e.g. "1 AES_CM_128_HMAC_SHA1_80". */
function answeredCrypto(l: Linphone): string | undefined {
  const log = l.log();
  const ok = log.indexOf('SIP/2.0 200 OK');
  if (ok < 0) return undefined;
  const next = log.indexOf('received [', ok); // belle-sip's next "received [n] new bytes"
  const msg = log.slice(ok, next < 0 ? undefined : next);
  const m = /^a=crypto:(\d+) (\S+) inline:/m.exec(msg);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

interface Heard {
  readonly loudMs: number;
  readonly other: number;
  readonly own: number;
}

function listen(l: Linphone, otherHz: number, ownHz: number): Heard {
  const { rate, pcm } = l.recorded();
  if (rate === 0) return { loudMs: 0, other: 0, own: 0 };
  return {
    loudMs: frameRms(pcm, rate, 10).filter((r) => r > 1000).length * 10,
    other: toneFraction(pcm, rate, otherHz, 20, 500),
    own: toneFraction(pcm, rate, ownHz, 20, 500),
  };
}

/** Waits until each of two linphones has decoded 2 s of sound that is the other's tone; hangs both up. */
async function hearEachOther(a: Linphone, toneA: number, b: Linphone, toneB: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  let heard: [Heard, Heard];
  for (;;) {
    heard = [listen(a, toneB, toneA), listen(b, toneA, toneB)];
    if (heard.every((h) => h.loudMs >= 2000 && h.other > 0.8) || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  a.terminate();
  b.terminate();
  await a.waitOutput(/Call \d+ with \S+ ended/);
  await b.waitOutput(/Call \d+ with \S+ ended/);
  const [ha, hb] = heard;
  expect(ha.loudMs, `linphone A decoded sound (${JSON.stringify(ha)})`).toBeGreaterThanOrEqual(2000);
  expect(ha.other, `linphone A hears B's ${toneB} Hz (${JSON.stringify(ha)})`).toBeGreaterThan(0.8);
  expect(ha.own, 'linphone A does not hear itself').toBeLessThan(0.05);
  expect(hb.loudMs, `linphone B decoded sound (${JSON.stringify(hb)})`).toBeGreaterThanOrEqual(2000);
  expect(hb.other, `linphone B hears A's ${toneA} Hz (${JSON.stringify(hb)})`).toBeGreaterThan(0.8);
  expect(hb.own, 'linphone B does not hear itself').toBeLessThan(0.05);
}

async function connect(l: Linphone, room: string): Promise<void> {
  l.call(`sip:${room}@127.0.0.1:${SIP_PORT}`);
  await l.waitOutput(/Call \d+ with \S+ connected\./);
  await l.waitOutput(/Media streams established with/);
}

function joined(room: string): unknown[][] {
  return gw.lines.filter((l) => l.msg === 'call joined room' && l.room === room).map((l) => [l.keying, l.suite, l.profile]);
}

describe('issue 6 test 4: linphone (SDES, no GCM) under the default and the secure profile', () => {
  it('default profile: both linphones are answered with AES_CM_128_HMAC_SHA1_80 and hear each other', async () => {
    const a = await startLinphone(0, TONE_A);
    const b = await startLinphone(1, TONE_B);
    await connect(a, DEFAULT_ROOM);
    await connect(b, DEFAULT_ROOM);
    // linphone's side: the answer it accepted names the suite (tag 1 = its AES_CM_128_HMAC_SHA1_80 line)
    expect(answeredCrypto(a)).toBe('1 AES_CM_128_HMAC_SHA1_80');
    expect(answeredCrypto(b)).toBe('1 AES_CM_128_HMAC_SHA1_80');
    expect(joined(DEFAULT_ROOM)).toEqual([
      ['sdes', 'AES_CM_128_HMAC_SHA1_80', 'default'],
      ['sdes', 'AES_CM_128_HMAC_SHA1_80', 'default'],
    ]);
    // each records what it decoded
    await hearEachOther(a, TONE_A, b, TONE_B);
  }, 60_000);

  it('default profile, DTLS-SRTP without rtcp-mux: linphone keys SRTP_AES128_CM_HMAC_SHA1_80 and hears an SDES linphone both ways', async () => {
    const d = await startLinphone(3, TONE_A, 'dtls');
    const e = await startLinphone(4, TONE_B);
    await connect(d, DTLS_ROOM);
    await connect(e, DTLS_ROOM);
    // linphone's own DTLS stack: RFC 5764 4.1.2 profile 1 = SRTP_AES128_CM_HMAC_SHA1_80, on RTP and RTCP
    await d.waitOutput(/fully encrypted/);
    expect(d.log()).toMatch(/DTLS Handshake on RTP channel successful, srtp protection profile 1\b/);
    expect(d.log()).toMatch(/DTLS RTCP Handshake successful, srtp protection profile 1\b/);
    await gw.waitForLog((l) => l.msg === 'DTLS-SRTP keyed' && l.room === DTLS_ROOM && l.suite === 'AES_CM_128_HMAC_SHA1_80');
    expect(joined(DTLS_ROOM)).toEqual([
      ['dtls-udp', 'DTLS handshake pending', 'default'],
      ['sdes', 'AES_CM_128_HMAC_SHA1_80', 'default'],
    ]);
    await hearEachOther(d, TONE_A, e, TONE_B);
  }, 60_000);

  it('secure profile (AEAD_AES_256_GCM only): linphone gets 488 Not Acceptable Here', async () => {
    const c = await startLinphone(2, TONE_A);
    c.call(`sip:${SECURE_ROOM}@127.0.0.1:${SIP_PORT}`);
    await c.waitOutput(/Call \d+ with \S+ error\./);
    // linphone's side: the final response it received
    expect(c.log()).toMatch(/received \[\d+\] new bytes from \[[^\]]+\]:\r?\nSIP\/2\.0 488 Not Acceptable Here\r?\n/);
    expect(c.output).not.toMatch(/connected\./);
    const rejected = await gw.waitForLog((l) => l.msg === 'call rejected' && l.status === 488);
    expect(rejected).toMatchObject({ code: 'POLICY_NO_ACCEPTABLE_SUITE', profile: 'secure' });
    expect(joined(SECURE_ROOM)).toEqual([]);
  }, 60_000);

  it('the 488 carries one well-formed Warning naming the profile (RFC 3261 20.43)', async () => {
    // linphone C from the previous case received it; make the call again if this case runs alone
    const c = linphones.find((l) => /SIP\/2\.0 488/.test(l.log())) ?? (await startLinphone(2, TONE_A));
    if (!/SIP\/2\.0 488/.test(c.log())) {
      c.call(`sip:${SECURE_ROOM}@127.0.0.1:${SIP_PORT}`);
      await c.waitOutput(/Call \d+ with \S+ error\./);
    }
    const warning = /^SIP\/2\.0 488 [\s\S]*?^Warning: (.*?)\r?$/m.exec(c.log())?.[1];
    // warning-value = warn-code SP warn-agent SP warn-text, warn-text a quoted-string
    expect(warning).toMatch(/^399 gatehouse "profile secure: [^"]+"$/);
  }, 60_000);

  it('secure profile with DTLS-SRTP (linphone offers SHA1 profiles only): no SRTP is ever keyed, the gateway hangs up', async () => {
    // a DTLS offer carries no profile list, so the SDP is answered; the handshake then finds no
    // common use_srtp profile and the gateway sends BYE
    const f = await startLinphone(5, TONE_A, 'dtls');
    f.call(`sip:${SECURE_ROOM}@127.0.0.1:${SIP_PORT}`);
    await f.waitOutput(/Call \d+ with \S+ ended/);
    expect(f.log(), 'linphone received a BYE').toMatch(/received \[\d+\] new bytes from \[[^\]]+\]:\r?\nBYE sip:/);
    expect(f.log()).not.toMatch(/Handshake successful|Handshake on RTP channel successful/);
    expect(f.output).not.toMatch(/fully encrypted/);
    const failed = await gw.waitForLog((l) => l.msg === 'DTLS-SRTP failed; ending the call' && l.room === SECURE_ROOM);
    expect(failed).toMatchObject({ err: { code: 'DTLS_NO_COMMON_PROFILE' } });
    expect(gw.lines.filter((l) => l.msg === 'DTLS-SRTP keyed' && l.room === SECURE_ROOM)).toEqual([]);
  }, 60_000);
});

function requireIp(): void {
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).error !== undefined) throw new Error('ip (iproute2) not found; install with: apt-get install iproute2');
}

/** `gatehouse start --config FILE` inside the namespace, with its JSON log lines collected. */
class NetnsGateway {
  readonly lines: Array<Record<string, unknown>> = [];
  private readonly proc: ChildProcess;
  private out = '';
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
          this.lines.push(JSON.parse(p) as Record<string, unknown>);
        } catch {
          /* not a log line */
        }
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static async start(netns: Netns, dir: string): Promise<NetnsGateway> {
    const config = join(dir, 'gatehouse.yaml');
    writeFileSync(
      config,
      [
        'log: { level: info, format: json }',
        'admin: { listen: "127.0.0.1:8088" }',
        'sip:',
        `  udp: { enabled: true, listen: "127.0.0.1:${SIP_PORT}" }`,
        `  tcp: { enabled: true, listen: "127.0.0.1:${SIP_PORT}" }`,
        'media: { bind_address: 127.0.0.1, port_min: 40000, port_max: 40999, webrtc_port_min: 50000, webrtc_port_max: 50999 }',
        'rooms:',
        '  list:',
        `    - id: ${DEFAULT_ROOM}`,
        `    - id: ${SECURE_ROOM}`,
        '      profile: secure',
        `    - id: ${DTLS_ROOM}`,
        '',
      ].join('\n'),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
    const g = new NetnsGateway(netns.spawn(process.execPath, [GATEHOUSE_BIN, 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    await g.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'), 30_000);
    return g;
  }

  async waitForLog(pred: (l: Record<string, unknown>) => boolean, ms = 20_000): Promise<Record<string, unknown>> {
    const deadline = performance.now() + ms;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (this.proc.exitCode !== null || performance.now() > deadline) throw new Error(`gateway: no matching log line${this.proc.exitCode !== null ? ' (it exited)' : ''}:\n${this.out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
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
