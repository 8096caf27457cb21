/**
 * Continue a call this instance just claimed (DESIGN.md "State and takeover", issue 7): import
 * the dialog, bind fresh media, send the peer a target-refresh re-INVITE (RFC 3261 12.2.1.1:
 * same Call-ID and tags, next CSeq, our Contact) with a new offer (new address and port; new
 * SDES key unless state.takeover_sdes_key is `same`), then join the room with the answer. When
 * it cannot, the call is ended (BYE unless the dialog is gone, record removed) and it throws.
 * SDES SIP legs (takeover-reinvite.ts) and DTLS-SRTP SIP legs without ICE (takeover-dtls.ts:
 * the stored association resumed, or a new handshake); other legs are ended with a reason.
 */
import { cryptoRng } from '../../crypto-policy/index.ts';
import type { CallOwnership, CallRecord } from '../core/call/call-record.ts';
import { snapshotOfExport } from '../core/call/dialog-snapshot.ts';
import { GatehouseError } from '../core/errors.ts';
import { callsEndedTotal } from '../metrics/calls.ts';
import type { MediaLegHandle } from '../ports/media-plane.ts';
import type { ExportedDialog } from '../ports/signalling-backend.ts';
import type { CallServiceDeps } from './call-service.ts';
import type { LiveCall, LiveCalls } from './live-calls.ts';
import type { ResolvedRoom } from './room-directory.ts';
import { isDtlsSipLeg, prepareDtlsTakeover, type PreparedTakeover } from './takeover-dtls.ts';
import { buildTakeoverOffer, legAfterTakeover, storedVideoOf, takeoverLegPlan } from './takeover-reinvite.ts';

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
 * port, and a new SDES key or the DTLS association to continue) and joins the room with the
 * answer. When it cannot, it ends the call (BYE unless the dialog is gone, record removed) and
 * throws.
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
  let reserved: PreparedTakeover | null = null;
  let started: MediaLegHandle | null = null;
  try {
    if (record.legs.length !== 1 || leg === undefined || dialog === null || leg.kind !== 'sip') fail('TAKEOVER_UNSUPPORTED_CALL', 'only calls with one SIP leg can be taken over');
    const dtls = isDtlsSipLeg(leg);
    if (leg.srtp?.keyExchange !== 'sdes' && !dtls) {
      await backend.importDialog(dialog as ExportedDialog).then(() => (imported = true)).catch(() => undefined);
      fail('TAKEOVER_UNSUPPORTED_KEYING', 'only SDES and DTLS-SRTP SIP legs can be taken over');
    }
    const room = ctx.roomById(record.roomId) ?? fail('TAKEOVER_NO_ROOM', `room ${String(record.roomId)} is not configured here`);
    reserved = dtls ? await prepareDtlsTakeover(ctx.deps, leg, room) : await prepareSdesTakeover(ctx, leg);
    const offerSdp = reserved.offerSdp;
    // the backend refreshes sessions with the last SDP it sent: from now on, our new offer
    await backend.importDialog({ ...(dialog as ExportedDialog), state: { ...dialog.state, lastSdp: offerSdp } });
    imported = true;
    const own = lifecycle ? await lifecycle.stillOwn(record.callId, ownership.epoch) : { kind: 'owner' as const };
    if (own.kind !== 'owner') {
      imported = false; // not ours any more: no BYE either
      fail('TAKEOVER_LOST', 'the call was claimed by another instance before the re-INVITE');
    }
    const reply = await backend.request(dialog.dialogId, 'INVITE', { contentType: 'application/sdp', body: offerSdp });
    if (reply.status === 481 || reply.status === 408) imported = false; // dialog gone at the peer
    if (reply.status < 200 || reply.status >= 300) fail('TAKEOVER_REINVITE_REJECTED', `the peer answered the takeover re-INVITE with ${reply.status}`);
    const begun = reserved.start(leg.legId, reply.body);
    started = begun.leg;
    const done = await begun.ready; // DTLS with a new handshake: keyed (or failed) here
    media.join(room.id, started);
    const call: LiveCall = { dialogId: dialog.dialogId, callId: record.callId, room, leg: started, ...done.call, epoch: ownership.epoch, record: null, frozen: false };
    ctx.calls.add(call);
    const newLeg = done.newLeg(snapshotOfExport(backend.exportDialog(call.dialogId)));
    call.record = { ...record, legs: [newLeg], state: 'active', owner: ownership.owner, epoch: ownership.epoch, updatedAt: ctx.deps.wallclock() };
    const w = await ctx.deps.store.put('call', call.record, 'any').catch((err: unknown) => ({ ok: false as const, reason: String(err) }));
    if (!w.ok && w.reason === 'fenced') await ctx.dropLocal(call, 'claimed');
    else if (!w.ok) log.warn({ reason: w.reason }, 'adopted call not updated in the store');
    log.info({ room: room.id, dialogId: call.dialogId, epoch: ownership.epoch, ...done.log }, 'call adopted');
  } catch (err) {
    const code = err instanceof GatehouseError ? err.code : 'INTERNAL';
    log.warn({ code, err: err instanceof Error ? err.message : String(err) }, 'takeover failed; ending the call');
    callsEndedTotal.inc({ cause: code === 'TAKEOVER_UNSUPPORTED_KEYING' ? 'takeover-unsupported' : 'takeover-failed' });
    const live = started ? ctx.calls.byCallId(record.callId) : undefined;
    if (live) ctx.calls.remove(live);
    if (started && record.roomId !== null) await media.leave(record.roomId, started).catch(() => undefined); // closes a leg not joined yet too
    else await reserved?.release().catch(() => undefined);
    const stillOurs = !lifecycle || (await lifecycle.stillOwn(record.callId, ownership.epoch).catch(() => null))?.kind === 'owner';
    if (imported && dialog !== null && stillOurs) await backend.request(dialog.dialogId, 'BYE').catch(() => undefined);
    if (stillOurs) await ctx.deps.store.remove('call', record.callId, { expect: 'any', fence: ownership }).catch(() => undefined);
    throw err;
  }
}

