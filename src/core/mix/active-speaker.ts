/**
 * Energy-based active speaker detection with hysteresis, for choosing which participant's
 * video SIP legs receive. Time is passed in (monotonic ms); call `speaker(now)` once per
 * mixing tick.
 *
 * - Levels (dBov, see audio-level.ts or the RFC 6464 extension) are smoothed per participant
 *   with an exponential average of time constant `smoothingMs` in the power domain.
 * - A participant only counts as speaking above `thresholdDbov`.
 * - The current speaker is replaced only by someone louder by `hysteresisDb` continuously for
 *   `holdMs`, so short noises and crosstalk do not flip the video.
 * - The last speaker stays the speaker through silence (what people expect to see), until
 *   someone else speaks or it leaves. A participant with no level update for `staleMs` is
 *   silent.
 */

export interface ActiveSpeakerOptions {
  readonly thresholdDbov?: number;
  readonly hysteresisDb?: number;
  readonly holdMs?: number;
  readonly smoothingMs?: number;
  readonly staleMs?: number;
}

interface Track {
  power: number;
  lastMs: number;
}

const FLOOR_POWER = 1e-13; // -130 dB

export class ActiveSpeakerDetector<Id> {
  private readonly thresholdDbov: number;
  private readonly hysteresisDb: number;
  private readonly holdMs: number;
  private readonly smoothingMs: number;
  private readonly staleMs: number;
  private readonly tracks = new Map<Id, Track>();
  private current: Id | null = null;
  private candidate: Id | null = null;
  private candidateSinceMs = 0;

  constructor(options: ActiveSpeakerOptions = {}) {
    this.thresholdDbov = options.thresholdDbov ?? -50;
    this.hysteresisDb = options.hysteresisDb ?? 6;
    this.holdMs = options.holdMs ?? 500;
    this.smoothingMs = options.smoothingMs ?? 200;
    this.staleMs = options.staleMs ?? 1000;
  }

  /** Feeds one frame's level for `id`. */
  update(id: Id, levelDbov: number, nowMs: number): void {
    const p = Math.max(FLOOR_POWER, 10 ** (levelDbov / 10));
    const t = this.tracks.get(id);
    if (t === undefined) {
      this.tracks.set(id, { power: p, lastMs: nowMs });
      return;
    }
    const dt = Math.max(0, nowMs - t.lastMs);
    const alpha = 1 - Math.exp(-dt / this.smoothingMs);
    t.power += (p - t.power) * alpha;
    t.lastMs = nowMs;
  }

  remove(id: Id): void {
    this.tracks.delete(id);
    if (this.current === id) this.current = null;
    if (this.candidate === id) this.candidate = null;
  }

  /** Smoothed level of `id` in dBov (-127 when unknown or stale). */
  level(id: Id, nowMs: number): number {
    const t = this.tracks.get(id);
    if (t === undefined || nowMs - t.lastMs > this.staleMs) return -127;
    return Math.max(-127, 10 * Math.log10(t.power));
  }

  /** The active speaker after considering levels up to `nowMs`, or null before anyone spoke. */
  speaker(nowMs: number): Id | null {
    let loudest: Id | null = null;
    let loudestLevel = this.thresholdDbov;
    for (const id of this.tracks.keys()) {
      const l = this.level(id, nowMs);
      if (l > loudestLevel) {
        loudest = id;
        loudestLevel = l;
      }
    }
    if (loudest === null || loudest === this.current) {
      this.candidate = null;
      return this.current;
    }
    if (this.current === null) {
      this.current = loudest; // nobody to protect from flapping yet
      this.candidate = null;
      return this.current;
    }
    if (loudestLevel < this.level(this.current, nowMs) + this.hysteresisDb) {
      this.candidate = null;
      return this.current;
    }
    if (this.candidate !== loudest) {
      this.candidate = loudest;
      this.candidateSinceMs = nowMs;
    } else if (nowMs - this.candidateSinceMs >= this.holdMs) {
      this.current = loudest;
      this.candidate = null;
    }
    return this.current;
  }
}
