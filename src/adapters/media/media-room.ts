/**
 * A room's media plane: its legs, the forwarding mode, and the timers (DESIGN.md: adapters own
 * timers, cores take time as an argument).
 *
 *   0-1 legs   nothing to forward (RTCP and timeouts still run)
 *   2 legs     RelayPath: packet relay, PT remap or transcoding, PLI translation
 *   3+ legs    MixPath: N-1 mix every 20 ms, DTMF forwarded on each leg's mix timeline
 *
 * Timers: a 20 ms mix tick, only while mixing, scheduled against the monotonic clock so it does
 * not drift (late wake-ups run the missed ticks, at most 5 at once, then resynchronise); and a
 * housekeeping timer (default 250 ms) for RTCP reports (each leg keeps its own RFC 3550 6.2
 * schedule), media timeouts and the metrics flush. Timers are unref'd: open sockets, not a
 * room's timers, keep the process alive.
 *
 * Video (legs with RoomLeg.video) goes through the VideoRouter whatever the audio mode: a SIP
 * leg (or a browser without receive slots) gets one stream, the other participant's or (3+) the
 * active speaker's, detected from the mix's frame levels (ActiveSpeakerDetector, evaluated every
 * mix tick); a browser that offered receive slots gets each other participant on its own slot
 * (video-router.ts).
 *
 * Events go to `onEvent`: media-timeout (the call layer sends BYE and records the reason),
 * source-latched, dtmf (once per RFC 4733 event end, e.g. for a room PIN), and the video
 * router's video-keyframe-info (send SIP INFO picture_fast_update) and video-no-common-codec.
 */
import { ActiveSpeakerDetector } from '../../core/mix/active-speaker.ts';
import { parseTelephoneEvent } from '../../core/rtp/telephone-event.ts';
import type { RtpHeaderView } from '../../core/rtp/rtp-packet.ts';
import { flushMediaMetrics, flushMediaMetricsEvery, mediaTimeouts } from '../../metrics/media.ts';
import type { Clock } from '../../ports/clock.ts';
import { GatehouseError } from '../../core/errors.ts';
import { isTelephoneEvent } from './audio-codec.ts';
import type { LegSink, MediaDirection, MediaEvent, RoomLeg } from './media-types.ts';
import { MIX_FRAME_MS, MixPath } from './mix-path.ts';
import { RelayPath } from './relay-path.ts';
import { VideoRouter } from './video-router.ts';

export interface MediaRoomOptions {
  readonly id: string;
  readonly onEvent?: (event: MediaEvent) => void;
  readonly clock?: Clock;
  /** Wall clock (Unix ms) for RTCP SR NTP timestamps. */
  readonly wallclock?: () => number;
  readonly housekeepingMs?: number;
  /** Largest number of legs; more is a capacity error (503). Default 32. */
  readonly maxLegs?: number;
  /** Video switching timings (video-switch.ts); defaults for production. */
  readonly video?: { readonly retryMs?: number; readonly maxWaitMs?: number };
  /** Active speaker detection for video (core/mix/active-speaker.ts); defaults for production. */
  readonly speaker?: { readonly holdMs?: number; readonly hysteresisDb?: number };
}

export type RoomMode = 'idle' | 'relay' | 'mix';

const MAX_CATCH_UP_TICKS = 5;
const PERFORMANCE_CLOCK: Clock = { now: () => performance.now() };

export class MediaRoom implements LegSink {
  readonly id: string;
  private readonly legs: RoomLeg[] = [];
  private readonly clock: Clock;
  private readonly wallclock: () => number;
  private readonly onEvent: (event: MediaEvent) => void;
  private readonly maxLegs: number;
  private relay: RelayPath | null = null;
  private mix: MixPath | null = null;
  private mixTimer: NodeJS.Timeout | null = null;
  private nextTickAt = 0;
  private readonly housekeepingTimer: NodeJS.Timeout;
  /** RFC 4733 events already reported, per leg: the start timestamp of the last ended event. */
  private readonly dtmfReported = new Map<string, number>();
  private readonly video: VideoRouter;
  private readonly speaker: ActiveSpeakerDetector<RoomLeg>;
  private closed = false;

