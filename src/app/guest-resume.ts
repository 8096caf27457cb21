/**
 * Browser guests after a takeover (issue 7) and browser re-offers in a live call.
 *
 * A guest's SIP runs over a WebSocket to one instance (RFC 7118); when that instance dies the
 * socket dies with it and no other instance can reach the browser: a takeover re-INVITE like
 * the one SIP legs get (call-adoption.ts) has nowhere to go. So the guest moves itself: the
 * join page's client reconnects (same URL behind a load balancer, or the next URL of its list)
 * and re-offers in its old dialog with an ICE restart (RFC 8445 9, JSEP 5.2.1). The instance
 * that receives this stray re-INVITE claims the call (the same atomic owner + epoch claim as
 * orphans, waiting while the old owner's lease may still be valid), imports the dialog with
 * the new connection as its flow, opens a fresh WebRTC leg (new ICE-lite credentials, new
 * certificate, so the browser runs a new DTLS handshake: RFC 5763 5 lets a re-offer change the
 * fingerprint) and answers.
 *
 * An orphaned guest call that a survivor's scan claims first is held here, not re-INVITEd,
 * until the guest comes back or GUEST_RESUME_WINDOW_MS passes (then the record is removed).
 */
import type { PeerContext } from '../../crypto-policy/index.ts';
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { snapshotOfExport } from '../core/call/dialog-snapshot.ts';
import { GatehouseError } from '../core/errors.ts';
import { callsEndedTotal } from '../metrics/calls.ts';
import { guestResumes } from '../metrics/guest-resume.ts';
import type { Logger } from '../ports/logger.ts';
import type { OpenedLeg } from '../ports/media-plane.ts';
import type { ExportedDialog, IncomingDialogRequest, IncomingStrayReinvite } from '../ports/signalling-backend.ts';
import type { CallServiceDeps } from './call-service.ts';
import type { TimerDriver } from './instance-lifecycle.ts';
import { peerOf } from './leg-request.ts';
import type { LiveCall, LiveCalls } from './live-calls.ts';
import type { ResolvedRoom } from './room-directory.ts';
import { continueOrigin, openRoomLeg } from './room-leg-offer.ts';

/** How long a claimed guest call waits for its browser to come back before it is ended. */
export const GUEST_RESUME_WINDOW_MS = 30_000;

export interface GuestResumeContext {
  readonly deps: CallServiceDeps;
  readonly calls: LiveCalls;
  readonly timers: TimerDriver;
  roomById(id: string | null): ResolvedRoom | null;
  dropLocal(call: LiveCall, cause: string): Promise<void>;
  /** DTLS legs learn their suite in the handshake: audit it, hang up when it fails. */
  watchDtls(call: LiveCall, keyed: NonNullable<OpenedLeg['keyed']>, profile: string, peer: PeerContext, index: number, log: Logger): void;
}

interface Held {
  readonly record: CallRecord;
  readonly ownership: CallOwnership;
  readonly cancel: () => void;
}

export class GuestResumer {
  readonly #ctx: GuestResumeContext;
  readonly #held = new Map<string, Held>();

  constructor(ctx: GuestResumeContext) {
    this.#ctx = ctx;
  }

  /** Orphan scan won a guest call: keep it for the browser (it alone can reach us). */
  hold(record: CallRecord, ownership: CallOwnership): void {
    this.#held.get(record.callId)?.cancel();
    const cancel = this.#ctx.timers.after(GUEST_RESUME_WINDOW_MS, () => void this.#expire(record.callId, ownership));
    this.#held.set(record.callId, { record, ownership, cancel });
    this.#ctx.deps.logger.info({ callId: record.callId, epoch: ownership.epoch, windowMs: GUEST_RESUME_WINDOW_MS }, 'takeover: guest call held until the browser reconnects');
  }

