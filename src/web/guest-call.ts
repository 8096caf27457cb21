/**
 * One browser guest's call into a room: SIP over secure WebSocket (RFC 7118) with SIP.js,
 * media by WebRTC (DTLS-SRTP, RFC 5763/5764). The page (join-page.ts) owns the DOM; this
 * file owns the SIP user agent, the session and the stats polling, and reports to a view.
 *
 * Takeover (issue 7): when the WebSocket drops in a call (its gateway instance died or was
 * drained), the client reconnects -- the same URL first (a load balancer, or the instance
 * itself after a network blip), then the page's fallback URLs in order -- and re-offers in
 * the same dialog with an ICE restart (RFC 8445 9, JSEP 5.2.1). Whichever instance gets that
 * re-INVITE continues the call (src/app/guest-resume.ts); a 503 from an instance that does not
 * run the call sends the client on to the next URL.
 *
 * Video: the first offer carries VIDEO_SLOTS extra recvonly video m-lines (video-slots.ts), so
 * each other participant arrives as its own remote track (`view.remoteVideo`); the stats poll
 * reports each remote video track's decoded frames (`view.videoFrames`) so the page shows only
 * the tiles that receive a picture.
 */
import { Inviter, SessionState, UserAgent, Web } from 'sip.js';
import type { Core, LogLevel, Session, SessionDescriptionHandler, SessionDescriptionHandlerFactory } from 'sip.js';
import { badAnswerMessage, badOfferMessage, mediaErrorMessage, rejectionMessage, suiteFromStats, unreachableMessage, warningTexts } from './messages.ts';
import type { SuiteReading, TransportStatsLike } from './messages.ts';
import type { GuestPhase, GuestRejection } from './test-hook.ts';
import { SlottedSessionDescriptionHandler, slotsToOffer } from './video-slots.ts';

export interface GuestCallConfig {
  /** The page's WSS URL first, then fallbacks tried in order after a lost connection. */
  readonly wssUrls: readonly string[];
  readonly room: string;
  readonly sipDomain: string;
  readonly displayName: string;
}

export interface GuestCallView {
  phase(phase: GuestPhase, status: string): void;
  error(message: string, rejection?: GuestRejection): void;
  media(local: MediaStream, remote: MediaStream): void;
  /** A remote video track: `slot` 0 is the camera m-line's (in the remote stream too), 1..K the slots. */
  remoteVideo(track: MediaStreamTrack, slot: number): void;
  /** framesDecoded per remote video track id (getStats inbound-rtp trackIdentifier), every poll. */
  videoFrames(frames: ReadonlyMap<string, number>): void;
  suite(reading: SuiteReading): void;
}

/** Test-only: rewrites the offer on the wire (not the local description), see test-hook.ts. */
export type OfferModifier = () => ((sdp: string) => string) | null;

const STATS_INTERVAL_MS = 1000;
/** How long the client keeps trying to get its call back after the connection dropped. */
const RESUME_TIMEOUT_MS = 60_000;
const RESUME_PAUSE_MS = 500;

type ReofferResult = { readonly kind: 'ok' } | { readonly kind: 'gone' } | { readonly kind: 'retry'; readonly afterMs: number };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A SIP.js WebSocket transport whose server is whatever `current()` says at connect time. */
function rotatingTransport(current: () => string): typeof Web.Transport {
  return class RotatingTransport extends Web.Transport {
    override get server(): string {
      return current();
    }
  };
}

export class GuestCall {
  private readonly config: GuestCallConfig;
  private readonly view: GuestCallView;
  private readonly offerModifier: OfferModifier;
  private ua: UserAgent | undefined;
  private session: Inviter | undefined;
  private local: MediaStream | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private rejection: GuestRejection | undefined;
  private accepted = false;
  private established = false;
  private leaving = false;
  private finished = false;
  private lastError = '';
  private urlIndex = 0;
  private resuming = false;

  constructor(config: GuestCallConfig, view: GuestCallView, offerModifier: OfferModifier) {
    this.config = config;
    this.view = view;
    this.offerModifier = offerModifier;
  }

  get peerConnection(): RTCPeerConnection | undefined {
    return this.handler()?.peerConnection;
  }

  get remoteStream(): MediaStream | undefined {
    return this.handler()?.remoteMediaStream;
  }

