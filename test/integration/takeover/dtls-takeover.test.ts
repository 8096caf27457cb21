/**
 * Issue 7, test 1 for a DTLS-SRTP SIP leg without ICE: two (then three) gatehouse instances
 * share a real redis-server; baresip A (`mediaenc dtls_srtp`, rtcp-mux, 600 Hz) and baresip B
 * (SDES `srtp-mand`, 1400 Hz) talk in one room through instance 1. `kill -9` instance 1:
 * instance 2 claims both calls and re-INVITEs both baresips in their dialogs; for the DTLS leg
 * it continues the association instance 1 negotiated (same fingerprint and role, new address,
 * the stored exported SRTP keys: src/app/takeover-dtls.ts). Audio must flow both ways again.
 * Then `kill -9` instance 2: instance 3 takes both calls over from what instance 2 stored,
 * which shows the re-stored record is complete enough for a second takeover.
 *
 * Checked at the receivers: baresip's DECODED audio (its sndfile dump), analysed only from the
 * sample count at the moment of each kill on, so audio relayed before cannot pass the check.
 * baresip's own log must show one DTLS handshake for the whole call (it never starts a second
 * association; that is why the takeover resumes the first one).
 *
 * Secrets at rest (issue 7, test 6): the DTLS-exported SRTP keys, the SDES keys and the DTLS
 * private key of every stored record (read back through the store with the KEK) appear in no
 * raw Redis value, in raw, base64, base64url or hex form.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { openRedisStateStore, type RedisStateStore } from '../../../src/adapters/state/redis-state-store.ts';
import type { CallRecord } from '../../../src/core/call/call-record.ts';
import { Baresip } from '../../helpers/baresip.ts';
import { toneFraction } from '../../helpers/audio-analysis.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { redisStateYaml } from '../../helpers/state-yaml.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { allValues, rawClient, waitFor } from '../state/redis-raw.ts';

const ROOM = 'dtls-takeover-room';
const RATE = 8000; // G.711 (baresip's decoded dump)
const HZ_DTLS = 600;
const HZ_SDES = 1400;

let redis: RedisServer;
let raw: Redis;
let reader: RedisStateStore;
let dir: string;
let stateYaml: string[];
const gateways: RoomGateway[] = [];
let dtls: Baresip;
let sdes: Baresip;

beforeAll(async () => {
  redis = await startRedisServer({ extraArgs: ['--rdbcompression', 'no'] });
  raw = rawClient(redis.port);
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-dtls-takeover-'));
  const kek = randomBytes(32);
  writeFileSync(join(dir, 'k1.kek'), `${kek.toString('base64')}\n`);
  reader = await openRedisStateStore({ url: redis.url, keyring: { activeKeyId: 'k1', keys: new Map([['k1', new Uint8Array(kek)]]) }, name: 'test-reader' });
  // the SDES baresip keeps decrypting with its first key after a re-INVITE (gateway-takeover.test.ts)
  stateYaml = redisStateYaml(redis.url, join(dir, 'k1.kek'), { sdesKey: 'same' });
  gateways.push(...(await Promise.all([startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: stateYaml }), startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: stateYaml })])));
  [dtls, sdes] = await Promise.all([Baresip.start({ mediaenc: 'dtls_srtp', source: { sine: HZ_DTLS } }), Baresip.start({ mediaenc: 'srtp-mand', source: { sine: HZ_SDES } })]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([dtls?.stop(), sdes?.stop()]);
  await Promise.allSettled(gateways.map((g) => g.stop()));
  await reader?.close();
  raw?.disconnect();
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Waits until `b` has decoded at least 1 s of `hz` (fraction > 0.8) after sample `from`. */
async function waitForTone(b: Baresip, hz: number, from: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = { fraction: 0, samples: 0 };
  for (;;) {
    const pcm = b.decodedAudio();
    const tail = pcm.subarray(Math.max(from, pcm.length - RATE));
    last = { fraction: toneFraction(tail, RATE, hz, 20, 200), samples: tail.length };
    if (last.samples >= RATE && last.fraction > 0.8) return;
    if (performance.now() > deadline) throw new Error(`no ${hz} Hz decoded after sample ${from}: last ${JSON.stringify(last)}\n${b.output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function callRecords(): Promise<CallRecord[]> {
  const ids = (await raw.keys('gh:call:*')).map((k) => k.slice('gh:call:'.length));
  const out: CallRecord[] = [];
  for (const id of ids) {
    const row = await reader.get('call', id);
    if (row) out.push(row.value);
  }
  return out;
}

const dtlsRecord = (rs: readonly CallRecord[]): CallRecord | undefined => rs.find((r) => r.legs[0]?.srtp?.keyExchange === 'dtls-srtp');

/** Every stored key, salt and DTLS private key, in every encoding a leak could take. */
function secretForms(records: readonly CallRecord[]): { label: string; bytes: Buffer }[] {
  const forms: { label: string; bytes: Buffer }[] = [];
  const add = (label: string, b: Buffer): void => {
    forms.push({ label: `${label} raw`, bytes: b });
    forms.push({ label: `${label} base64`, bytes: Buffer.from(b.toString('base64').replace(/=+$/, '')) });
    forms.push({ label: `${label} base64url`, bytes: Buffer.from(b.toString('base64url')) });
    forms.push({ label: `${label} hex`, bytes: Buffer.from(b.toString('hex')) });
  };
  for (const r of records) {
    for (const leg of r.legs) {
      for (const side of ['local', 'remote'] as const) {
        if (leg.srtp === null) continue;
        add(`${r.callId} ${side} key`, Buffer.from(leg.srtp[side].masterKey));
        add(`${r.callId} ${side} salt`, Buffer.from(leg.srtp[side].masterSalt));
      }
      if (leg.dtls !== null) {
        // the PEM body as text, and its DER
        const body = leg.dtls.privateKeyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
        forms.push({ label: `${r.callId} DTLS private key PEM`, bytes: Buffer.from(body.slice(0, 64)) });
        add(`${r.callId} DTLS private key DER`, Buffer.from(body, 'base64'));
      }
    }
  }
  return forms;
}

async function expectNoSecretInRedis(records: readonly CallRecord[]): Promise<void> {
  const forms = secretForms(records);
  expect(forms.length).toBeGreaterThan(0);
  const values = await allValues(raw);
  const leaks = forms.filter((f) => values.some((v) => v.includes(f.bytes))).map((f) => f.label);
  expect(leaks).toEqual([]);
  expect(values.filter((v) => v.includes('PRIVATE KEY')).length).toBe(0);
}

/** kill -9 `victim`; `survivor` must adopt both calls at `epoch`; both baresips hear each other again. */
async function killAndExpectTakeover(victim: RoomGateway, survivor: RoomGateway, epoch: number, dialogIds: readonly string[]): Promise<void> {
  const fromDtls = dtls.decodedAudio().length;
  const fromSdes = sdes.decodedAudio().length;
  const killedAt = performance.now();
  victim.process.child.kill('SIGKILL');
  await victim.process.exited;
  await survivor.waitForLog('call adopted', () => survivor.logs('call adopted').length >= 2, 30_000);
  const adopted = survivor.logs('call adopted');
  expect(adopted.map((l) => l.dialogId).sort()).toEqual([...dialogIds].sort());
  expect(adopted.map((l) => l.epoch)).toEqual([epoch, epoch]);
  const dtlsAdopted = adopted.find((l) => l.keying === 'dtls-udp');
  expect(dtlsAdopted).toMatchObject({ mode: 'resume', suite: 'AEAD_AES_256_GCM', role: 'server' });
  // from the kill on: the SDES baresip decodes the DTLS one's sine and the other way round
  await waitForTone(sdes, HZ_DTLS, fromSdes, 20_000);
  await waitForTone(dtls, HZ_SDES, fromDtls, 20_000);
  console.log(`kill -9 -> 1 s of the right tone verified both ways: ${Math.round(performance.now() - killedAt)} ms (epoch ${epoch})`);
  expect(dtls.events.filter((e) => e.type === 'CALL_CLOSED')).toEqual([]);
  expect(sdes.events.filter((e) => e.type === 'CALL_CLOSED')).toEqual([]);
}

it('kill -9 of the owner, twice: a survivor continues the DTLS-SRTP leg\'s association (and the SDES leg) in the same dialogs, audio both ways', { timeout: 180_000 }, async () => {
  const [g1, g2] = gateways as [RoomGateway, RoomGateway];
  for (const b of [dtls, sdes]) {
    expect((await b.command('dial', g1.roomUri(ROOM))).ok).toBe(true);
    await b.waitEvent('CALL_ESTABLISHED');
  }
  await g1.waitForLog('call joined room', () => g1.logs('call joined room').length >= 2);
  const joined = g1.logs('call joined room');
  expect(joined.map((l) => l.keying).sort()).toEqual(['dtls-udp', 'sdes']);
  await dtls.waitEvent('CALL_MENC');
  expect(dtls.dtlsProfiles()).toEqual([{ component: 'audio/RTP', profile: 'AEAD_AES_256_GCM' }]);
  await waitForTone(sdes, HZ_DTLS, 0, 15_000);
  await waitForTone(dtls, HZ_SDES, 0, 15_000);

  // instance 1 stored the DTLS association once it was keyed: keys, certificate, role
  await waitFor('the DTLS keys in the call record', async () => dtlsRecord(await callRecords()) !== undefined);
  const before = await callRecords();
  expect(before.map((r) => r.epoch)).toEqual([1, 1]);
  const d1 = dtlsRecord(before);
  expect(d1?.legs[0]?.srtp?.suite).toBe('AEAD_AES_256_GCM');
  expect(d1?.legs[0]?.dtls).toMatchObject({ role: 'server' });
  await expectNoSecretInRedis(before);
  const dialogIds = joined.map((l) => String(l.dialogId));

  await killAndExpectTakeover(g1, g2, 2, dialogIds);
  const after = await callRecords();
  expect(after.map((r) => r.epoch)).toEqual([2, 2]);
  const d2 = dtlsRecord(after);
  // the same association (keys, certificate), our new address
  expect(Buffer.from(d2?.legs[0]?.srtp?.local.masterKey ?? []).equals(Buffer.from(d1?.legs[0]?.srtp?.local.masterKey ?? [1]))).toBe(true);
  expect(d2?.legs[0]?.dtls?.localFingerprint).toBe(d1?.legs[0]?.dtls?.localFingerprint);
  expect(d2?.legs[0]?.media.local.port).not.toBe(d1?.legs[0]?.media.local.port);
  await expectNoSecretInRedis([...before, ...after]);

  // a second takeover from what instance 2 stored
  const g3 = await startRoomGateway({ rooms: [{ id: ROOM }], extraYaml: stateYaml });
  gateways.push(g3);
  await g3.waitForLog('takeover enabled: heartbeat and orphan watcher running');
  await killAndExpectTakeover(g2, g3, 3, dialogIds);
  expect((await callRecords()).map((r) => r.epoch)).toEqual([3, 3]);

  // one DTLS handshake in baresip for the whole call: the association was continued, not renewed
  expect(dtls.dtlsProfiles()).toEqual([{ component: 'audio/RTP', profile: 'AEAD_AES_256_GCM' }]);
});
