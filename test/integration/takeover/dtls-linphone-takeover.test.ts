/**
 * Issue 7, test 1 with linphone as the DTLS-SRTP SIP peer (liblinphone 5.1 / mediastreamer2,
 * `media_encryption=dtls`, no rtcp-mux): linphone 1 (DTLS) and linphone 2 (SDES) talk in one
 * room through instance A; `kill -9` A; B re-INVITEs both in their dialogs. For the DTLS leg B
 * continues the association A negotiated (same fingerprint and role, B's address, the stored
 * exported keys: src/app/takeover-dtls.ts). Audio both ways again is checked at the receivers
 * (what each linphone DECODED, from the adoption on).
 *
 * Observed (and asserted, since it is why the takeover resumes rather than renews): linphone
 * answers the re-INVITE without a=fingerprint or a=setup, restarts its stream objects but keeps
 * its DTLS-SRTP context: its log shows one handshake for the whole call.
 *
 * Everything runs in a loopback-only network namespace the test creates (test/helpers/linphone.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Linphone } from '../../helpers/linphone.ts';
import type { Netns } from '../../helpers/linphone.ts';
import { decodedLength, toneWav, waitHeard } from '../sip/helpers/netns-gateway.ts';
import type { NetnsGateway } from '../sip/helpers/netns-gateway.ts';
import { startNetnsTakeoverPair } from './netns-takeover-pair.ts';
import type { NetnsTakeoverPair } from './netns-takeover-pair.ts';

const ROOM = 'dtls-takeover-room';
const TONE_DTLS = 1000;
const TONE_SDES = 600;

let pair: NetnsTakeoverPair;
let ns: Netns;
let dir: string;
let gwA: NetnsGateway;
let gwB: NetnsGateway;
let linphones: Linphone[];

beforeAll(async () => {
  pair = await startNetnsTakeoverPair(ROOM, 'gatehouse-linphone-dtls-takeover-');
  ({ ns, dir, a: gwA, b: gwB, linphones } = pair);
}, 60_000);

afterAll(async () => {
  await pair?.stop();
});

it('kill -9 of the owner: the survivor continues the DTLS-SRTP linphone (and the SDES one) in the same dialogs, audio both ways', { timeout: 150_000 }, async () => {
  const l1 = await Linphone.start({ netns: ns, sipPort: 5090, rtpPort: 41000, play: toneWav(dir, TONE_DTLS), mediaEncryption: 'dtls' });
  linphones.push(l1);
  const l2 = await Linphone.start({ netns: ns, sipPort: 5092, rtpPort: 41010, play: toneWav(dir, TONE_SDES) });
  linphones.push(l2);
  for (const l of [l1, l2]) {
    l.call(`sip:${ROOM}@127.0.0.1:5060`);
    await l.waitOutput(/Call \d+ with \S+ connected\./);
  }
  await gwA.waitForLog((l) => l.msg === 'call joined room', 20_000, 2);
  const joined = gwA.logs('call joined room');
  expect(joined.map((l) => l.keying).sort()).toEqual(['dtls-udp', 'sdes']);
  await waitHeard(l1, TONE_SDES, 0, 'through A: the DTLS linphone hears the SDES one');
  await waitHeard(l2, TONE_DTLS, 0, 'through A: the SDES linphone hears the DTLS one');

  await gwA.kill();
  const adopted = await gwB.waitForLog((l) => l.msg === 'call adopted', 30_000, 2);
  expect(adopted.map((l) => l.dialogId).sort()).toEqual(joined.map((l) => l.dialogId).sort());
  expect(adopted.map((l) => l.epoch)).toEqual([2, 2]);
  // linphone offers DTLS with the SHA1 profiles only (DESIGN.md peers table)
  expect(adopted.find((l) => l.keying === 'dtls-udp')).toMatchObject({ mode: 'resume', suite: 'AES_CM_128_HMAC_SHA1_80', role: 'server', peerCertificateChanged: false });
  const after1 = decodedLength(l1);
  const after2 = decodedLength(l2);
  await waitHeard(l2, TONE_DTLS, after2, 'through B: the SDES linphone hears the DTLS one');
  await waitHeard(l1, TONE_SDES, after1, 'through B: the DTLS linphone hears the SDES one');
  expect(l1.output).not.toMatch(/Call \d+ with \S+ ended/);
  expect(l2.output).not.toMatch(/Call \d+ with \S+ ended/);
  // one association for the whole call (mediastreamer2's own log line)
  expect(l1.log().match(/DTLS Handshake on RTP channel successful/g)?.length).toBe(1);
});
