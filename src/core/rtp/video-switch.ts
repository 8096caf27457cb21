/**
 * Which video source one receiver sees, and when it changes (RFC 7667 3.7 "Selective
 * Forwarding Middlebox" / 3.5 "Media-Switching Mixer": one outgoing stream per receiver whose
 * source changes). A pure state machine; time comes in as an argument.
 *
 *   want(id)        the room's choice changed (active speaker, a leg joined or left). The first
 *                   source is taken at once; a later one becomes `pending` and a key frame is
 *                   requested from it (RFC 4585 6.3.1 PLI, or SIP INFO).
 *   onPacket(...)   a packet of `from`: forward it when it is the current source; switch when it
 *                   is the pending source's first packet of a key frame (the decoder can start
 *                   there, so the switch is seamless; the rewriter continues seq/ts), or when
 *                   the pending source has sent no key frame for `maxWaitMs` (a source that
 *                   ignores requests must not freeze the receiver forever).
 *   due(now)        while a source is pending, or the current one has not sent a key frame
 *                   since it was taken: repeat the key frame request every `retryMs`, for at
 *                   most `maxWaitMs` (a lost request must not leave the receiver without a
 *                   picture; a source that never answers must not be asked forever).
 *
 * Until the first key frame of the first source the receiver shows nothing anyway, so the
 * first source is also asked for one (`want` answers 'request').
 */

export interface VideoSwitchOptions {
  /** Repeat the key frame request to a pending source after this long. Default 500 ms. */
  readonly retryMs?: number;
  /** Switch without a key frame after waiting this long. Default 3000 ms. */
  readonly maxWaitMs?: number;
}

export type PacketVerdict = 'forward' | 'switch' | 'drop';

export class VideoSwitch<Id> {
  private readonly retryMs: number;
  private readonly maxWaitMs: number;
  private currentId: Id | null = null;
  private pendingId: Id | null = null;
  private pendingSince = 0;
  private requestedAt = 0;
  /** The current source was taken without a key frame, at `currentSince`. */
  private awaitingKey = false;
  private currentSince = 0;

  constructor(o: VideoSwitchOptions = {}) {
    this.retryMs = o.retryMs ?? 500;
    this.maxWaitMs = o.maxWaitMs ?? 3000;
  }

  get current(): Id | null {
    return this.currentId;
  }

  get pending(): Id | null {
    return this.pendingId;
  }

  /** The source the room wants this receiver to see (null: none). 'request': ask it for a key frame now. */
  want(id: Id | null, nowMs: number): 'request' | 'none' {
    if (id === null) {
      this.pendingId = null;
      this.currentId = null;
      return 'none';
    }
    if (id === this.currentId) {
      this.pendingId = null;
      return 'none';
    }
    if (id === this.pendingId) return 'none';
    if (this.currentId === null) {
      this.currentId = id;
      this.pendingId = null;
      this.awaitingKey = true;
      this.currentSince = nowMs;
    } else {
      this.pendingId = id;
      this.pendingSince = nowMs;
    }
    this.requestedAt = nowMs;
    return 'request';
  }

  /** `from` left: nothing is forwarded from it any more (a pending switch stays pending). */
  forget(id: Id): void {
    if (this.currentId === id) this.currentId = null;
    if (this.pendingId === id) this.pendingId = null;
  }

  onPacket(from: Id, keyFrameStart: boolean, nowMs: number): PacketVerdict {
    if (from === this.pendingId && (keyFrameStart || this.currentId === null || nowMs - this.pendingSince >= this.maxWaitMs)) {
      // with no current source (it left) the receiver shows a frozen picture until a key frame
      // either way: take the pending one at once
      this.currentId = from;
      this.pendingId = null;
      this.awaitingKey = !keyFrameStart;
      this.currentSince = nowMs;
      return 'switch';
    }
    if (from !== this.currentId) return 'drop';
    if (keyFrameStart) this.awaitingKey = false;
    return 'forward';
  }

  /** Whether a packet of `from` must be checked for a key frame start (onPacket's argument). */
  wantsKeyFrame(from: Id): boolean {
    return from === this.pendingId || (from === this.currentId && this.awaitingKey);
  }

  /** The source to ask again for a key frame (pending, or current still without one), or null. */
  due(nowMs: number): Id | null {
    if (nowMs - this.requestedAt < this.retryMs) return null;
    let id: Id | null = null;
    if (this.pendingId !== null) id = this.pendingId;
    else if (this.currentId !== null && this.awaitingKey && nowMs - this.currentSince < this.maxWaitMs) id = this.currentId;
    if (id !== null) this.requestedAt = nowMs;
    return id;
  }
}