  async join(): Promise<void> {
    this.view.phase('media', 'Opening your microphone and camera...');
    const local = await this.openMedia();
    if (local === undefined) return;
    if (this.finished) {
      // Left while the permission prompt was open.
      for (const t of local.getTracks()) t.stop();
      return;
    }
    this.local = local;

    this.view.phase('connecting', `Connecting to ${this.currentUrl()}...`);
    const ua = new UserAgent({
      transportConstructor: rotatingTransport(() => this.currentUrl()),
      transportOptions: { server: this.currentUrl(), connectionTimeout: 5 },
      displayName: this.config.displayName,
      sessionDescriptionHandlerFactory: this.handlerFactory(local),
      sessionDescriptionHandlerFactoryOptions: {
        // No STUN/TURN by default: the gateway is ICE-lite on its configured addresses, and
        // nothing may leave for a third-party server (DESIGN.md "no third-party service").
        peerConnectionConfiguration: { iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' },
        iceGatheringTimeout: 2000,
      },
      logBuiltinEnabled: false,
      logLevel: 'warn',
      logConnector: (level: LogLevel, _category: string, _label: string | undefined, content: string) => {
        if (level === 'error') this.lastError = content;
      },
      delegate: { onDisconnect: (err?: Error) => this.onDisconnect(err) },
    });
    this.ua = ua;
    try {
      await ua.start();
    } catch {
      this.fail(unreachableMessage(this.currentUrl()));
      return;
    }
    if (this.leaving) return;

    const target = UserAgent.makeURI(`sip:${this.config.room}@${this.config.sipDomain}`);
    if (target === undefined) {
      this.fail(`The room address sip:${this.config.room}@${this.config.sipDomain} is not a valid SIP URI.`);
      return;
    }
    const video = local.getVideoTracks().length > 0;
    const session = new Inviter(ua, target, { sessionDescriptionHandlerOptions: { constraints: { audio: true, video } } });
    this.session = session;
    session.stateChange.addListener((state) => this.onState(state));
    this.view.phase('calling', `Calling room ${this.config.room}...`);
    try {
      await session.invite({
        requestDelegate: {
          onAccept: () => {
            this.accepted = true;
          },
          onReject: (response: Core.IncomingResponse) => this.onReject(response),
        },
      });
    } catch (err) {
      this.fail(badOfferMessage(err instanceof Error ? err.message : String(err)));
    }
  }

  /** Mute by disabling the audio track: packets keep flowing (silence), no re-INVITE. */
  setMuted(muted: boolean): void {
    for (const t of this.local?.getAudioTracks() ?? []) t.enabled = !muted;
  }

  /** Leave: BYE when the call is up, CANCEL while it rings (RFC 3261 15, 9). */
  async leave(): Promise<void> {
    this.leaving = true;
    const s = this.session;
    try {
      if (s?.state === SessionState.Established) await s.bye();
      else if (s?.state === SessionState.Establishing) await s.cancel();
    } catch {
      // The session may already be ending; the state listener reports the outcome.
    }
    if (s === undefined || s.state === SessionState.Initial || s.state === SessionState.Terminated) await this.finish('You left the room.');
  }

  private async openMedia(): Promise<MediaStream | undefined> {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (err) {
      const name = err instanceof DOMException ? err.name : 'Error';
      // No camera (or it is busy): join with the microphone alone rather than not at all.
      if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') {
        try {
          return await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
        } catch (err2) {
          this.fail(mediaErrorMessage(err2 instanceof DOMException ? err2.name : 'Error', String(err2)));
          return undefined;
        }
      }
      this.fail(mediaErrorMessage(name, err instanceof Error ? err.message : String(err)));
      return undefined;
    }
  }

  private handlerFactory(local: MediaStream): SessionDescriptionHandlerFactory {
    // as Web.defaultSessionDescriptionHandlerFactory, with the slotted handler
    return (session: Session, options?: Web.SessionDescriptionHandlerFactoryOptions): SessionDescriptionHandler => {
      const configuration: Web.SessionDescriptionHandlerConfiguration = {
        iceGatheringTimeout: options?.iceGatheringTimeout ?? 5000,
        peerConnectionConfiguration: { ...Web.defaultPeerConnectionConfiguration(), ...options?.peerConnectionConfiguration },
      };
      const logger = session.userAgent.getLogger('sip.SessionDescriptionHandler');
      const sdh = new SlottedSessionDescriptionHandler(logger, () => Promise.resolve(local), configuration, slotsToOffer(local), (track, slot) => this.view.remoteVideo(track, slot));
      const getDescription = sdh.getDescription.bind(sdh);
      let first = true;
      sdh.getDescription = async (o, m) => {
        const body = await getDescription(o, m);
        const modify = first ? this.offerModifier() : null;
        first = false;
        return modify === null ? body : { ...body, body: modify(body.body) };
      };
      return sdh;
    };
  }

  private handler(): Web.SessionDescriptionHandler | undefined {
    const sdh = this.session?.sessionDescriptionHandler;
    return sdh instanceof Web.SessionDescriptionHandler ? sdh : undefined;
  }

  private onReject(response: Core.IncomingResponse): void {
    const m = response.message;
    const warning = m.getHeaders('Warning').join(', ');
    this.rejection = { status: m.statusCode ?? 0, reason: m.reasonPhrase ?? '', warnings: warningTexts(warning === '' ? undefined : warning) };
  }

  private onState(state: SessionState): void {
    if (state === SessionState.Established) {
      this.established = true;
      const remote = this.remoteStream;
      if (this.local && remote) this.view.media(this.local, remote);
      this.view.phase('in-call', `In room ${this.config.room}.`);
      this.statsTimer = setInterval(() => void this.pollStats(), STATS_INTERVAL_MS);
      void this.pollStats();
    } else if (state === SessionState.Terminated) {
      // SIP.js changes state before it calls our request delegate (onReject/onAccept), so
      // look at the outcome once that has run.
      setTimeout(() => void this.onTerminated(), 0);
    }
  }