  constructor(o: MediaRoomOptions) {
    this.id = o.id;
    this.clock = o.clock ?? PERFORMANCE_CLOCK;
    this.wallclock = o.wallclock ?? Date.now;
    this.onEvent = o.onEvent ?? (() => {});
    this.maxLegs = o.maxLegs ?? 32;
    this.video = new VideoRouter({ onEvent: this.onEvent, clock: this.clock, ...o.video });
    this.speaker = new ActiveSpeakerDetector<RoomLeg>(o.speaker);
    this.housekeepingTimer = setInterval(() => this.housekeeping(), o.housekeepingMs ?? 250);
    this.housekeepingTimer.unref();
  }

  get mode(): RoomMode {
    return this.mix !== null ? 'mix' : this.relay !== null ? 'relay' : 'idle';
  }

  get size(): number {
    return this.legs.length;
  }

  /**
   * Adds a leg. Throws (and leaves the room unchanged) when the new set of legs cannot be
   * served: no common/transcodable codec for two legs, an undecodable codec (iLBC, G.729, ...)
   * in a mix (GatehouseError 'policy', sipStatus 488), or the room is full ('capacity', 503).
   */
  addLeg(leg: RoomLeg): void {
    if (this.closed) throw new GatehouseError('state', 'MEDIA_ROOM_CLOSED', `media room ${this.id} is closed`);
    if (this.legs.includes(leg)) return;
    if (this.legs.length >= this.maxLegs) {
      throw new GatehouseError('capacity', 'MEDIA_ROOM_FULL', `media room ${this.id} has ${this.maxLegs} legs`, { sipStatus: 503 });
    }
    this.reconfigure([...this.legs, leg]);
    this.legs.push(leg);
    leg.attach(this);
    this.video.setLegs(this.legs, this.clock.now());
  }

  /** Removes a leg (it stays open: the caller closes it). */
  removeLeg(leg: RoomLeg): void {
    const i = this.legs.indexOf(leg);
    if (i < 0) return;
    this.legs.splice(i, 1);
    leg.attach(null);
    this.dtmfReported.delete(leg.id);
    this.speaker.remove(leg);
    this.reconfigure(this.legs);
    this.video.setLegs(this.legs, this.clock.now());
  }

  /**
   * `leg` asked for a key frame of the video it receives by signalling (SIP INFO
   * picture_fast_update, RFC 5168): handled like its PLI. False when the leg is not here.
   */
  videoKeyFrameRequest(leg: RoomLeg): boolean {
    if (!this.legs.includes(leg) || !leg.video) return false;
    this.video.onVideoKeyFrameRequest(leg);
    return true;
  }

  /** The leg's video stream went away (re-INVITE with video port 0): the router forgets it now. */
  onVideoGone(leg: RoomLeg): void {
    if (this.legs.includes(leg)) this.video.setLegs(this.legs, this.clock.now());
  }

  /** The leg whose video `leg` currently receives (tests, admin). */
  videoSourceOf(leg: RoomLeg): RoomLeg | null {
    return this.video.sourceOf(leg);
  }

  /** Hold/resume (re-INVITE direction, RFC 3264 8.4). */
  updateDirection(leg: RoomLeg, direction: MediaDirection): void {
    leg.updateDirection(direction, this.clock.now());
  }

  private reconfigure(legs: readonly RoomLeg[]): void {
    // Build first: a throw leaves the current paths in place.
    let relay: RelayPath | null = null;
    let mix: MixPath | null = null;
    if (legs.length === 2) relay = new RelayPath(legs[0] as RoomLeg, legs[1] as RoomLeg, this.clock);
    else if (legs.length >= 3) {
      mix = new MixPath(legs);
      // levels only matter when there is video to switch
      if (legs.some((l) => l.video)) mix.onLevel = this.onLevel;
    }
    // the old paths' codec state (libopus in the wasm heap) is not garbage-collected
    this.relay?.close();
    this.mix?.close();
    this.relay = relay;
    this.mix = mix;
    if (mix !== null && this.mixTimer === null) {
      this.nextTickAt = this.clock.now() + MIX_FRAME_MS;
      this.scheduleTick();
    } else if (mix === null && this.mixTimer !== null) {
      clearTimeout(this.mixTimer);
      this.mixTimer = null;
    }
  }