  /** Ends every hold (shutdown); the records stay for another instance. */
  close(): void {
    for (const h of this.#held.values()) h.cancel();
    this.#held.clear();
  }

  /** A re-INVITE in a dialog this instance does not hold (signalling-backend.ts). */
  async onStray(req: IncomingStrayReinvite): Promise<void> {
    const { deps } = this.#ctx;
    const { store, backend, lifecycle, instanceId, logger } = deps;
    const log = logger.child({ callId: req.callId });
    const reject = async (status: number, reason: string, outcome: string, warning?: string, retryAfter?: number): Promise<void> => {
      guestResumes.inc({ outcome });
      log.info({ status, outcome }, 'stray re-INVITE refused');
      await backend.reject(req.requestId, status, reason, warning, retryAfter).catch(() => undefined);
    };
    if (!lifecycle) return reject(481, 'Call/Transaction Does Not Exist', 'unknown');
    const retry = deps.admission.retryAfterSeconds;
    const clock = (): number => performance.now();
    // the old owner's lease may still be valid for up to one TTL after it died
    const deadline = clock() + lifecycle.ttlMs + 2 * lifecycle.heartbeatIntervalMs;
    for (;;) {
      if (lifecycle.draining || !lifecycle.leaseValid) return reject(503, 'Service Unavailable', 'unavailable', '399 gatehouse "this instance cannot take calls over right now"', retry);
      const row = await store.get('call', req.callId).catch(() => undefined);
      if (row === undefined) return reject(503, 'Service Unavailable - state store unreachable', 'unavailable', undefined, retry);
      if (row === null) return reject(481, 'Call/Transaction Does Not Exist', 'unknown');
      const rec = row.value;
      const leg = rec.legs[0];
      if (rec.legs.length !== 1 || leg?.kind !== 'webrtc' || leg.dialog?.dialogId !== req.dialogId) return reject(481, 'Call/Transaction Does Not Exist', 'unknown');
      // the room's calls continue on its home instance: a guest that reached another one goes on
      // (a home still on the old owner: it may be dying, wait below like for its lease)
      const home = rec.roomId === null || !deps.homes ? null : await deps.homes.homeOf(rec.roomId).catch(() => undefined);
      if (home === undefined) return reject(503, 'Service Unavailable - state store unreachable', 'unavailable', undefined, retry);
      if (home !== null && home !== instanceId && home !== rec.owner) return reject(503, 'Service Unavailable', 'owned-elsewhere', '399 gatehouse "the room is running on another instance"', 1);
      if (rec.owner === instanceId) {
        const held = this.#held.get(req.callId);
        if (held !== undefined && held.ownership.epoch === rec.epoch) {
          held.cancel();
          this.#held.delete(req.callId);
          return this.#resume(req, rec, held.ownership, log);
        }
        // our own scan won it a moment ago and is about to hold it: look again shortly
      } else {
        const outcome = await store.claim(req.callId, { from: { owner: rec.owner, epoch: rec.epoch }, to: instanceId, onlyIfOwnerDead: true }).catch(() => null);
        if (outcome?.won === true) {
          lifecycle.track(req.callId, outcome.ownership);
          if (rec.roomId !== null) await deps.homes?.claimHome(rec.roomId, instanceId).catch(() => undefined);
          return this.#resume(req, { ...rec, ...outcome.ownership }, outcome.ownership, log);
        }
        if (outcome?.won === false && outcome.reason === 'missing') return reject(481, 'Call/Transaction Does Not Exist', 'unknown');
      }
      if (clock() >= deadline) {
        // a live instance runs it (the browser reached the wrong one): the client tries its next URL
        return reject(503, 'Service Unavailable', 'owned-elsewhere', '399 gatehouse "the call is running on another instance"', 1);
      }
      await new Promise<void>((resolve) => this.#ctx.timers.after(lifecycle.heartbeatIntervalMs / 2, resolve));
    }
  }

  /**
   * A browser's re-offer in a call that runs here (ICE restart after its WebSocket came back,
   * or any other change): a fresh WebRTC leg replaces the old one in the room.
   */
  async reoffer(call: LiveCall, req: IncomingDialogRequest): Promise<void> {
    const { deps } = this.#ctx;
    const log = deps.logger.child({ callId: call.callId });
    const peer = call.peer ?? { ip: req.source.remote.address };
    const o = await openRoomLeg(deps, call.room, req.body, peer, `${call.callId}~v${String(call.version + 1)}`);
    if (!o.ok) {
      await deps.backend.reject(req.requestId, o.status, o.reason, o.warning);
      return; // RFC 3261 14.2: a refused re-offer leaves the session as it was
    }
    const answer = continueOrigin(o.answerSdp, call.answerSdp);
    const next: LiveCall = { ...call, leg: o.opened.leg, plan: o.request.plan, keying: o.request.kind, sdes: o.sdes, answerSdp: answer.sdp, version: answer.version };
    this.#ctx.calls.remove(call);
    this.#ctx.calls.add(next);
    await deps.media.leave(call.room.id, call.leg);
    await deps.backend.answer(req.requestId, { sdp: answer.sdp });
    await this.#store(next, req.body, o.opened.localPort, log);
    log.info({ room: call.room.id, keying: o.request.kind }, 'guest re-offer: new WebRTC leg');
    if (o.opened.keyed) this.#ctx.watchDtls(next, o.opened.keyed, o.policy.profile, peer, o.audioIndex, log);
  }

  async #resume(req: IncomingStrayReinvite, rec: CallRecord, ownership: CallOwnership, log: Logger): Promise<void> {
    const { deps } = this.#ctx;
    const { backend, lifecycle } = deps;
    const leg = rec.legs[0];
    const dialog = leg?.dialog ?? null;
    const room = this.#ctx.roomById(rec.roomId);
    let imported = false;
    try {
      if (leg === undefined || dialog === null) throw new GatehouseError('state', 'TAKEOVER_UNSUPPORTED_CALL', 'the stored call has no dialog', { sipStatus: 481 });
      if (room === null) throw new GatehouseError('state', 'TAKEOVER_NO_ROOM', `room ${String(rec.roomId)} is not configured here`, { sipStatus: 404 });
      await backend.importDialog(dialog as ExportedDialog, { attach: req.requestId });
      imported = true;
      const peer = peerOf(req);
      const o = await openRoomLeg(deps, room, req.body, peer, `${leg.legId}~e${String(ownership.epoch)}`);
      if (!o.ok) throw new GatehouseError('policy', o.code, `the resumed guest's offer was refused: ${o.reason}`, { sipStatus: o.status, ...(o.warning ? { sipReason: o.warning } : {}) });
      const answer = continueOrigin(o.answerSdp, leg.localSdp);
      const call: LiveCall = {
        dialogId: req.dialogId, callId: rec.callId, room, leg: o.opened.leg, plan: o.request.plan, keying: o.request.kind, sdes: o.sdes,
        answerSdp: answer.sdp, version: answer.version, epoch: ownership.epoch, record: rec, frozen: false, peer,
      };
      this.#ctx.calls.add(call);
      await backend.answer(req.requestId, { sdp: answer.sdp });
      await this.#store(call, req.body, o.opened.localPort, log);
      guestResumes.inc({ outcome: 'resumed' });
      log.info({ room: room.id, epoch: ownership.epoch, dialogId: req.dialogId }, 'takeover: guest call resumed on this instance');
      if (o.opened.keyed) this.#ctx.watchDtls(call, o.opened.keyed, o.policy.profile, peer, o.audioIndex, log);
    } catch (err) {
      const e = err instanceof GatehouseError ? err : null;
      const status = e?.sipStatus ?? 500;
      guestResumes.inc({ outcome: 'failed' });
      log.warn({ code: e?.code ?? 'INTERNAL', err: err instanceof Error ? err.message : String(err) }, 'guest call could not be resumed; ending it');
      await backend.reject(req.requestId, status >= 300 ? status : 500, status === 481 ? 'Call/Transaction Does Not Exist' : 'Not Acceptable Here', e?.sipReason).catch(() => undefined);
      if (imported) await backend.request(req.dialogId, 'BYE').catch(() => undefined);
      const live = this.#ctx.calls.byCallId(rec.callId);
      if (live) await this.#ctx.dropLocal(live, 'takeover-failed');
      else callsEndedTotal.inc({ cause: 'takeover-failed' });
      lifecycle?.release(rec.callId);
      await deps.store.remove('call', rec.callId, { expect: 'any', fence: ownership }).catch(() => undefined);
    }
  }

  /** The call as it now runs here, written at the epoch we hold (fenced). */
  async #store(call: LiveCall, remoteSdp: string, localPort: number | null, log: Logger): Promise<void> {
    const { deps } = this.#ctx;
    const rec = call.record;
    const leg = rec?.legs[0];
    if (!rec || !leg) return;
    let dialog = leg.dialog;
    try {
      dialog = snapshotOfExport(deps.backend.exportDialog(call.dialogId));
    } catch {
      // the dialog ended meanwhile: keep the last export
    }
    const port = localPort ?? 0;
    const next: CallRecord = {
      ...rec,
      state: 'active',
      legs: [{ ...leg, dialog, localSdp: call.answerSdp, remoteSdp, srtp: null, dtls: null, media: { ...leg.media, local: { address: deps.mediaAddress, port, rtcpPort: null } } }],
      owner: deps.instanceId,
      epoch: call.epoch,
      updatedAt: deps.wallclock(),
    };
    const w = await deps.store.put('call', next, 'any').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (w.ok) call.record = next;
    else if (w.reason === 'fenced') await this.#ctx.dropLocal(call, 'claimed');
    else log.warn({ reason: w.reason }, 'guest call not updated in the store');
  }

  async #expire(callId: string, ownership: CallOwnership): Promise<void> {
    const held = this.#held.get(callId);
    if (held?.ownership.epoch !== ownership.epoch) return;
    this.#held.delete(callId);
    const { deps } = this.#ctx;
    guestResumes.inc({ outcome: 'expired' });
    callsEndedTotal.inc({ cause: 'guest-not-resumed' });
    deps.lifecycle?.release(callId);
    await deps.store.remove('call', callId, { expect: 'any', fence: ownership }).catch(() => undefined);
    deps.logger.info({ callId, windowMs: GUEST_RESUME_WINDOW_MS }, 'takeover: the guest did not come back; call ended');
  }
}
