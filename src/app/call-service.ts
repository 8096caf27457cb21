/**
 * Admit call / join room / leave (issues 5 and 6): turns signalling events into rooms with
 * encrypted media. For an INVITE to `sip:ROOM@host`: resolve the room and access (404/403),
 * check capacity (486) and draining (503), negotiate the offer under the crypto policy
 * (400/488 with a Warning), open the media leg, answer, and keep the call's state in the
 * StateStore as plain data. A BYE, a transport loss or a media timeout removes the leg; the
 * last one out ends the room.
 *
 * Takeover (issue 7; with `lifecycle`, i.e. state.store redis): every call is tracked by the
 * instance lifecycle before its record is first written, re-stored after every change (o=
 * version, CSeq) fenced by owner + epoch, and checked with `stillOwn` before anything is sent
 * on its dialog: a call another instance claimed is released here without a word (a BYE would
 * end the call the new owner continues). `adopt` continues a call won from a dead or draining
 * instance with fresh media and a target-refresh re-INVITE (src/app/takeover-reinvite.ts);
 * `stopAccepting` hands live calls to other instances (src/app/drain-migration.ts).
 */
import { buildAnswer } from '../../sdp/index.ts';
import type { MediaPlane, OpenedLeg } from '../ports/media-plane.ts';
import { dtlsNegotiated, warningText, type CryptoPolicy, type PeerContext } from '../../crypto-policy/index.ts';
import { legRequest, peerOf } from './leg-request.ts';
import type { CallLeg, CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { snapshotOfExport, type DialogSnapshot } from '../core/call/dialog-snapshot.ts';
import type { Logger } from '../ports/logger.ts';
import type { Service } from '../ports/service.ts';
import type { IncomingDialogRequest, IncomingInvite, SignallingBackend } from '../ports/signalling-backend.ts';
import type { InstanceRegistry, StateStore } from '../ports/state-store.ts';
import { callsRejectedTotal, callsAnsweredTotal, callsEndedTotal } from '../metrics/calls.ts';
import { LiveCalls, type LiveCall } from './live-calls.ts';
import { srtpNegotiationsTotal } from '../metrics/policy.ts';
import { reasonPhrase } from '../core/sip/reason-phrases.ts';
import { negotiateOffer } from './negotiate-offer.ts';
import { resolveRoom, roomById, type RoomDirectoryConfig } from './room-directory.ts';
import { adoptCall } from './call-adoption.ts';
import { answerHoldReinvite } from './reinvite.ts';
import { realTimers, type InstanceLifecycle } from './instance-lifecycle.ts';
import type { TakeoverSdesKey } from './takeover-reinvite.ts';
import { drainUntilEmpty } from './drain-migration.ts';

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
  /** Per-instance limits and the rule for new calls while the state store is unreachable. */
  readonly admission: { readonly maxCalls: number; readonly retryAfterSeconds: number; readonly storeOutage: 'reject' | 'local' };
  /** False while the state store cannot be reached (Redis down or partitioned). */
  readonly storeAvailable: () => boolean;
  /** Takeover (state.store redis): tracking, fencing and the lease. Absent: one instance. */
  readonly lifecycle?: InstanceLifecycle;
  /** Live instances, for drain hand-over (with `lifecycle`). */
  readonly registry?: InstanceRegistry;
  /** SDES key of takeover re-INVITE offers (src/app/takeover-reinvite.ts); default 'new'. */
  readonly takeoverSdesKey?: TakeoverSdesKey;
}

export class CallService implements Service {
  readonly name = 'calls';
  readonly listening: readonly string[] = [];
  readonly #deps: CallServiceDeps;
  readonly #calls = new LiveCalls();
  #accepting = true;
  #handover: Promise<void> | null = null;
  #closing = false;

