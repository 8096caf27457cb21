/**
 * One browser guest's call into a room: SIP over secure WebSocket (RFC 7118) with SIP.js,
 * media by WebRTC (DTLS-SRTP, RFC 5763/5764). The page (join-page.ts) owns the DOM; this
 * file owns the SIP user agent, the session and the stats polling, and reports to a view.
 *
 * Not done here on purpose: reconnect/ICE restart after a lost WebSocket (takeover issue).
 */
import { Inviter, SessionState, UserAgent, Web } from 'sip.js';
import type { Core, LogLevel, Session, SessionDescriptionHandler, SessionDescriptionHandlerFactory } from 'sip.js';
import { badAnswerMessage, badOfferMessage, mediaErrorMessage, rejectionMessage, suiteFromStats, unreachableMessage, warningTexts } from './messages.ts';
import type { SuiteReading, TransportStatsLike } from './messages.ts';
import type { GuestPhase, GuestRejection } from './test-hook.ts';

export interface GuestCallConfig {
  readonly wssUrl: string;
  readonly room: string;
  readonly sipDomain: string;
  readonly displayName: string;
}

export interface GuestCallView {
  phase(phase: GuestPhase, status: string): void;
  error(message: string, rejection?: GuestRejection): void;
  media(local: MediaStream, remote: MediaStream): void;
  suite(reading: SuiteReading): void;
}

/** Test-only: rewrites the offer on the wire (not the local description), see test-hook.ts. */
export type OfferModifier = () => ((sdp: string) => string) | null;

const STATS_INTERVAL_MS = 1000;

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

    this.view.phase('connecting', `Connecting to ${this.config.wssUrl}...`);
    const ua = new UserAgent({
      transportOptions: { server: this.config.wssUrl, connectionTimeout: 5 },
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
      this.fail(unreachableMessage(this.config.wssUrl));
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
    const base = Web.defaultSessionDescriptionHandlerFactory(() => Promise.resolve(local));
    return (session: Session, options?: object): SessionDescriptionHandler => {
      const sdh = base(session, options);
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
    if (this.finished || this.leaving || err === undefined) return;
    this.fail('Lost the connection to the gateway. Reload the page to join again.');
  }

  private async pollStats(): Promise<void> {
    const pc = this.peerConnection;
    if (pc === undefined) return;
    if (pc.connectionState === 'failed') {
      this.fail('The media connection failed (ICE or DTLS could not complete). Check the network between you and the gateway.');
      return;
    }
    const stats = await pc.getStats();
    const entries: TransportStatsLike[] = [];
    stats.forEach((s: TransportStatsLike) => entries.push(s));
    this.view.suite(suiteFromStats(entries));
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
