/**
 * Issue 6, re-keying re-INVITEs from a real peer (RFC 4568 7.1.4): linphone with
 * `[sip] keep_srtp_keys=0` (liblinphone then makes new SDES keys for every new local
 * description, so each re-INVITE it sends carries new a=crypto keys) holds and resumes its call
 * in a room with a second linphone. The gateway must accept each re-offer, switch its receive
 * context to linphone's new key (ours stays, see src/app/reinvite.ts) and keep the audio
 * flowing both ways.
 *
 * Checked independently of the gateway's counters: after the resume, each linphone must DECODE
 * the other's tone (its `record` WAV; only audio decoded after the resume counts), and
 * linphone's own log shows the re-INVITEs it sent carried keys other than its first INVITE's.
 * The call record in Redis (read back with the KEK) must hold linphone's NEW key as the remote
 * key, so that an instance taking the call over later starts from the keys in force.
 * Everything runs in a loopback-only network namespace the test creates.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Linphone, Netns, requireLinphone } from '../../helpers/linphone.ts';
import { decodedLength, linphoneSipCrypto, NetnsGateway, requireTool, startNetnsRedis, stopChild, toneWav, waitHeard } from './helpers/netns-gateway.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';

const ROOM = 'rekey-room';
const TONE_1 = 1000;
const TONE_2 = 600;
const REDIS_PORT = 6379;
const READER = fileURLToPath(new URL('./helpers/read-call-keys.ts', import.meta.url));

let ns: Netns;
let dir: string;
let kekFile: string;
let gw: NetnsGateway;
let redis: ChildProcess | undefined;
const linphones: Linphone[] = [];

beforeAll(async () => {
  requireLinphone();
  requireTool('ip', ['-V'], 'iproute2');
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-linphone-rekey-'));
  ns = await Netns.create();
  redis = await startNetnsRedis(ns, dir, REDIS_PORT);
  kekFile = writeKek(dir);
  const state = redisStateYaml(`redis://127.0.0.1:${REDIS_PORT}`, kekFile, { timing: false });
  gw = await NetnsGateway.start(ns, dir, { name: 'gw', sipPort: 5060, mediaBase: 40000, rooms: [ROOM], extraYaml: state });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(linphones.map((l) => l.stop()));
  await gw?.stop();
  await stopChild(redis);
  await ns?.delete();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface StoredKeys {
  readonly callId: string;
  readonly suite: string | null;
  readonly local: string | null;
  readonly remote: string | null;
}

/** The stored records' key digests, read inside the namespace (helpers/read-call-keys.ts). */
async function storedKeys(): Promise<StoredKeys[]> {
  const child = ns.spawn(process.execPath, [READER, `redis://127.0.0.1:${REDIS_PORT}`, kekFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`read-call-keys failed (${code}): ${err}`);
  return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as StoredKeys);
}

const sha256 = (b64: string | undefined): string => createHash('sha256').update(Buffer.from(b64 ?? '', 'base64')).digest('hex');

async function startLinphone(n: number, toneHz: number, sipConfig: Record<string, number> = {}): Promise<Linphone> {
  const l = await Linphone.start({ netns: ns, sipPort: 5090 + 2 * n, rtpPort: 41000 + 10 * n, play: toneWav(dir, toneHz), sipConfig });
  linphones.push(l);
  return l;
}

it('linphone re-keys in its hold and resume re-INVITEs: the gateway follows and audio flows both ways after the resume', { timeout: 120_000 }, async () => {
  const l1 = await startLinphone(0, TONE_1, { keep_srtp_keys: 0 });
  const l2 = await startLinphone(1, TONE_2);
  for (const l of [l1, l2]) {
    l.call(`sip:${ROOM}@127.0.0.1:5060`);
    await l.waitOutput(/Call \d+ with \S+ connected\./);
  }
  await gw.waitForLog((l) => l.msg === 'call joined room', 20_000, 2);
  await waitHeard(l1, TONE_2, 0, 'before: linphone 1 hears 2');
  await waitHeard(l2, TONE_1, 0, 'before: linphone 2 hears 1');

  l1.send('pause');
  await gw.waitForLog((l) => l.msg === 'SDES call re-keyed by re-INVITE', 20_000, 1);
  l1.send('resume');
  const rekeyed = await gw.waitForLog((l) => l.msg === 'SDES call re-keyed by re-INVITE', 20_000, 2);
  // only the peer's key changed: same suite, our key and address kept (src/app/reinvite.ts)
  expect(rekeyed.map((l) => [l.peerRekeyed, l.weRekeyed, l.suiteChanged, l.moved, l.suite])).toEqual([
    [true, false, false, false, 'AES_CM_128_HMAC_SHA1_80'],
    [true, false, false, false, 'AES_CM_128_HMAC_SHA1_80'],
  ]);
  expect(gw.logs('re-INVITE refused')).toEqual([]);

  // after the resume: both directions decoded by the linphones themselves
  const from1 = decodedLength(l1);
  const from2 = decodedLength(l2);
  await waitHeard(l2, TONE_1, from2, 'after: linphone 2 hears 1 (sent under its new key)');
  await waitHeard(l1, TONE_2, from1, 'after: linphone 1 hears 2 (our key, unchanged)');

  // linphone's side: its initial INVITE and both re-INVITEs, each with keys of its own
  const sent = linphoneSipCrypto(l1).filter((m) => m.dir === 'out' && m.startLine.startsWith('INVITE '));
  expect(sent).toHaveLength(3);
  const first = sent.map((m) => m.keys[0]);
  expect(new Set(first).size).toBe(3);
  // and our answers kept our key: the a=crypto in every 200 OK it received is the same
  const answers = linphoneSipCrypto(l1).filter((m) => m.dir === 'in' && m.startLine.startsWith('SIP/2.0 200'));
  expect(answers).toHaveLength(3);
  expect(new Set(answers.map((m) => m.keys[0])).size).toBe(1);
  for (const l of [l1, l2]) expect(l.output).not.toMatch(/Call \d+ with \S+ ended/);

  // the stored record follows: linphone 1's call holds its newest key as the remote key and
  // our unchanged key as the local one (re-stored after each answer)
  const callId1 = rekeyed[0]?.callId;
  const stored = (await storedKeys()).find((r) => r.callId === callId1);
  expect(stored?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
  expect(stored?.remote).toBe(sha256(sent[2]?.keys[0]));
  expect(stored?.remote).not.toBe(sha256(sent[0]?.keys[0]));
  expect(stored?.local).toBe(sha256(answers[0]?.keys[0]));
});
