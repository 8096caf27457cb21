/**
 * Audio checks for the Chromium room tests, made at the receiving end (never from the
 * gateway's counters):
 *
 * - capturePageAudio(page): the samples the guest page actually plays. A Web Audio graph on
 *   the page's remote <video> stream (src/web/join.html `#remote-video`; Chromium only feeds
 *   WebRTC remote audio to Web Audio while a media element plays it, which the page does).
 *   The page has had a click (Join), so a new AudioContext may run (autoplay policy).
 * - waitForPageTone(page, hz): waits until the page plays a clean tone at `hz` (baresip's sine).
 * - waitForPageBeeps(page): waits until the page plays Chromium's fake-microphone beep (another
 *   guest's microphone).
 * - waitForBaresipBeeps(b): waits until baresip's DECODED audio (what it decrypted and decoded,
 *   sndfile dump) carries the beep.
 *
 * Chromium's fake microphone (media/audio/fake_audio_input_stream.cc: kBeepFrequency 400,
 * a beep every 500 ms). Observed here (Debian chromium, through PCMU, in baresip's decoded
 * audio and in a page): ~20 ms of a 400 Hz square-like wave followed by a low-frequency decay,
 * together 40-90 ms above the burst threshold, start-to-start 500 ms, strongest Goertzel bin
 * 400 Hz. We check the periodicity loosely (300-700 ms) and the dominant frequency of the
 * first 40 ms of the loudest burst within 400 +- 40 Hz.
 *
 * All waits poll until the condition holds or a deadline passes (then they throw with the last
 * measurement): they wait for a condition, they do not measure time.
 */
import type { Page } from 'playwright-core';
import type { Baresip } from '../../helpers/baresip.ts';
import { guestStats } from '../../helpers/chromium.ts';
import { bursts, burstPeriodMs, dominantFrequency, rms, toneFraction, type Burst } from '../../helpers/audio-analysis.ts';

export const BEEP_HZ = 400;
const BEEP_TOLERANCE_HZ = 40;
const PERIOD_MIN_MS = 300;
const PERIOD_MAX_MS = 700;

export interface PageAudio {
  readonly rate: number;
  readonly samples: number[];
}

/** The few DOM / Web Audio members capturePageAudio uses (the tests compile without the DOM lib). */
interface AudioNodeLike {
  connect(destination: unknown): void;
  disconnect(): void;
}
interface ScriptProcessorLike extends AudioNodeLike {
  onaudioprocess: ((e: { readonly inputBuffer: { getChannelData(channel: number): Float32Array } }) => void) | null;
}
interface AudioContextLike {
  readonly sampleRate: number;
  readonly destination: unknown;
  resume(): Promise<void>;
  close(): Promise<void>;
  createMediaStreamSource(stream: unknown): AudioNodeLike;
  createScriptProcessor(bufferSize: number, inputs: number, outputs: number): ScriptProcessorLike;
}
interface PageGlobals {
  readonly document: { getElementById(id: string): { readonly srcObject?: unknown } | null };
  readonly AudioContext: new () => AudioContextLike;
}

/** About `ms` of the audio the page plays (floats -1..1 at the page's AudioContext rate). */
export async function capturePageAudio(page: Page, ms = 2500): Promise<PageAudio> {
  return page.evaluate(async (durationMs) => {
    const g = globalThis as unknown as PageGlobals;
    const stream = g.document.getElementById('remote-video')?.srcObject as { getAudioTracks?: () => unknown[] } | null | undefined;
    if (typeof stream?.getAudioTracks !== 'function' || stream.getAudioTracks().length === 0) return { rate: 0, samples: [] };
    const ctx = new g.AudioContext();
    await ctx.resume();
    const source = ctx.createMediaStreamSource(stream);
    // ScriptProcessorNode is deprecated but needs no module file (AudioWorklet would).
    const proc = ctx.createScriptProcessor(4096, 1, 1);
    const chunks: Float32Array[] = [];
    proc.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    source.connect(proc);
    proc.connect(ctx.destination);
    const want = Math.round((ctx.sampleRate * durationMs) / 1000);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (chunks.reduce((n, c) => n + c.length, 0) >= want) resolve();
        else setTimeout(check, 50);
      };
      check();
    });
    source.disconnect();
    proc.disconnect();
    const rate = ctx.sampleRate;
    await ctx.close();
    const samples: number[] = [];
    for (const c of chunks) for (const v of c) samples.push(v);
    return { rate, samples };
  }, ms);
}

