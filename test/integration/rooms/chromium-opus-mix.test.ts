/**
 * Three participants, one of them a browser guest on Opus, in one room of the real gateway
 * binary: the N-1 mix decodes the guest's Opus and encodes the guest's mix as Opus
 * (src/adapters/media/mix-path.ts, 16 kHz mix), next to two SIP legs on PCMU (baresip, SDES).
 *
 * Checked at the receivers, never with the gateway's counters:
 * - the page: getStats says the browser sends AND receives audio/opus (in a mix the gateway
 *   encodes every guest's stream in its send codec), and the samples it plays carry both
 *   baresip sines (700 and 1700 Hz: Goertzel share of each);
 * - each baresip's DECODED audio: the other baresip's sine (clear share), not its own, and the
 *   guest's fake-microphone beep (400 Hz, every 500 ms): 20 ms blocks where 400 Hz dominates
 *   come and go (present, but in well under half of the blocks: a beep, not a tone).
 * Frequencies are far apart (300 Hz and more from 400 Hz and its third harmonic at 1200 Hz) so a
 * 20 ms block tells them apart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { goertzelPower, rms, toneFraction } from '../../helpers/audio-analysis.ts';
import { Baresip } from '../../helpers/baresip.ts';
import { joinRoom, launchChromium, leaveRoom, type ChromiumSession } from '../../helpers/chromium.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { BEEP_HZ, capturePageAudio, waitForGuestCodecs } from './chromium-audio-checks.ts';

const ROOM = 'opus-mix';
const SINES = [700, 1700] as const;
const RATE = 8000;
let gw: RoomGateway;
const peers: Baresip[] = [];
let browser: ChromiumSession;
let page: Page;

beforeAll(async () => {
  gw = await startRoomGateway({ rooms: [{ id: ROOM }], web: true });
  for (const hz of SINES) peers.push(await Baresip.start({ mediaenc: 'srtp-mand', source: { sine: hz } }));
  browser = await launchChromium();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled(peers.map((p) => p.stop()));
  await gw?.stop();
});

interface BaresipHearing {
  readonly samples: number;
  readonly share: Readonly<Record<number, number>>;
  /** Share of 20 ms blocks (louder than silence) in which 400 Hz carries most of the power. */
  readonly beepBlocks: number;
}

function listen(peer: Baresip, from: number): BaresipHearing {
  const all = peer.decodedAudio();
  const tail = all.subarray(Math.max(from, all.length - 3 * RATE));
  const share: Record<number, number> = {};
  for (const hz of SINES) share[hz] = toneFraction(tail, RATE, hz, 50, 300);
  const block = RATE / 50;
  let blocks = 0;
  let beeps = 0;
  for (let i = 0; i + block <= tail.length; i += block) {
    const r = rms(tail, i, i + block);
    if (r < 300) continue;
    blocks++;
    if (goertzelPower(tail, RATE, BEEP_HZ, i, i + block) > 0.3 * r * r) beeps++;
  }
  return { samples: tail.length, share, beepBlocks: blocks === 0 ? 0 : beeps / blocks };
}

function hearsOthers(h: BaresipHearing, own: number, other: number): boolean {
  return h.samples >= 3 * RATE && (h.share[other] ?? 0) > 0.2 && (h.share[own] ?? 1) < 0.05 && h.beepBlocks > 0.02 && h.beepBlocks < 0.5;
}

it('mixes an Opus guest with two PCMU SIP legs: everyone hears the other two', { timeout: 90_000 }, async () => {
  for (const [i, peer] of peers.entries()) {
    expect((await peer.command('dial', gw.roomUri(ROOM))).ok).toBe(true);
    await peer.waitEvent('CALL_ESTABLISHED');
    await gw.waitForLog('call joined room', () => gw.logs('call joined room').filter((l) => l.room === ROOM).length === i + 1);
  }
  const joined = await joinRoom(page, { baseUrl: gw.webUrl ?? '', room: ROOM, timeoutMs: 30_000 });
  expect(joined).toEqual({ phase: 'in-call', error: null, rejection: null });
  expect(await waitForGuestCodecs(page)).toEqual({ sending: 'audio/opus', receiving: 'audio/opus', sendingClockRate: 48000 });

  // the guest plays both sines (the gateway's Opus-encoded mix)
  const deadline = performance.now() + 30_000;
  let pageShare: number[] = [];
  for (;;) {
    const a = await capturePageAudio(page, 1500);
    pageShare = SINES.map((hz) => (a.rate > 0 ? toneFraction(a.samples, a.rate, hz, 50, 0.01) : 0));
    if (pageShare.every((s) => s > 0.2) || performance.now() > deadline) break;
  }
  for (const [i, hz] of SINES.entries()) expect(pageShare[i], `the page plays ${hz} Hz (shares ${JSON.stringify(pageShare)})`).toBeGreaterThan(0.2);

  // each baresip hears the other's sine and the guest's beep (decoded from Opus), not itself
  const marks = peers.map((p) => p.decodedAudio().length);
  const until = performance.now() + 30_000;
  let heard: BaresipHearing[] = [];
  for (;;) {
    heard = peers.map((p, i) => listen(p, marks[i] ?? 0));
    if (heard.every((h, i) => hearsOthers(h, SINES[i] ?? 0, SINES[1 - i] ?? 0)) || performance.now() > until) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const [i, h] of heard.entries()) {
    const own = SINES[i] ?? 0;
    const other = SINES[1 - i] ?? 0;
    const what = `baresip ${own} Hz: ${JSON.stringify(h)}`;
    expect(h.samples, what).toBe(3 * RATE);
    expect(h.share[other], what).toBeGreaterThan(0.2);
    expect(h.share[own], what).toBeLessThan(0.05);
    expect(h.beepBlocks, what).toBeGreaterThan(0.02);
    expect(h.beepBlocks, what).toBeLessThan(0.5);
  }

  await leaveRoom(page);
  for (const p of peers) await p.command('hangup');
  await gw.waitForLog('call left room; room ended', (l) => l.room === ROOM);
});
