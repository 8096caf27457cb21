/**
 * Admit call / join room / leave (issues 5 and 6): turns signalling events into rooms with
 * encrypted media. For an INVITE to `sip:ROOM@host`: resolve the room and access (404/403),
 * check capacity (486) and draining (503), negotiate the offer under the crypto policy
 * (400/488 with a Warning), open the media leg, answer, and keep the call's state in the
 * StateStore as plain data. A BYE, a transport loss or a media timeout removes the leg; the
 * last one out ends the room.
 */
import { buildAnswer, type Fingerprint, type MediaAnswerPlan, type SessionDescription } from '../../sdp/index.ts';
import { dtlsNegotiated, warningText, type CryptoPolicy, type MediaDecision, type PeerContext } from '../../crypto-policy/index.ts';
import { dtlsLegPlan, type DtlsLegPlan } from './dtls-leg-plan.ts';
import type { CallLeg, CallRecord } from '../core/call/call-record.ts';
import type { DialogSnapshot } from '../core/call/dialog-snapshot.ts';
import type { Logger } from '../ports/logger.ts';
import type { Service } from '../ports/service.ts';
import type { IncomingDialogRequest, IncomingInvite, SignallingBackend } from '../ports/signalling-backend.ts';
import type { StateStore } from '../ports/state-store.ts';
import { callsRejectedTotal, callsActive, callsAnsweredTotal, callsEndedTotal } from '../metrics/calls.ts';
import { srtpNegotiationsTotal } from '../metrics/policy.ts';
import { reasonPhrase } from '../core/sip/reason-phrases.ts';
import { negotiateOffer } from './negotiate-offer.ts';
import { resolveRoom, type ResolvedRoom, type RoomDirectoryConfig } from './room-directory.ts';
import { sdesLegPlan, type SdesLegPlan } from './sdes-leg-plan.ts';
import { answerHoldReinvite } from './reinvite.ts';

/** What kind of media leg to open for an accepted audio m-line. */
export type LegRequest =
  | { readonly kind: 'sdes'; readonly plan: SdesLegPlan }
  /** DTLS-SRTP over plain UDP (SIP endpoints without ICE) */
  | { readonly kind: 'dtls-udp'; readonly plan: DtlsLegPlan }
  /** browser guest: ICE-lite + DTLS-SRTP; the leg writes its own answer */
  | { readonly kind: 'webrtc'; readonly plan: DtlsLegPlan; readonly offerSdp: string };

export interface OpenedLeg {
  /** Our RTP port for the answer (null when the leg wrote the answer itself). */
  readonly localPort: number | null;
  /** The complete answer, for legs that produce their own (WebRTC). */
  readonly answerSdp: string | null;
  readonly leg: MediaLegHandle;
  /** DTLS legs: resolves when keyed, with the suite and the client's use_srtp list. */
  readonly keyed: Promise<{ readonly suite: string; readonly peerProfiles: readonly number[] | undefined }> | null;
}

/** The media plane as the call layer sees it (src/adapters/media implements it in main.ts). */
export interface MediaPlane {
  /** Our DTLS certificate fingerprint for a=fingerprint. */
  localFingerprint(): Promise<Fingerprint>;
  /** Binds sockets and starts a leg of the requested kind. */
  openLeg(id: string, request: LegRequest): Promise<OpenedLeg>;
  /** Adds the leg to the room's mix/relay (creating the room's media on first use); throws
   * a GatehouseError with a sipStatus when the room cannot serve it. */
  join(roomId: string, leg: MediaLegHandle): void;
  /** Removes the leg (if joined) and closes it; closes the room's media when it was the last. */
  leave(roomId: string, leg: MediaLegHandle): Promise<void>;
}

export interface MediaLegHandle {
  readonly id: string;
  updateDirection(direction: SdesLegPlan['peerDirection']): void;
}

export interface CallServiceDeps {
  readonly backend: SignallingBackend;
  readonly policy: CryptoPolicy;
  readonly rooms: RoomDirectoryConfig;
  readonly media: MediaPlane;
  /** Address written into c=/o= of our answers. */
  readonly mediaAddress: string;
  readonly store: StateStore;
  readonly instanceId: string;
  readonly wallclock: () => number;
  readonly logger: Logger;
}

interface LiveCall {
  readonly dialogId: string;
  readonly callId: string;
  readonly room: ResolvedRoom;
  readonly leg: MediaLegHandle;
  readonly plan: SdesLegPlan | DtlsLegPlan;
  readonly keying: LegRequest['kind'];
  /** SDES legs: the accepted offer line, to recognise an unchanged key in a re-INVITE. */
  readonly sdes: { readonly tag: number; readonly remoteKeySalt: Uint8Array } | null;
  answerSdp: string;
  version: number;
}