export interface ToneReading {
  readonly rms: number;
  /** Share of the power at the tone frequency (1 = a clean tone). */
  readonly fraction: number;
}

/** Waits until the page plays a tone at `hz` carrying at least `minFraction` of the power. */
export async function waitForPageTone(page: Page, hz: number, o: { minRms?: number; minFraction?: number; timeoutMs?: number } = {}): Promise<ToneReading> {
  const minRms = o.minRms ?? 0.02;
  const minFraction = o.minFraction ?? 0.8;
  const deadline = performance.now() + (o.timeoutMs ?? 20_000);
  let last: ToneReading = { rms: 0, fraction: 0 };
  for (;;) {
    const a = await capturePageAudio(page, 1000);
    last = { rms: rms(a.samples), fraction: a.rate > 0 ? toneFraction(a.samples, a.rate, hz, 20, minRms / 2) : 0 };
    if (last.rms >= minRms && last.fraction >= minFraction) return last;
    if (performance.now() > deadline) throw new Error(`the page never played a ${hz} Hz tone: last rms ${last.rms.toFixed(4)}, fraction at ${hz} Hz ${last.fraction.toFixed(3)} (want rms >= ${minRms}, fraction >= ${minFraction})`);
  }
}

export interface BeepReading {
  readonly bursts: readonly Burst[];
  readonly periodMs: number | null;
  readonly dominantHz: number | null;
  /** Share of the power at `notHz` (a tone that must NOT be there, e.g. the sender's own). */
  readonly foreignFraction: number;
}

/** Beep analysis of a block of samples (any scale; `threshold` in that scale). */
export function analyseBeeps(samples: ArrayLike<number>, rate: number, threshold: number, notHz: number | null): BeepReading {
  const found = bursts(samples, rate, { threshold, frameMs: 10, bridgeMs: 30 });
  const loudest = [...found].sort((a, b) => b.rms - a.rms)[0];
  let dominantHz: number | null = null;
  if (loudest !== undefined) {
    const from = Math.floor((loudest.startMs * rate) / 1000);
    const seg = Array.prototype.slice.call(samples, from, from + Math.round(rate * 0.04)) as number[];
    dominantHz = dominantFrequency(seg, rate, 100, Math.min(3800, rate / 2 - 100), 5).hz;
  }
  return { bursts: found, periodMs: burstPeriodMs(found), dominantHz, foreignFraction: notHz === null ? 0 : toneFraction(samples, rate, notHz, 20, threshold) };
}

export function isBeeping(r: BeepReading, minBursts: number): boolean {
  return (
    r.bursts.length >= minBursts &&
    r.periodMs !== null &&
    r.periodMs >= PERIOD_MIN_MS &&
    r.periodMs <= PERIOD_MAX_MS &&
    r.dominantHz !== null &&
    Math.abs(r.dominantHz - BEEP_HZ) <= BEEP_TOLERANCE_HZ &&
    r.foreignFraction < 0.1
  );
}

function describe(r: BeepReading): string {
  return `${r.bursts.length} bursts (${JSON.stringify(r.bursts.slice(0, 8).map((b) => [b.startMs, b.endMs, Math.round(b.rms * 1000) / 1000]))}), period ${r.periodMs} ms, dominant ${r.dominantHz} Hz, foreign tone share ${r.foreignFraction.toFixed(3)}`;
}

/**
 * Waits until the last `windowMs` of baresip's decoded audio holds at least `minBursts` beeps
 * of Chromium's fake microphone, and almost none of `ownHz` (baresip's own sine: not an echo).
 */
