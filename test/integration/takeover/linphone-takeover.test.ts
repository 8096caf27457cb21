/**
 * Issue 7, test 1 with a peer that takes a NEW SDES key on a re-INVITE: two gatehouse instances
 * share a real redis-server, two linphones (SDES, `media_encryption_mandatory`, 1000 Hz and
 * 600 Hz WAVs) talk in one room through instance A. `kill -9` A: B claims both calls and sends
 * each linphone a target-refresh re-INVITE in the same dialog with the DEFAULT
 * `state.takeover_sdes_key: new` (a fresh key for our direction, RFC 4568 7.1.4) and its own
 * media address. Audio must flow both ways again through B.
 *
 * baresip 1.0 keeps decrypting with its first key after a re-INVITE, which is why
 * gateway-takeover.test.ts runs with `same`; linphone (liblinphone 5.1) re-keys its receiver
 * when the remote key changes, so the default is tested here.
 *
 * Checked at the receivers, independently of the gateway's counters: what each linphone
 * DECODED (its `record` WAV), analysed only from the moment of the kill on, must be the other's
 * tone; linphone's own log shows the re-INVITE it received carried a different a=crypto key
 * from the one in A's 200 OK (compared here, never printed).
 *
 * Everything (redis-server, both gateways, both linphones) runs in a loopback-only network
 * namespace the test creates (test/helpers/linphone.ts says why).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Linphone } from '../../helpers/linphone.ts';
import type { Netns } from '../../helpers/linphone.ts';
import { decodedLength, linphoneSipCrypto, toneWav, waitHeard } from '../sip/helpers/netns-gateway.ts';
import type { NetnsGateway } from '../sip/helpers/netns-gateway.ts';
import { startNetnsTakeoverPair } from './netns-takeover-pair.ts';
import type { NetnsTakeoverPair } from './netns-takeover-pair.ts';

const ROOM = 'takeover-room';
const TONE_1 = 1000;
const TONE_2 = 600;

let pair: NetnsTakeoverPair;
let ns: Netns;
let dir: string;
let gwA: NetnsGateway;
let gwB: NetnsGateway;
let linphones: Linphone[];

beforeAll(async () => {
  pair = await startNetnsTakeoverPair(ROOM, 'gatehouse-linphone-takeover-');
  ({ ns, dir, a: gwA, b: gwB, linphones } = pair);
}, 60_000);

afterAll(async () => {
  await pair?.stop();
});

async function startLinphone(n: number, toneHz: number): Promise<Linphone> {
  const l = await Linphone.start({ netns: ns, sipPort: 5090 + 2 * n, rtpPort: 41000 + 10 * n, play: toneWav(dir, toneHz) });
  linphones.push(l);
  return l;
}

it('kill -9 of the owner: the survivor re-INVITEs both linphones with a NEW SDES key (default) and audio flows both ways again', { timeout: 150_000 }, async () => {
  const l1 = await startLinphone(0, TONE_1);
  const l2 = await startLinphone(1, TONE_2);
  for (const l of [l1, l2]) {
    l.call(`sip:${ROOM}@127.0.0.1:5060`);
    await l.waitOutput(/Call \d+ with \S+ connected\./);
  }
  await gwA.waitForLog((l) => l.msg === 'call joined room', 20_000, 2);
  expect(gwB.logs('call joined room')).toEqual([]);
  await waitHeard(l1, TONE_2, 0, 'through A: linphone 1 hears 2');
  await waitHeard(l2, TONE_1, 0, 'through A: linphone 2 hears 1');
  const joined = gwA.logs('call joined room');

  const killedAt = performance.now();
  await gwA.kill();

  const adopted = await gwB.waitForLog((l) => l.msg === 'call adopted', 30_000, 2);
  expect(adopted.map((l) => l.dialogId).sort()).toEqual(joined.map((l) => l.dialogId).sort());
  expect(adopted.map((l) => l.epoch)).toEqual([2, 2]);

  // only what was decoded after B adopted the calls counts (A's last packets and linphone's
  // concealment of the outage come before)
  const after1 = decodedLength(l1);
  const after2 = decodedLength(l2);
  await waitHeard(l1, TONE_2, after1, 'through B: linphone 1 hears 2');
  await waitHeard(l2, TONE_1, after2, 'through B: linphone 2 hears 1');
  console.log(`linphone takeover: kill -9 -> 1 s of loud right tone decoded by both after the adoption ${Math.round(performance.now() - killedAt)} ms; linphone kept its own key in its answer: ${adopted.map((l) => String(l.remoteKeyUnchanged)).join(', ')}`);

  for (const l of [l1, l2]) {
    // linphone's side: A's 200 OK then B's re-INVITE, with different keys for our direction
    const messages = linphoneSipCrypto(l).filter((m) => m.dir === 'in');
    const ok = messages.find((m) => m.startLine.startsWith('SIP/2.0 200'));
    const reinvite = messages.find((m) => m.startLine.startsWith('INVITE '));
    expect(ok?.keys).toHaveLength(1);
    expect(reinvite?.keys).toHaveLength(1);
    expect(reinvite?.keys[0]).not.toBe(ok?.keys[0]);
    // and it re-keyed its receiver for it (liblinphone 5.1 / mediastreamer2 log lines)
    const afterReinvite = l.log().slice(l.log().indexOf(reinvite?.startLine ?? '\u0000'));
    expect(afterReinvite).toMatch(/Result stream description has changed: .*CRYPTO_KEYS_CHANGED/);
    expect(afterReinvite).toMatch(/media_stream_set_srtp_recv_key\(\)/);
    expect(l.output).not.toMatch(/Call \d+ with \S+ ended/);
  }
});