export class CallService implements Service {
  readonly name = 'calls';
  readonly listening: readonly string[] = [];
  readonly #deps: CallServiceDeps;
  readonly #calls = new Map<string, LiveCall>();
  readonly #roomSizes = new Map<string, number>();
  #accepting = true;

  constructor(deps: CallServiceDeps) {
    this.#deps = deps;
    deps.backend.on('invite', (inv) => void this.#onInvite(inv).catch((err: unknown) => this.#fail(inv, err)));
    deps.backend.on('request', (req) => void this.#onRequest(req).catch((err: unknown) => deps.logger.error({ err, dialogId: req.dialogId }, 'in-dialog request failed')));
    deps.backend.on('ended', (e) => void this.end(e.dialogId, e.cause));
  }

  activeCount(): number {
    return this.#calls.size;
  }

  async stopAccepting(): Promise<void> {
    this.#accepting = false;
  }

  async close(): Promise<void> {
    this.#accepting = false;
    await Promise.allSettled([...this.#calls.keys()].map(async (dialogId) => {
      await this.#deps.backend.request(dialogId, 'BYE').catch(() => undefined);
      await this.end(dialogId, 'shutdown');
    }));
  }

  /** Ends a call from our side (media timeout, admin): BYE, then cleanup with the cause recorded. */
  async hangUp(dialogId: string, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    if (!this.#calls.has(dialogId)) return;
    await this.#deps.backend.request(dialogId, 'BYE').catch((err: unknown) => this.#deps.logger.warn({ err, dialogId }, 'BYE failed'));
    await this.end(dialogId, cause, detail);
  }

  /** The dialog of the call whose media leg is `legId` (media events name legs). */
  dialogOfLeg(legId: string): string | undefined {
    for (const c of this.#calls.values()) if (c.leg.id === legId) return c.dialogId;
    return undefined;
  }

  async #onInvite(inv: IncomingInvite): Promise<void> {
    const { backend, logger } = this.#deps;
    const log = logger.child({ callId: inv.callId, transport: inv.source.transport, remote: `${inv.source.remote.address}:${inv.source.remote.port}` });
    if (!this.#accepting) return this.#reject(inv, 503, 'Service Unavailable - draining', 'DRAINING');
    const r = resolveRoom(this.#deps.rooms, inv.user, inv.source.remote.address);
    if (!r.ok) return this.#reject(inv, r.status, r.reason, r.code);
    const room = r.room;
    if ((this.#roomSizes.get(room.id) ?? 0) >= room.maxParticipants) return this.#reject(inv, 486, 'Busy Here - room is full', 'ROOM_FULL');
    if (inv.sdp === null) return this.#reject(inv, 488, 'Not Acceptable Here', 'NO_OFFER', '399 gatehouse "an SDP offer is required in the INVITE"');
    const peer = {
      ip: inv.source.remote.address,
      ...(inv.source.tlsPeer ? { certSubject: Object.entries(inv.source.tlsPeer.subject).map(([k, v]) => `${k}=${v}`).join(', ') } : {}),
      ...domains(inv),
    };
    const outcome = negotiateOffer(this.#deps.policy, {
      sdp: inv.sdp,
      peer,
      ...(room.profile === undefined ? {} : { profile: room.profile }),
      localFingerprints: [await this.#deps.media.localFingerprint()],
      supportedKeying: { sdes: true, dtls: true },
    });
    if (!outcome.ok) return this.#reject(inv, outcome.status, outcome.reason, outcome.code, outcome.warning, outcome.policy?.profile);
    const audio = outcome.plan.media.find((m) => m.verdict === 'accept' && m.kind === 'audio' && (m.keying?.kind === 'sdes' || m.keying?.kind === 'dtls'));
    const decision = audio && outcome.policy.media.find((d) => d.index === audio.index);
    if (!audio || !decision) return this.#reject(inv, 488, 'Not Acceptable Here', 'NO_AUDIO', '399 gatehouse "no acceptable SRTP audio stream offered"');
    const request = legRequest(outcome.offer, audio, decision, inv.sdp);
    const legId = `${inv.callId}:${audio.index}`;
    const opened = await this.#deps.media.openLeg(legId, request);
    const answerSdp =
      opened.answerSdp ??
      buildAnswer(outcome.plan, {
        origin: { username: 'gatehouse', sessionId: String(this.#deps.wallclock()), sessionVersion: '1' },
        address: this.#deps.mediaAddress,
        port: (p) => (p.index === audio.index ? (opened.localPort ?? 0) : 0),
        ptime: 20,
      });
    const sel = decision.sdes;
    const sdes = sel && request.kind === 'sdes' ? { tag: sel.tag, remoteKeySalt: sel.remote.keys[0]?.keySalt ?? new Uint8Array() } : null;
    const call: LiveCall = { dialogId: inv.dialogId, callId: inv.callId, room, leg: opened.leg, plan: request.plan, sdes, answerSdp, version: 1, keying: request.kind };
    try {
      // throws when the room cannot serve this leg (e.g. Opus into a mix: 488), before we answer
      this.#deps.media.join(room.id, opened.leg);
    } catch (err) {
      await this.#deps.media.leave(room.id, opened.leg);
      throw err;
    }
    this.#calls.set(inv.dialogId, call);
    this.#roomSizes.set(room.id, (this.#roomSizes.get(room.id) ?? 0) + 1);
    await backend.answer(inv.requestId, { sdp: answerSdp });
    for (const m of outcome.policy.metrics) srtpNegotiationsTotal.inc({ ...m });
    for (const d of outcome.policy.downgrades) log.info({ audit: d }, 'SRTP negotiated below the profile first choice');
    callsAnsweredTotal.inc({ transport: inv.source.transport });
    callsActive.set(this.#calls.size);
    log.info({ room: room.id, keying: request.kind, suite: request.kind === 'sdes' ? request.plan.suite : 'DTLS handshake pending', profile: outcome.policy.profile, dialogId: inv.dialogId }, 'call joined room');
    await this.#persist(call, inv, opened.localPort);
    if (opened.keyed) this.#watchDtls(call, opened.keyed, outcome.policy.profile, peer, audio.index, log);
  }

  /** DTLS legs learn their suite in the handshake: audit it like SDES, hang up if it fails. */
  #watchDtls(call: LiveCall, keyed: NonNullable<OpenedLeg['keyed']>, profileName: string, peer: PeerContext, index: number, log: Logger): void {
    keyed.then(
      (k) => {
        const profile = this.#deps.policy.findProfile(profileName);
        const n = profile.ok && k.peerProfiles ? dtlsNegotiated(profile.profile, k.peerProfiles, peer, { index, kind: 'audio' }) : null;
        if (n?.metric) srtpNegotiationsTotal.inc({ ...n.metric });
        if (n?.downgrade) log.info({ audit: n.downgrade }, 'SRTP negotiated below the profile first choice');
        log.info({ room: call.room.id, suite: k.suite, keying: call.keying }, 'DTLS-SRTP keyed');
      },
      (err: unknown) => {
        log.warn({ err, room: call.room.id }, 'DTLS-SRTP failed; ending the call');
        void this.hangUp(call.dialogId, 'dtls-failed');
      },
    );
  }

  async #onRequest(req: IncomingDialogRequest): Promise<void> {
    const call = this.#calls.get(req.dialogId);
    if (!call) return this.#deps.backend.reject(req.requestId, 481, 'Call/Transaction Does Not Exist');
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') return this.#deps.backend.answer(req.requestId);
    if (req.body.trim() === '') {
      // RFC 4028 session refresh without an offer: an UPDATE is answered without a body; an
      // offerless re-INVITE gets our current session description as the offer (RFC 3261 14.2),
      // unchanged, so media goes on as it is
      return req.method === 'UPDATE' ? this.#deps.backend.answer(req.requestId) : this.#deps.backend.answer(req.requestId, { sdp: call.answerSdp });
    }
    if (call.sdes === null) {
      // DTLS/WebRTC re-offers (ICE restart, new fingerprint) need a new handshake: not yet
      return this.#deps.backend.reject(req.requestId, 488, 'Not Acceptable Here', '399 gatehouse "re-INVITE on a DTLS-SRTP call is not supported yet"');
    }
    const r = answerHoldReinvite(
      { previousAnswer: call.answerSdp, version: call.version + 1, tag: call.sdes.tag, remoteKeySalt: call.sdes.remoteKeySalt, remoteAddress: call.plan.remote.address, remotePort: call.plan.remote.rtpPort },
      req.body,
    );
    if (!r.ok) return this.#deps.backend.reject(req.requestId, r.status, r.reason, r.warning);
    call.answerSdp = r.answer;
    call.version += 1;
    call.leg.updateDirection(r.peerDirection);
    await this.#deps.backend.answer(req.requestId, { sdp: r.answer });
  }

  /** Cleanup after the dialog is gone (BYE either way, timeout, transport loss). */
  async end(dialogId: string, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    const call = this.#calls.get(dialogId);
    if (!call) return;
    this.#calls.delete(dialogId);
    callsEndedTotal.inc({ cause });
    const left = (this.#roomSizes.get(call.room.id) ?? 1) - 1;
    if (left <= 0) this.#roomSizes.delete(call.room.id);
    else this.#roomSizes.set(call.room.id, left);
    callsActive.set(this.#calls.size);
    await this.#deps.media.leave(call.room.id, call.leg);
    const current = await this.#deps.store.get('call', call.callId).catch(() => null);
    if (current) {
      await this.#deps.store.remove('call', call.callId, { expect: current.revision, fence: { owner: this.#deps.instanceId, epoch: current.value.epoch } }).catch((err: unknown) => this.#deps.logger.warn({ err, callId: call.callId }, 'could not remove call record'));
    }
    this.#deps.logger.info({ callId: call.callId, room: call.room.id, cause, ...detail }, left <= 0 ? 'call left room; room ended' : 'call left room');
  }

  async #persist(call: LiveCall, inv: IncomingInvite, localPort: number | null): Promise<void> {
    const now = this.#deps.wallclock();
    const plan = call.plan;
    const port = localPort ?? 0;
    const leg: CallLeg = {
      legId: call.leg.id,
      kind: call.keying === 'webrtc' ? 'webrtc' : 'sip',
      // the embedded backend's export is JSON-safe plain data (signalling-backend.ts)
      dialog: this.#deps.backend.exportDialog(inv.dialogId) as DialogSnapshot,
      localSdp: call.answerSdp,
      remoteSdp: inv.sdp,
      // DTLS legs: keys come from the handshake; a new owner runs a new one (DESIGN.md takeover)
      srtp: 'suite' in plan ? { suite: plan.suite, keyExchange: 'sdes', local: plan.localKey, remote: plan.remoteKey } : null,
      dtls: null,
      media: {
        local: { address: this.#deps.mediaAddress, port, rtcpPort: plan.rtcpMux ? null : port + 1 },
        remote: { address: plan.remote.address, port: plan.remote.rtpPort, rtcpPort: plan.rtcpMux ? null : plan.remote.rtcpPort },
        rtcpMux: plan.rtcpMux,
      },
    };
    const record: CallRecord = { callId: inv.callId, roomId: call.room.id, state: 'active', legs: [leg], createdAt: now, updatedAt: now, owner: this.#deps.instanceId, epoch: 1 };
    const w = await this.#deps.store.put('call', record, 'absent').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (!w.ok) this.#deps.logger.warn({ callId: inv.callId, reason: w.reason }, 'call state not stored; the call continues on this instance only');
  }

  async #reject(inv: IncomingInvite, status: number, reason: string, code: string, warning?: string, profile?: string): Promise<void> {
    callsRejectedTotal.inc({ status: String(status), code });
    this.#deps.logger.info({ callId: inv.callId, status, code, profile, warning }, 'call rejected');
    await this.#deps.backend.reject(inv.requestId, status, reason, warning);
  }

  #fail(inv: IncomingInvite, err: unknown): void {
    const e = err as { sipStatus?: number | null; code?: string; sipReason?: string };
    const status = typeof e.sipStatus === 'number' && e.sipStatus >= 400 ? e.sipStatus : 500;
    // a 4xx is the caller's offer or the room refusing it (e.g. Opus into a mix), logged like
    // the other rejections; anything else is our failure
    if (status < 500) this.#deps.logger.info({ callId: inv.callId, status, code: e.code }, 'call rejected');
    else this.#deps.logger.error({ err, callId: inv.callId }, 'call setup failed');
    callsRejectedTotal.inc({ status: String(status), code: e.code ?? 'INTERNAL' });
    // The phrase matches the status (a 488 from the media room is no internal error), and the
    // error's caller-safe sipReason goes in a Warning (RFC 3261 20.43), as #reject does; never
    // the message, which names other participants' legs.
    const warning = typeof e.sipReason === 'string' ? `399 gatehouse "${warningText(e.sipReason)}"` : undefined;
    void this.#deps.backend.reject(inv.requestId, status, reasonPhrase(status), warning).catch(() => undefined);
  }
}

function legRequest(offer: SessionDescription, audio: MediaAnswerPlan, decision: MediaDecision, offerSdp: string): LegRequest {
  if (audio.keying?.kind === 'sdes') return { kind: 'sdes', plan: sdesLegPlan(offer, audio, decision) };
  const plan = dtlsLegPlan(offer, audio, decision);
  return plan.ice ? { kind: 'webrtc', plan, offerSdp } : { kind: 'dtls-udp', plan };
}

function domains(inv: IncomingInvite): { fromDomain?: string; toDomain?: string } {
  const host = (uri: string): string | undefined => /sips?:(?:[^@>;]*@)?([^>;:]+)/i.exec(uri)?.[1];
  const f = host(inv.from);
  const t = host(inv.to);
  return { ...(f ? { fromDomain: f } : {}), ...(t ? { toDomain: t } : {}) };
}