export async function waitForBaresipBeeps(b: Baresip, o: { ownHz: number; minBursts?: number; windowMs?: number; timeoutMs?: number }): Promise<BeepReading> {
  const minBursts = o.minBursts ?? 4;
  const window = Math.round((8000 * (o.windowMs ?? 3000)) / 1000);
  const deadline = performance.now() + (o.timeoutMs ?? 20_000);
  let last: BeepReading = { bursts: [], periodMs: null, dominantHz: null, foreignFraction: 0 };
  for (;;) {
    const pcm = b.decodedAudio(); // 8 kHz: G.711
    const tail = pcm.subarray(Math.max(0, pcm.length - window));
    last = analyseBeeps(tail, 8000, 1000, o.ownHz);
    if (isBeeping(last, minBursts)) return last;
    if (performance.now() > deadline) throw new Error(`baresip's decoded audio never carried the guest's beep (${pcm.length} samples decoded): ${describe(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the page plays another guest's beep (at least `minBursts` in a 2.5 s capture). */
export async function waitForPageBeeps(page: Page, o: { minBursts?: number; timeoutMs?: number } = {}): Promise<BeepReading> {
  const minBursts = o.minBursts ?? 4;
  const deadline = performance.now() + (o.timeoutMs ?? 20_000);
  let last: BeepReading = { bursts: [], periodMs: null, dominantHz: null, foreignFraction: 0 };
  for (;;) {
    const a = await capturePageAudio(page, 2500);
    if (a.rate > 0) last = analyseBeeps(a.samples, a.rate, 0.03, null);
    if (isBeeping(last, minBursts)) return last;
    if (performance.now() > deadline) throw new Error(`the page never played the other guest's beep: ${describe(last)}`);
  }
}

/**
 * baresip's receive statistics for the audio stream, from the table it logs when a call ends
 * (`rtp_stats yes`: "packets: <tx> <rx>" ... "errors: <tx> <rx>"); `callstat` over ctrl_tcp
 * is cut short before that table in baresip 1.0. Waits for the table after a hangup.
 */
export async function waitForBaresipReceiveStats(b: Baresip, timeoutMs = 10_000): Promise<{ readonly packets: number; readonly errors: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const table = /^audio\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)\s*\n(?:.*\n)*?errors:\s+(\d+)\s+(\d+)/m.exec(b.output);
    if (table !== null) return { packets: Number(table[2]), errors: Number(table[4]) };
    if (performance.now() > deadline) throw new Error(`baresip logged no RTP statistics table:\n${b.output.slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface GuestCodecs {
  /** mimeType of the codec the browser sends with (outbound-rtp -> codec), e.g. 'audio/opus'. */
  readonly sending: string | null;
  /** mimeType of the codec the browser receives (inbound-rtp -> codec). */
  readonly receiving: string | null;
  readonly sendingClockRate: number | null;
}

/**
 * The audio codecs the browser itself reports in getStats (RTCOutboundRtpStreamStats.codecId and
 * RTCInboundRtpStreamStats.codecId -> RTCCodecStats.mimeType): what was negotiated and is in
 * use, from the browser's side. Waits until both streams have a codec (they appear with media).
 */
export async function waitForGuestCodecs(page: Page, timeoutMs = 20_000): Promise<GuestCodecs> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await guestStats(page);
    const byId = new Map(stats.map((s) => [s.id, s]));
    const codecOf = (type: string): Record<string, unknown> | undefined => {
      const rtp = stats.find((s) => s.type === type && s.kind === 'audio' && typeof s.codecId === 'string');
      return rtp === undefined ? undefined : byId.get(rtp.codecId);
    };
    const out = codecOf('outbound-rtp');
    const inb = codecOf('inbound-rtp');
    const got: GuestCodecs = {
      sending: typeof out?.mimeType === 'string' ? out.mimeType : null,
      receiving: typeof inb?.mimeType === 'string' ? inb.mimeType : null,
      sendingClockRate: typeof out?.clockRate === 'number' ? out.clockRate : null,
    };
    if (got.sending !== null && got.receiving !== null) return got;
    if (performance.now() > deadline) throw new Error(`the guest's getStats named no audio codec for both directions: ${JSON.stringify(got)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