  private async onTerminated(): Promise<void> {
    const r = this.rejection;
    if (this.leaving) {
      // Includes the 487 that answers our CANCEL (RFC 3261 9.2): not an error.
      await this.finish('You left the room.');
    } else if (r !== undefined) {
      this.fail(rejectionMessage(r.status, r.reason, r.warnings), r);
    } else if (this.accepted && !this.established) {
      this.fail(badAnswerMessage(this.lastError));
    } else if (this.established) {
      await this.finish('The call ended: the gateway hung up.');
    } else if (!this.finished) {
      this.fail(this.lastError === '' ? 'The call could not be set up.' : `The call could not be set up (${this.lastError}).`);
    }
  }

  private onDisconnect(err: Error | undefined): void {
    if (this.finished || this.leaving || this.resuming || err === undefined) return;
    if (!this.established) {
      this.fail('Lost the connection to the gateway. Reload the page to join again.');
      return;
    }
    void this.resume();
  }

  private currentUrl(): string {
    return this.config.wssUrls[this.urlIndex % this.config.wssUrls.length] ?? '';
  }

  /** Gets the call back after the WebSocket dropped: reconnect, then re-offer with an ICE restart. */
  private async resume(): Promise<void> {
    const ua = this.ua;
    if (ua === undefined) return;
    this.resuming = true;
    this.view.phase('reconnecting', 'Lost the connection to the gateway; reconnecting...');
    const deadline = Date.now() + RESUME_TIMEOUT_MS;
    let next = false;
    while (!this.finished && !this.leaving && Date.now() < deadline) {
      if (next) {
        this.urlIndex += 1;
        await ua.transport.disconnect().catch(() => undefined);
      }
      next = true;
      try {
        await ua.reconnect();
      } catch {
        await pause(RESUME_PAUSE_MS);
        continue; // this URL does not answer: the next one
      }
      this.view.phase('reconnecting', `Reconnected to ${this.currentUrl()}; resuming the call...`);
      const r = await this.reoffer();
      if (r.kind === 'ok') {
        this.resuming = false;
        this.view.phase('in-call', `In room ${this.config.room}.`);
        return;
      }
      if (r.kind === 'gone') break;
      await pause(r.afterMs);
    }
    this.resuming = false;
    if (!this.finished && !this.leaving) this.fail('Lost the connection to the gateway and could not get the call back. Reload the page to join again.');
  }

  /** re-INVITE in the old dialog with an ICE restart (new ufrag/pwd, same tracks). */
  private reoffer(): Promise<ReofferResult> {
    const session = this.session;
    if (session?.state !== SessionState.Established) return Promise.resolve({ kind: 'gone' });
    const video = (this.local?.getVideoTracks().length ?? 0) > 0;
    return new Promise<ReofferResult>((resolve) => {
      session
        .invite({
          sessionDescriptionHandlerOptions: { constraints: { audio: true, video }, offerOptions: { iceRestart: true } } as Web.SessionDescriptionHandlerOptions,
          requestDelegate: {
            onAccept: () => resolve({ kind: 'ok' }),
            onReject: (response: Core.IncomingResponse) => {
              const status = response.message.statusCode ?? 0;
              // RFC 3261 12.2.1.2: 481/408 end the dialog; anything else may work elsewhere
              if (status === 481 || status === 408) resolve({ kind: 'gone' });
              else resolve({ kind: 'retry', afterMs: RESUME_PAUSE_MS });
            },
          },
        })
        .catch(() => resolve({ kind: 'retry', afterMs: RESUME_PAUSE_MS }));
    });
  }

  private async pollStats(): Promise<void> {
    const pc = this.peerConnection;
    if (pc === undefined) return;
    if (pc.connectionState === 'failed' && !this.resuming) {
      this.fail('The media connection failed (ICE or DTLS could not complete). Check the network between you and the gateway.');
      return;
    }
    const stats = await pc.getStats();
    const entries: TransportStatsLike[] = [];
    const frames = new Map<string, number>();
    stats.forEach((s: TransportStatsLike & { kind?: unknown; trackIdentifier?: unknown; framesDecoded?: unknown }) => {
      entries.push(s);
      if (s.type === 'inbound-rtp' && s.kind === 'video' && typeof s.trackIdentifier === 'string' && typeof s.framesDecoded === 'number') frames.set(s.trackIdentifier, s.framesDecoded);
    });
    this.view.suite(suiteFromStats(entries));
    this.view.videoFrames(frames);
  }

  private fail(message: string, rejection?: GuestRejection): void {
    if (this.finished) return;
    this.view.error(message, rejection);
    void this.stop();
  }

  private async finish(status: string): Promise<void> {
    if (this.finished) return;
    this.view.phase('ended', status);
    await this.stop();
  }

  private async stop(): Promise<void> {
    this.finished = true;
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    for (const t of this.local?.getTracks() ?? []) t.stop();
    try {
      await this.ua?.stop();
    } catch {
      // Already stopped or never connected.
    }
  }
}
