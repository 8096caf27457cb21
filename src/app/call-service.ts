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
import type { MediaPlane, OpenedLeg } from '../ports/media-plane.ts';
import type { CryptoPolicy, PeerContext } from '../../crypto-policy/index.ts';
import { peerOf } from './leg-request.ts';
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import type { Logger } from '../ports/logger.ts';
import type { Service } from '../ports/service.ts';
import type { ExportedDialog, IncomingDialogRequest, IncomingInvite, SignallingBackend } from '../ports/signalling-backend.ts';
import type { InstanceRegistry, RoomHomes, StateStore } from '../ports/state-store.ts';
import { callsRejectedTotal, callsAnsweredTotal, callsEndedTotal } from '../metrics/calls.ts';
import { claimRoomHome, leaveRoomHome, redirectToRoomHome, roomHomeElsewhere } from './room-home.ts';
import { LiveCalls, type LiveCall } from './live-calls.ts';
import { srtpNegotiationsTotal } from '../metrics/policy.ts';
import { reasonPhrase } from '../core/sip/reason-phrases.ts';
import { openRoomLeg } from './room-leg-offer.ts';
import { resolveRoom, roomById, type RoomDirectoryConfig } from './room-directory.ts';
import { adoptCall } from './call-adoption.ts';
import type { AdoptOutcome } from './takeover-adoption.ts';
import { dtlsKeying } from './takeover-dtls-record.ts';
import { answerSdesReinvite } from './reinvite-sdes.ts';
import { firstCallRecord, snapshotRecord, type RecordChange, type RecordContext } from './call-records.ts';
import { realTimers, type InstanceLifecycle } from './instance-lifecycle.ts';
import type { TakeoverSdesKey } from './takeover-reinvite.ts';
import { drainUntilEmpty } from './drain-migration.ts';
import { failInvite, watchDtls } from './call-setup-outcomes.ts';
import { GuestResumer } from './guest-resume.ts';
import { startInboundRefresh } from './inbound-refresh.ts';
import { onVideoInfo } from './video-info.ts';

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
  /** Which instance each room lives on (with `lifecycle`): takeover keeps rooms together. */
  readonly homes?: RoomHomes;
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
  readonly #guests: GuestResumer;
  readonly #stopInbound: () => void;

  constructor(deps: CallServiceDeps) {
    this.#deps = deps;
    // takeover: the peer's SRTP indexes travel with the call (src/app/inbound-refresh.ts)
    this.#stopInbound = deps.lifecycle
      ? startInboundRefresh({
          timers: realTimers,
          calls: () => this.#calls.all(),
          store: (call, inbound) => this.#store(call, { inbound }),
          storeLate: (call, u) => this.#persist(call, u.remoteSdp, u.localPort),
        })
      : () => undefined;
    this.#guests = new GuestResumer({
      deps,
      calls: this.#calls,
      timers: realTimers,
      roomById: (id) => (id === null ? null : roomById(deps.rooms, id)),
      dropLocal: (call, cause) => this.#dropLocal(call, cause),
      watchDtls: (call, keyed, profile, peer, index, log) => this.#watchDtls(call, keyed, profile, peer, index, log),
    });
    deps.backend.on('strayReinvite', (req) => void this.#guests.onStray(req).catch((err: unknown) => deps.logger.error({ err, callId: req.callId }, 'stray re-INVITE failed')));
    deps.backend.on('invite', (inv) => void this.#onInvite(inv).catch((err: unknown) => this.#fail(inv, err)));
    deps.backend.on('request', (req) => void this.#onRequest(req).catch((err: unknown) => deps.logger.error({ err, dialogId: req.dialogId }, 'in-dialog request failed')));
    deps.backend.on('ended', (e) => void this.end(e.dialogId, e.cause));
    // the backend's own session refreshes and BYEs are fenced like ours (frozen: being handed over)
    deps.backend.setSendGuard(async (dialogId) => {
      const call = this.#calls.get(dialogId);
      return call === undefined || (!call.frozen && (await this.#owns(call)) === 'owner');
    });
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
          return snapshotRecord(this.#recordContext(), call, this.#dialogExport(call.dialogId));
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
    this.#guests.close();
    this.#stopInbound();
    await this.#handover; // the round in progress finishes; what it could not hand over gets a BYE
    await Promise.allSettled(this.#calls.all().map((c) => this.hangUp(c.dialogId, 'shutdown')));
    await this.#deps.lifecycle?.stop({ leave: true }).catch((err: unknown) => this.#deps.logger.warn({ err }, 'could not leave the instance registry'));
  }

  /** Ends a call from our side (media timeout, admin): BYE, then cleanup with the cause recorded. */
  async hangUp(dialogId: string, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    const call = this.#calls.get(dialogId);
    if (!call) return;
    const own = await this.#owns(call);
    // unconfirmed (lease lapsed, state.on_lease_loss continue): another instance may continue
    // this dialog, so no BYE: the call ends here only (media released, record removed if ours)
    if (own === 'unconfirmed') return this.end(dialogId, cause, { ...detail, signalled: false, unconfirmed: true });
    if (own !== 'owner') return;
    await this.#deps.backend.request(dialogId, 'BYE').catch((err: unknown) => this.#deps.logger.warn({ err, dialogId }, 'BYE failed'));
    await this.end(dialogId, cause, detail);
  }

  /** Lease lost, or the store says a call is not ours any more (src/app/instance-lifecycle.ts):
   * release media, send nothing on the dialogs. `cause` defaults to 'lease-lost'. */
  async dropWithoutSignalling(lost: readonly { readonly callId: string; readonly epoch: number; readonly cause?: string }[]): Promise<void> {
    for (const { callId, epoch, cause } of lost) {
      const call = this.#byCallId(callId);
      if (call && call.epoch === epoch) await this.#dropLocal(call, cause ?? 'lease-lost');
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
    // a room runs in one process: a SIP caller goes where it already runs (room-home.ts)
    const home = this.#deps.rooms.redirectToHome === false || inv.source.transport.startsWith('ws') ? null : await roomHomeElsewhere(this.#deps, room.id, inv.user ?? room.id, inv.source.transport);
    if (home !== null) return redirectToRoomHome(this.#deps, inv, room.id, home);
    if (this.#calls.roomSize(room.id) >= room.maxParticipants) return this.#reject(inv, 486, 'Busy Here - room is full', 'ROOM_FULL');
    if (inv.sdp === null) return this.#reject(inv, 488, 'Not Acceptable Here', 'NO_OFFER', '399 gatehouse "an SDP offer is required in the INVITE"');
    const peer = peerOf(inv);
    const o = await openRoomLeg(this.#deps, room, inv.sdp, peer, inv.callId);
    if (!o.ok) return this.#reject(inv, o.status, o.reason, o.code, o.warning, o.profile);
    const { opened, request, answerSdp, policy } = o;
    const call: LiveCall = { dialogId: inv.dialogId, callId: inv.callId, room, leg: opened.leg, plan: request.plan, sdes: o.sdes, answerSdp, version: 1, keying: request.kind, epoch: 1, record: null, frozen: false, peer };
    this.#calls.add(call);
    // stored once the dialog exists and before the 200 leaves (one store round trip on the
    // setup path): a call the peer sees answered is always one a survivor can take over
    try {
      await backend.answer(inv.requestId, { sdp: answerSdp, beforeSend: () => this.#persist(call, inv.sdp, opened.localPort) });
    } catch (err) {
      await this.end(inv.dialogId, 'cancelled'); // CANCEL won the race: media, record and slot freed
      throw err;
    }
    for (const m of policy.metrics) srtpNegotiationsTotal.inc({ ...m });
    for (const d of policy.downgrades) log.info({ audit: d }, 'SRTP negotiated below the profile first choice');
    callsAnsweredTotal.inc({ transport: inv.source.transport });
    log.info({ room: room.id, keying: request.kind, suite: request.kind === 'sdes' ? request.plan.suite : 'DTLS handshake pending', profile: policy.profile, dialogId: inv.dialogId }, 'call joined room');
    if (opened.keyed) this.#watchDtls(call, opened.keyed, policy.profile, peer, o.audioIndex, log);
  }

  #watchDtls(call: LiveCall, keyed: NonNullable<OpenedLeg['keyed']>, profileName: string, peer: PeerContext, index: number, log: Logger): void {
    // a leg replaced meanwhile (a guest's re-offer) failing is no reason to end the call
    const hangUp = (d: string, cause: string): Promise<void> => (this.#calls.get(d)?.leg === call.leg ? this.hangUp(d, cause) : Promise.resolve());
    watchDtls({ policy: this.#deps.policy, hangUp }, call, keyed, profileName, peer, index, log);
  }

  async #onRequest(req: IncomingDialogRequest): Promise<void> {
    const call = this.#calls.get(req.dialogId);
    if (!call) return this.#deps.backend.reject(req.requestId, 481, 'Call/Transaction Does Not Exist');
    if ((await this.#owns(call, req)) !== 'owner') return; // lost: say nothing; unconfirmed: #owns answered 500/503
    if (call.frozen) return this.#deps.backend.reject(req.requestId, 491, 'Request Pending'); // RFC 3261 14.2: retry after the hand-over
    if (req.method === 'INFO') onVideoInfo(call.leg, req); // RFC 5168 picture_fast_update (src/app/video-info.ts)
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') return this.#deps.backend.answer(req.requestId);
    if (req.body.trim() === '') {
      // RFC 4028 session refresh without an offer: an UPDATE is answered without a body; an
      // offerless re-INVITE gets our current session description as the offer (RFC 3261 14.2),
      // unchanged, so media goes on as it is
      return req.method === 'UPDATE' ? this.#deps.backend.answer(req.requestId) : this.#deps.backend.answer(req.requestId, { sdp: call.answerSdp });
    }
    if (call.keying === 'webrtc') return this.#guests.reoffer(call, req); // src/app/guest-resume.ts
    const change = await answerSdesReinvite({ deps: this.#deps }, call, req); // src/app/reinvite-sdes.ts
    if (change !== null) await this.#store(call, change);
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
    if (left <= 0) await leaveRoomHome(this.#deps, call.room.id);
    this.#deps.logger.info({ callId: call.callId, room: call.room.id, cause, ...detail }, left <= 0 ? 'call left room; room ended' : 'call left room');
  }

  /**
   * The first write of a call. When the store refuses or cannot be reached (admission
   * on_state_outage: local) the call goes on here and the write is retried every few seconds
   * (src/app/inbound-refresh.ts) until the store takes it: nothing is lost.
   */
  async #persist(call: LiveCall, remoteSdp: string | null, localPort: number | null): Promise<void> {
    const dialog = this.#dialogExport(call.dialogId);
    if (dialog === null) return;
    const record = firstCallRecord(this.#recordContext(), call, dialog, remoteSdp, localPort);
    const plan = call.plan;
    // tracked BEFORE the first write: an untracked record we own is taken for a hand-over
    this.#deps.lifecycle?.track(call.callId, { owner: this.#deps.instanceId, epoch: 1 });
    const w = await this.#deps.store.put('call', record, 'absent').catch((err: unknown) => ({ ok: false as const, reason: String(err), current: null }));
    // 'exists' as ours: an earlier attempt reached the store after all
    if (!w.ok && !(w.reason === 'exists' && w.current?.owner === this.#deps.instanceId)) {
      this.#deps.lifecycle?.release(call.callId);
      if (call.unstored === undefined) this.#deps.logger.warn({ callId: call.callId, reason: w.reason }, 'call state not stored yet; the call goes on here and the write is retried');
      call.unstored = { remoteSdp, localPort };
      return;
    }
    if (call.unstored !== undefined) this.#deps.logger.info({ callId: call.callId }, 'call state stored after all');
    call.unstored = undefined;
    call.record = record;
    await claimRoomHome(this.#deps, call.room.id, call.callId);
    // DTLS-SRTP SIP legs: once keyed, the association's SRTP keys, our certificate and role go
    // into the record (sealed) so a new owner can continue the association (takeover-dtls.ts)
    const fingerprints = 'remoteFingerprints' in plan ? plan.remoteFingerprints : [];
    void call.leg
      .dtlsSecrets?.()
      .then(async (secrets) => {
        const rec = call.record;
        const first = rec?.legs[0];
        if (secrets === null || rec === null || first === undefined || this.#calls.get(call.dialogId) !== call) return;
        call.record = { ...rec, legs: [{ ...first, ...dtlsKeying(secrets, fingerprints) }, ...rec.legs.slice(1)] };
        await this.#store(call);
      })
      .catch((err: unknown) => this.#deps.logger.warn({ err, callId: call.callId }, 'DTLS keys not stored; a takeover will need a new handshake'));
  }

  /** The backend's current export of a dialog; null when it is gone (the last stored one stays). */
  #dialogExport(dialogId: string): ExportedDialog | null {
    try {
      return this.#deps.backend.exportDialog(dialogId);
    } catch {
      return null;
    }
  }

  #recordContext(): RecordContext {
    return { instanceId: this.#deps.instanceId, mediaAddress: this.#deps.mediaAddress, now: this.#deps.wallclock() };
  }

  /** Re-stores a changed call (o= version, CSeq) so a new owner never sends stale values. */
  async #store(call: LiveCall, change: RecordChange = {}): Promise<void> {
    const next = snapshotRecord(this.#recordContext(), call, this.#dialogExport(call.dialogId), change);
    if (next === null) return;
    const w = await this.#deps.store.put('call', next, 'any').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (w.ok) call.record = next;
    else if (w.reason === 'fenced') await this.#dropLocal(call, 'claimed');
    else this.#deps.logger.warn({ callId: call.callId, reason: w.reason }, 'call state not updated in the store');
  }

  /**
   * Fencing before sending on a call's dialog: 'owner' may act; a lost call is released here
   * silently ('released'). 'unconfirmed' (lease lapsed, state.on_lease_loss continue): media
   * goes on but nothing is sent until the store decides; the peer's request `req` is refused
   * with Retry-After so it tries again then: 500 for a re-INVITE (RFC 3261 14.2), else 503.
   */
  async #owns(call: LiveCall, req?: IncomingDialogRequest): Promise<'owner' | 'unconfirmed' | 'released'> {
    const lifecycle = this.#deps.lifecycle;
    if (!lifecycle || call.record === null) return 'owner';
    const v = await lifecycle.stillOwn(call.callId, call.epoch);
    if (v.kind === 'owner') return 'owner';
    if (v.kind === 'unconfirmed') {
      if (req) {
        const status = req.method === 'INVITE' ? 500 : 503;
        await this.#deps.backend.reject(req.requestId, status, reasonPhrase(status), '399 gatehouse "call state unconfirmed; retry later"', this.#deps.admission.retryAfterSeconds);
      }
      return 'unconfirmed';
    }
    await this.#dropLocal(call, v.kind === 'gone' ? 'gone' : v.reason);
    return 'released';
  }

  /** The call continues elsewhere (or nowhere): media released, NOTHING sent on its dialog. */
  async #dropLocal(call: LiveCall, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    const left = this.#calls.remove(call);
    if (left === null) return;
    if (left <= 0) await leaveRoomHome(this.#deps, call.room.id);
    this.#deps.backend.dropDialog(call.dialogId); // no session refresh or BYE from here any more
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
  async adopt(record: CallRecord, ownership: CallOwnership): Promise<AdoptOutcome> {
    // a guest's browser alone can reach us (its WebSocket died with the old owner): wait for it
    if (record.legs[0]?.kind === 'webrtc') {
      await this.#guests.hold(record, ownership);
      return 'held';
    }
    await adoptCall(
      {
        deps: this.#deps,
        calls: this.#calls,
        roomById: (id) => (id === null ? null : roomById(this.#deps.rooms, id)),
        dropLocal: (call, cause) => this.#dropLocal(call, cause),
      },
      record,
      ownership,
    );
    // the room runs here now (a drain hand-over: the draining home clears itself as it leaves)
    if (record.roomId !== null) await this.#deps.homes?.claimHome(record.roomId, this.#deps.instanceId).catch(() => undefined);
    return 'resumed';
  }

  async #reject(inv: IncomingInvite, status: number, reason: string, code: string, warning?: string, profile?: string): Promise<void> {
    callsRejectedTotal.inc({ status: String(status), code });
    this.#deps.logger.info({ callId: inv.callId, status, code, profile, warning }, 'call rejected');
    const retryAfter = status === 503 ? this.#deps.admission.retryAfterSeconds : undefined;
    await this.#deps.backend.reject(inv.requestId, status, reason, warning, retryAfter);
  }

  #fail(inv: IncomingInvite, err: unknown): void {
    failInvite(this.#deps, inv, err);
  }
}