/**
 * SDES legs (takeover-reinvite.ts): fresh sockets, a new offer with our new (or the same) key.
 * A leg with an SDES video m-line gets a second pair for it and re-offers it too
 * (takeover-video.ts); the video stream starts with the leg when the peer accepts it again.
 */
async function prepareSdesTakeover(ctx: AdoptionContext, leg: CallRecord['legs'][number]): Promise<PreparedTakeover> {
  const storedVideo = storedVideoOf(leg);
  const reserved = storedVideo === null ? await ctx.deps.media.reserveSdes(leg.media.rtcpMux) : await ctx.deps.media.reserveSdes(leg.media.rtcpMux, storedVideo);
  try {
    const where = { address: ctx.deps.mediaAddress, port: reserved.rtpPort, rtcpPort: reserved.rtcpPort };
    const rv = reserved.video;
    const videoWhere = rv === undefined ? null : { address: ctx.deps.mediaAddress, port: rv.rtpPort, rtcpPort: rv.rtcpPort };
    const offer = buildTakeoverOffer(leg, where, cryptoRng, ctx.deps.takeoverSdesKey ?? 'new', videoWhere);
    return {
      offerSdp: offer.sdp,
      release: () => reserved.release(),
      start: (legId, answerSdp) => {
        const plan = takeoverLegPlan(offer, answerSdp);
        if (plan.rtcpMux !== (reserved.rtcpPort === null)) throw new GatehouseError('state', 'TAKEOVER_RTCP_MUX', 'the peer changed rtcp-mux in its answer');
        const video = plan.video;
        if (video !== null && video.sdes !== null && video.sdes.rtcpMux !== (rv?.rtcpPort === null)) throw new GatehouseError('state', 'TAKEOVER_RTCP_MUX', 'the peer changed rtcp-mux of the video stream in its answer');
        const started = video === null ? reserved.start(legId, plan) : reserved.start(legId, plan, video);
        // the peer kept its key: its streams go on with their ROC (RFC 3711 3.3.1), not from 0
        if (leg.inbound !== undefined) started.primeInbound?.(leg.inbound, { audio: plan.remoteKeyUnchanged, video: video?.remoteKeyUnchanged === true });
        const call = {
          plan, keying: 'sdes' as const,
          sdes: { tag: offer.tag, remoteKeySalt: concatBytes(plan.remoteKey.masterKey, plan.remoteKey.masterSalt) },
          answerSdp: offer.sdp, version: Number(offer.sessionVersion),
        };
        return {
          leg: started,
          ready: Promise.resolve({
            call,
            newLeg: (dialog) => ({ ...legAfterTakeover(leg, offer, answerSdp, plan, where, dialog), inbound: plan.remoteKeyUnchanged ? (leg.inbound ?? []) : [] }),
            log: { suite: plan.suite, remoteKeyUnchanged: plan.remoteKeyUnchanged, ...(offer.video === null ? {} : { video: video !== null }) },
          }),
        };
      },
    };
  } catch (err) {
    await reserved.release();
    throw err;
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
