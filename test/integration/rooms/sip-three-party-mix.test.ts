/**
 * Issue 6, test 5: three participants in one room of the real `gatehouse` binary, each hears
 * the other two (N-1 mix) and not itself.
 *
 * Three baresip instances send sines of different frequencies (440, 700, 1100 Hz) over
 * different leg kinds: SDES AES_CM_128_HMAC_SHA1_80 with rtcp-mux, SDES without rtcp-mux, and
 * DTLS-SRTP without ICE. The check runs on the audio each baresip DECODED from what it received
 * (its own SRTP stack authenticated and decrypted it), never on the gateway's counters: in the
 * latest second of each one's audio, both other frequencies carry a clear share of the power
 * (Goertzel) and its own frequency next to none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rms, toneFraction } from '../../helpers/audio-analysis.ts';
import { Baresip, type BaresipOptions } from '../../helpers/baresip.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';

const ROOM = 'mix3';
const RATE = 8000;
const WINDOW = RATE; // the latest 1 s of decoded audio
const PARTICIPANTS: readonly { readonly hz: number; readonly opts: BaresipOptions }[] = [
  { hz: 440, opts: { mediaenc: 'srtp-mand', rtcpMux: true } },
  { hz: 700, opts: { mediaenc: 'srtp-mand', rtcpMux: false } },
  { hz: 1100, opts: { mediaenc: 'dtls_srtp', rtcpMux: false } },
];

let gw: RoomGateway;
const peers: Baresip[] = [];

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: ROOM }] });
  for (const p of PARTICIPANTS) peers.push(await Baresip.start({ ...p.opts, source: { sine: p.hz } }));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(peers.map((p) => p.stop()));
  await gw?.stop();
});

interface Heard {
  readonly hz: number;
  readonly samples: number;
  readonly rms: number;
  /** share of the power at each participant's frequency, in the latest second */
  readonly share: Readonly<Record<number, number>>;
}

/** What `peer` decoded in the latest second, counting only audio after sample `from`. */
function listen(peer: Baresip, hz: number, from: number): Heard {
  const all = peer.decodedAudio();
  const tail = all.subarray(Math.max(from, all.length - WINDOW));
  const share: Record<number, number> = {};
  for (const p of PARTICIPANTS) share[p.hz] = toneFraction(tail, RATE, p.hz, 50, 300);
  return { hz, samples: tail.length, rms: rms(tail), share };
}

function hearsTheOthersOnly(h: Heard): boolean {
  return h.samples >= WINDOW && PARTICIPANTS.every((p) => (p.hz === h.hz ? (h.share[p.hz] ?? 1) < 0.05 : (h.share[p.hz] ?? 0) > 0.25));
}

async function waitUntil(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('issue 6 test 5: three participants, each hears the other two', () => {
  it('mixes N-1 for three SIP legs (SDES with and without rtcp-mux, DTLS-SRTP)', async () => {
    for (const [i, peer] of peers.entries()) {
      await peer.command('dial', gw.roomUri(ROOM));
      await peer.waitEvent('CALL_ESTABLISHED');
      await waitUntil(() => gw.logs('call joined room').filter((l) => l.room === ROOM).length === i + 1, 'gateway joined the call');
    }
    await gw.waitForLog('DTLS-SRTP keyed', (l) => l.room === ROOM);
    const suites = gw.logs('call joined room').map((l) => l.suite);
    expect(suites.slice(0, 2)).toEqual(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80']);
    // the DTLS participant's own stack names the profile it negotiated
    await waitUntil(() => (peers[2]?.dtlsProfiles().length ?? 0) > 0, 'baresip logs the DTLS-SRTP profile');
    expect(peers[2]?.dtlsProfiles().map((d) => d.profile)).toContain('AEAD_AES_256_GCM');

    // from here on everyone is in the room: each one's audio after this mark must be the mix
    // of the other two, for a full second
    const marks = peers.map((p) => p.decodedAudio().length);
    const deadline = performance.now() + 30_000;
    let heard: Heard[] = [];
    for (;;) {
      heard = peers.map((p, i) => listen(p, PARTICIPANTS[i]?.hz ?? 0, marks[i] ?? 0));
      if (heard.every(hearsTheOthersOnly) || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const h of heard) {
      const others = PARTICIPANTS.filter((p) => p.hz !== h.hz).map((p) => p.hz);
      expect(h.samples, `${h.hz} Hz participant decoded a full second with everyone in the room`).toBe(WINDOW);
      expect(h.rms, `${h.hz} Hz participant hears sound`).toBeGreaterThan(1000);
      for (const o of others) expect(h.share[o], `${h.hz} Hz participant hears ${o} Hz (${JSON.stringify(h.share)})`).toBeGreaterThan(0.25);
      expect(h.share[h.hz], `${h.hz} Hz participant does not hear itself (${JSON.stringify(h.share)})`).toBeLessThan(0.05);
    }
  }, 60_000);
});