  constructor(deps: CallServiceDeps) {
    this.#deps = deps;
    deps.backend.on('invite', (inv) => void this.#onInvite(inv).catch((err: unknown) => this.#fail(inv, err)));
    deps.backend.on('request', (req) => void this.#onRequest(req).catch((err: unknown) => deps.logger.error({ err, dialogId: req.dialogId }, 'in-dialog request failed')));
    deps.backend.on('ended', (e) => void this.end(e.dialogId, e.cause));
  }

  activeCount(): number {
    return this.#calls.size;
  }

  /**
   * Drain: no new calls; with takeover, live calls are handed to other instances (they adopt
   * them with a re-INVITE) and leave here without a BYE. With no other instance alive they stay
   * until they end or the drain timeout closes them (BYE).
   */
  async stopAccepting(): Promise<void> {
    this.#accepting = false;
    const { lifecycle, registry, logger, instanceId } = this.#deps;
    if (!lifecycle || !registry) return;
    await lifecycle.setDraining(true);
    if (this.#calls.size === 0) return;
    const others = (await registry.listInstances().catch(() => [])).filter((i) => i.instanceId !== instanceId && !i.draining);
    if (others.length === 0) {
      logger.warn({ calls: this.#calls.size }, 'draining with no other live instance: calls stay until they end or the drain timeout');
      return;
    }
    this.#handover = drainUntilEmpty(
      {
        instanceId,
        store: this.#deps.store,
        registry,
        wallclock: this.#deps.wallclock,
        logger,
        snapshot: (record) => {
          const call = this.#byCallId(record.callId);
          if (!call?.record) return null;
          call.frozen = true;
          return this.#snapshot(call);
        },
        resume: (callId) => {
          const call = this.#byCallId(callId);
          if (call) call.frozen = false;
        },
        handedOver: async (callId, to) => {
          const call = this.#byCallId(callId);
          if (call) await this.#dropLocal(call, 'handed-over', { to });
        },
      },
      { timers: realTimers, keepGoing: () => this.#calls.size > 0 && !this.#closing },
    ).then(
      (r) => logger.info({ handed: r.handed.length, stranded: r.stranded.length, failed: r.failed.length }, 'drain hand-over finished'),
      (err: unknown) => logger.warn({ err }, 'drain hand-over stopped'),
    );
  }

  async close(): Promise<void> {
    this.#accepting = false;
    this.#closing = true;
    await this.#handover; // the round in progress finishes; what it could not hand over gets a BYE
    await Promise.allSettled(this.#calls.all().map((c) => this.hangUp(c.dialogId, 'shutdown')));
    await this.#deps.lifecycle?.stop({ leave: true }).catch((err: unknown) => this.#deps.logger.warn({ err }, 'could not leave the instance registry'));
  }

  /** Ends a call from our side (media timeout, admin): BYE, then cleanup with the cause recorded. */
  async hangUp(dialogId: string, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    const call = this.#calls.get(dialogId);
    if (!call || !(await this.#owns(call))) return;
    await this.#deps.backend.request(dialogId, 'BYE').catch((err: unknown) => this.#deps.logger.warn({ err, dialogId }, 'BYE failed'));
    await this.end(dialogId, cause, detail);
  }

  /** Lease lost (src/app/instance-lifecycle.ts): release media, send nothing on the dialogs. */
  async dropWithoutSignalling(lost: readonly { readonly callId: string; readonly epoch: number }[]): Promise<void> {
    for (const { callId, epoch } of lost) {
      const call = this.#byCallId(callId);
      if (call && call.epoch === epoch) await this.#dropLocal(call, 'lease-lost');
    }
  }

  /** The dialog of the call whose media leg is `legId` (media events name legs). */
  dialogOfLeg(legId: string): string | undefined {
    return this.#calls.byLeg(legId)?.dialogId;
  }

  async #onInvite(inv: IncomingInvite): Promise<void> {
    const { backend, logger } = this.#deps;
    const log = logger.child({ callId: inv.callId, transport: inv.source.transport, remote: `${inv.source.remote.address}:${inv.source.remote.port}` });
    if (!this.#accepting) return this.#reject(inv, 503, 'Service Unavailable - draining', 'DRAINING');
    // admission (issue 7): a full instance says so at once, with Retry-After, so an upstream
    // proxy fails over to another instance instead of waiting
    if (this.#calls.size >= this.#deps.admission.maxCalls) return this.#reject(inv, 503, 'Service Unavailable - at capacity', 'AT_CAPACITY');
    if (this.#deps.admission.storeOutage === 'reject' && !this.#deps.storeAvailable()) {
      return this.#reject(inv, 503, 'Service Unavailable - state store unreachable', 'STATE_UNAVAILABLE');
    }
    const r = resolveRoom(this.#deps.rooms, inv.user, inv.source.remote.address);
    if (!r.ok) return this.#reject(inv, r.status, r.reason, r.code);
    const room = r.room;
    if (this.#calls.roomSize(room.id) >= room.maxParticipants) return this.#reject(inv, 486, 'Busy Here - room is full', 'ROOM_FULL');
    if (inv.sdp === null) return this.#reject(inv, 488, 'Not Acceptable Here', 'NO_OFFER', '399 gatehouse "an SDP offer is required in the INVITE"');
    const peer = peerOf(inv);
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
    const call: LiveCall = { dialogId: inv.dialogId, callId: inv.callId, room, leg: opened.leg, plan: request.plan, sdes, answerSdp, version: 1, keying: request.kind, epoch: 1, record: null, frozen: false };
    try {
      // throws when the room cannot serve this leg (e.g. Opus into a mix: 488), before we answer
      this.#deps.media.join(room.id, opened.leg);
    } catch (err) {
      await this.#deps.media.leave(room.id, opened.leg);
      throw err;
    }
    this.#calls.add(call);
    await backend.answer(inv.requestId, { sdp: answerSdp });
    // stored right after the 200 (the dialog exists only once answered): an instance that dies
    // within this one store round trip leaves a call no survivor knows of; "call joined room"
    // is logged after the write so it marks a call that can be taken over
    await this.#persist(call, inv, opened.localPort);
    for (const m of outcome.policy.metrics) srtpNegotiationsTotal.inc({ ...m });
    for (const d of outcome.policy.downgrades) log.info({ audit: d }, 'SRTP negotiated below the profile first choice');
    callsAnsweredTotal.inc({ transport: inv.source.transport });
    log.info({ room: room.id, keying: request.kind, suite: request.kind === 'sdes' ? request.plan.suite : 'DTLS handshake pending', profile: outcome.policy.profile, dialogId: inv.dialogId }, 'call joined room');
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
    if (!(await this.#owns(call))) return; // another instance continues it: say nothing
    if (call.frozen) return this.#deps.backend.reject(req.requestId, 491, 'Request Pending'); // RFC 3261 14.2: retry after the hand-over
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
    await this.#store(call, { remoteSdp: req.body });
  }

  /** Cleanup after the dialog is gone (BYE either way, timeout, transport loss). */
  async end(dialogId: string, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    const call = this.#calls.get(dialogId);
    if (!call) return;
    const left = this.#calls.remove(call) ?? 0;
    callsEndedTotal.inc({ cause });
    await this.#deps.media.leave(call.room.id, call.leg);
    // fenced with OUR epoch: a call another instance claimed meanwhile is not ours to remove
    const removed = await this.#deps.store.remove('call', call.callId, { expect: 'any', fence: { owner: this.#deps.instanceId, epoch: call.epoch } }).catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (!removed.ok && removed.reason !== 'missing') this.#deps.logger.warn({ callId: call.callId, reason: removed.reason }, 'could not remove call record');
    this.#deps.lifecycle?.release(call.callId);
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
      dialog: snapshotOfExport(this.#deps.backend.exportDialog(inv.dialogId)),
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
    // tracked BEFORE the first write: an untracked record we own is taken for a hand-over
    this.#deps.lifecycle?.track(inv.callId, { owner: this.#deps.instanceId, epoch: 1 });
    const w = await this.#deps.store.put('call', record, 'absent').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (!w.ok) {
      this.#deps.lifecycle?.release(inv.callId);
      this.#deps.logger.warn({ callId: inv.callId, reason: w.reason }, 'call state not stored; the call continues on this instance only');
      return;
    }
    call.record = record;
  }

  /** The stored record with the live dialog (CSeq both ways) and our current SDP. */
  #snapshot(call: LiveCall, change: { readonly remoteSdp?: string } = {}): CallRecord | null {
    const rec = call.record;
    const leg = rec?.legs[0];
    if (!rec || !leg) return null;
    let dialog: DialogSnapshot | null = leg.dialog;
    try {
      dialog = snapshotOfExport(this.#deps.backend.exportDialog(call.dialogId));
    } catch {
      // dialog already gone in the backend: keep the last export
    }
    const fresh: CallLeg = { ...leg, dialog, localSdp: call.answerSdp, ...(change.remoteSdp === undefined ? {} : { remoteSdp: change.remoteSdp }) };
    return { ...rec, legs: [fresh, ...rec.legs.slice(1)], owner: this.#deps.instanceId, epoch: call.epoch, updatedAt: this.#deps.wallclock() };
  }

  /** Re-stores a changed call (o= version, CSeq) so a new owner never sends stale values. */
  async #store(call: LiveCall, change: { readonly remoteSdp?: string } = {}): Promise<void> {
    const next = this.#snapshot(call, change);
    if (next === null) return;
    const w = await this.#deps.store.put('call', next, 'any').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (w.ok) call.record = next;
    else if (w.reason === 'fenced') await this.#dropLocal(call, 'claimed');
    else this.#deps.logger.warn({ callId: call.callId, reason: w.reason }, 'call state not updated in the store');
  }

  /** Fencing before sending on a call's dialog; a lost call is released here silently. */
  async #owns(call: LiveCall): Promise<boolean> {
    const lifecycle = this.#deps.lifecycle;
    if (!lifecycle || call.record === null) return true;
    const v = await lifecycle.stillOwn(call.callId, call.epoch);
    if (v.kind === 'owner') return true;
    await this.#dropLocal(call, v.kind === 'gone' ? 'gone' : v.reason);
    return false;
  }

  /** The call continues elsewhere (or nowhere): media released, NOTHING sent on its dialog. */
  async #dropLocal(call: LiveCall, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    if (this.#calls.remove(call) === null) return;
    callsEndedTotal.inc({ cause });
    this.#deps.lifecycle?.release(call.callId);
    await this.#deps.media.leave(call.room.id, call.leg);
    this.#deps.logger.info({ callId: call.callId, room: call.room.id, cause, ...detail }, 'call released here without signalling');
  }

  #byCallId(callId: string): LiveCall | undefined {
    return this.#calls.byCallId(callId);
  }

  /**
   * Continues a call this instance just claimed (InstanceLifecycle `adopt`); see
   * call-adoption.ts. Throws when it cannot (the call is ended there).
   */
  adopt(record: CallRecord, ownership: CallOwnership): Promise<void> {
    return adoptCall(
      {
        deps: this.#deps,
        calls: this.#calls,
        roomById: (id) => (id === null ? null : roomById(this.#deps.rooms, id)),
        dropLocal: (call, cause) => this.#dropLocal(call, cause),
      },
      record,
      ownership,
    );
  }

  async #reject(inv: IncomingInvite, status: number, reason: string, code: string, warning?: string, profile?: string): Promise<void> {
    callsRejectedTotal.inc({ status: String(status), code });
    this.#deps.logger.info({ callId: inv.callId, status, code, profile, warning }, 'call rejected');
    const retryAfter = status === 503 ? this.#deps.admission.retryAfterSeconds : undefined;
    await this.#deps.backend.reject(inv.requestId, status, reason, warning, retryAfter);
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
