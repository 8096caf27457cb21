/**
 * Continue a call this instance just claimed (DESIGN.md "State and takeover", issue 7): import
 * the dialog, bind fresh media, send the peer a target-refresh re-INVITE (RFC 3261 12.2.1.1:
 * same Call-ID and tags, next CSeq, our Contact) with a new offer (new address and port; new
 * SDES key unless state.takeover_sdes_key is `same`), then join the room with the answer. When
 * it cannot, the call is ended (BYE unless the dialog is gone, record removed) and it throws.
 * SDES SIP legs only: DTLS legs need a new handshake and are ended with a reason.
 */
import { cryptoRng } from '../../crypto-policy/index.ts';
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { snapshotOfExport } from '../core/call/dialog-snapshot.ts';
import { GatehouseError } from '../core/errors.ts';
import { callsEndedTotal } from '../metrics/calls.ts';
import type { MediaLegHandle, ReservedSdesMedia } from '../ports/media-plane.ts';
import type { ExportedDialog } from '../ports/signalling-backend.ts';
import type { CallServiceDeps } from './call-service.ts';
import type { LiveCall, LiveCalls } from './live-calls.ts';
import type { ResolvedRoom } from './room-directory.ts';
import { buildTakeoverOffer, legAfterTakeover, takeoverLegPlan } from './takeover-reinvite.ts';

export interface AdoptionContext {
  readonly deps: CallServiceDeps;
  readonly calls: LiveCalls;
  roomById(id: string | null): ResolvedRoom | null;
  /** Release a call here without signalling (it is someone else's now). */
  dropLocal(call: LiveCall, cause: string): Promise<void>;
}

/**
 * Continues a call this instance just claimed (InstanceLifecycle `adopt`): imports the dialog,
 * binds fresh media, sends the peer a target-refresh re-INVITE with a new offer (new address,
 * port and SDES key) and joins the room with the answer. When it cannot, it ends the call
 * (BYE unless the dialog is gone, record removed) and throws. SDES SIP legs only.
 */
export async function adoptCall(ctx: AdoptionContext, record: CallRecord, ownership: CallOwnership): Promise<void> {
  const { backend, media, logger, lifecycle } = ctx.deps;
  const log = logger.child({ callId: record.callId });
  const leg = record.legs[0];
  const dialog = leg?.dialog ?? null;
  const fail: (code: string, message: string) => never = (code, message) => {
    throw new GatehouseError('state', code, message);
  };
  let imported = false;
  let reserved: ReservedSdesMedia | null = null;
  let started: MediaLegHandle | null = null;
  try {
    if (record.legs.length !== 1 || leg === undefined || dialog === null || leg.kind !== 'sip') fail('TAKEOVER_UNSUPPORTED_CALL', 'only calls with one SIP leg can be taken over');
    if (leg.srtp?.keyExchange !== 'sdes') {
      await backend.importDialog(dialog as ExportedDialog).then(() => (imported = true)).catch(() => undefined);
      fail('TAKEOVER_UNSUPPORTED_KEYING', 'DTLS-SRTP legs cannot be taken over yet (they need a new handshake)');
    }
    const room = ctx.roomById(record.roomId) ?? fail('TAKEOVER_NO_ROOM', `room ${String(record.roomId)} is not configured here`);
    reserved = await media.reserveSdes(leg.media.rtcpMux);
    const where = { address: ctx.deps.mediaAddress, port: reserved.rtpPort, rtcpPort: reserved.rtcpPort };
    const offer = buildTakeoverOffer(leg, where, cryptoRng, ctx.deps.takeoverSdesKey ?? 'new');
    // the backend refreshes sessions with the last SDP it sent: from now on, our new offer
    await backend.importDialog({ ...(dialog as ExportedDialog), state: { ...dialog.state, lastSdp: offer.sdp } });
    imported = true;
    const own = lifecycle ? await lifecycle.stillOwn(record.callId, ownership.epoch) : { kind: 'owner' as const };
    if (own.kind !== 'owner') {
      imported = false; // not ours any more: no BYE either
      fail('TAKEOVER_LOST', 'the call was claimed by another instance before the re-INVITE');
    }
    const reply = await backend.request(dialog.dialogId, 'INVITE', { contentType: 'application/sdp', body: offer.sdp });
    if (reply.status === 481 || reply.status === 408) imported = false; // dialog gone at the peer
    if (reply.status < 200 || reply.status >= 300) fail('TAKEOVER_REINVITE_REJECTED', `the peer answered the takeover re-INVITE with ${reply.status}`);
    const plan = takeoverLegPlan(offer, reply.body);
    if (plan.rtcpMux !== (reserved.rtcpPort === null)) fail('TAKEOVER_RTCP_MUX', 'the peer changed rtcp-mux in its answer');
    started = reserved.start(leg.legId, plan);
    media.join(room.id, started);
    const call: LiveCall = {
      dialogId: dialog.dialogId, callId: record.callId, room, leg: started, plan, keying: 'sdes',
      sdes: { tag: offer.tag, remoteKeySalt: concatBytes(plan.remoteKey.masterKey, plan.remoteKey.masterSalt) },
      answerSdp: offer.sdp, version: Number(offer.sessionVersion), epoch: ownership.epoch, record: null, frozen: false,
    };
    ctx.calls.add(call);
    const newLeg = legAfterTakeover(leg, offer, reply.body, plan, where, snapshotOfExport(backend.exportDialog(call.dialogId)));
    call.record = { ...record, legs: [newLeg], state: 'active', owner: ownership.owner, epoch: ownership.epoch, updatedAt: ctx.deps.wallclock() };
    const w = await ctx.deps.store.put('call', call.record, 'any').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (!w.ok && w.reason === 'fenced') await ctx.dropLocal(call, 'claimed');
    else if (!w.ok) log.warn({ reason: w.reason }, 'adopted call not updated in the store');
    log.info({ room: room.id, dialogId: call.dialogId, epoch: ownership.epoch, suite: plan.suite, remoteKeyUnchanged: plan.remoteKeyUnchanged }, 'call adopted');
  } catch (err) {
    const code = err instanceof GatehouseError ? err.code : 'INTERNAL';
    log.warn({ code, err: err instanceof Error ? err.message : String(err) }, 'takeover failed; ending the call');
    callsEndedTotal.inc({ cause: code === 'TAKEOVER_UNSUPPORTED_KEYING' ? 'takeover-unsupported' : 'takeover-failed' });
    const live = started ? ctx.calls.byCallId(record.callId) : undefined;
    if (live) ctx.calls.remove(live);
    if (started && record.roomId !== null) await media.leave(record.roomId, started).catch(() => undefined);
    else await reserved?.release().catch(() => undefined);
    const stillOurs = !lifecycle || (await lifecycle.stillOwn(record.callId, ownership.epoch).catch(() => null))?.kind === 'owner';
    if (imported && dialog !== null && stillOurs) await backend.request(dialog.dialogId, 'BYE').catch(() => undefined);
    if (stillOurs) await ctx.deps.store.remove('call', record.callId, { expect: 'any', fence: ownership }).catch(() => undefined);
    throw err;
  }
}


function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