  private scheduleTick(): void {
    const delay = Math.max(0, this.nextTickAt - this.clock.now());
    this.mixTimer = setTimeout(this.onTick, delay);
    this.mixTimer.unref();
  }

  private readonly onTick = (): void => {
    this.mixTimer = null;
    const mix = this.mix;
    if (mix === null || this.closed) return;
    const now = this.clock.now();
    let ran = 0;
    while (now >= this.nextTickAt && ran < MAX_CATCH_UP_TICKS) {
      mix.tick(now);
      this.nextTickAt += MIX_FRAME_MS;
      ran++;
    }
    if (mix.onLevel !== null) this.video.setSpeaker(this.speaker.speaker(now), now);
    if (now >= this.nextTickAt) this.nextTickAt = now + MIX_FRAME_MS; // too far behind: resynchronise
    this.scheduleTick();
  };

  onRtp(leg: RoomLeg, packet: Buffer, view: RtpHeaderView, nowMs: number, arrivedAt: number): void {
    if (this.relay !== null) this.relay.onRtp(leg, packet, view, nowMs, arrivedAt);
    else if (this.mix !== null) this.mix.onRtp(leg, packet, view, nowMs);
    if (view.payloadType === leg.telephoneEventPt) this.noteDtmf(leg, packet, view);
  }

  private readonly onLevel = (leg: RoomLeg, levelDbov: number, nowMs: number): void => {
    this.speaker.update(leg, levelDbov, nowMs);
  };

  onKeyFrameRequest(leg: RoomLeg, mediaSsrc: number): void {
    // a mixed stream has no single sender to ask; only the relay translates PLI/FIR
    this.relay?.onKeyFrameRequest(leg, mediaSsrc);
  }

  onLatched(leg: RoomLeg, proto: 'rtp' | 'rtcp', how: 'first' | 'moved', address: string, port: number): void {
    this.onEvent({ type: 'source-latched', legId: leg.id, proto, how, address, port });
  }

  private noteDtmf(leg: RoomLeg, packet: Buffer, view: RtpHeaderView): void {
    const f = leg.format(view.payloadType);
    if (f === undefined || !isTelephoneEvent(f)) return;
    const e = parseTelephoneEvent(packet.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength));
    if (!e.ok || !e.value.end) return;
    // RFC 4733 2.5.1.4: the end packet is sent three times; report each event once
    if (this.dtmfReported.get(leg.id) === view.timestamp) return;
    this.dtmfReported.set(leg.id, view.timestamp);
    this.onEvent({ type: 'dtmf', legId: leg.id, event: e.value.event, end: true });
  }

  private housekeeping(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const wall = this.wallclock();
    this.video.housekeeping(now);
    for (const leg of this.legs) {
      leg.housekeeping(now, wall);
      leg.video?.housekeeping(now, wall);
      const silent = leg.mediaTimeout(now);
      if (silent !== null) {
        mediaTimeouts.inc();
        this.onEvent({ type: 'media-timeout', legId: leg.id, silentForMs: Math.round(silent) });
      }
    }
    flushMediaMetricsEvery(now);
  }

  /** Stops the timers and detaches the legs (which the caller closes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.housekeepingTimer);
    if (this.mixTimer !== null) clearTimeout(this.mixTimer);
    this.mixTimer = null;
    for (const leg of this.legs) leg.attach(null);
    this.video.close();
    this.legs.length = 0;
    this.relay?.close();
    this.mix?.close();
    this.relay = null;
    this.mix = null;
    flushMediaMetrics();
  }
}
