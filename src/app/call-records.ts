/**
 * A live call as the stored record a new owner continues from (DESIGN.md "State and takeover"):
 * the first record written at set-up, and the snapshot re-stored after every change (o= version,
 * CSeq both ways, new SDES keys or address). Pure mapping: no I/O.
 */
import type { CallLeg, CallRecord, SrtpKeying } from '../core/call/call-record.ts';
import { snapshotOfExport, type DialogSnapshot } from '../core/call/dialog-snapshot.ts';
import type { ExportedDialog } from '../ports/signalling-backend.ts';
import type { LiveCall } from './live-calls.ts';
import type { SdesLegPlan } from './sdes-leg-plan.ts';

export interface RecordContext {
  readonly instanceId: string;
  readonly mediaAddress: string;
  readonly now: number;
}

/** SDES keys as the record holds them: key and salt only (an MKI or lifetime is in the SDPs). */
export function sdesKeying(plan: Pick<SdesLegPlan, 'suite' | 'localKey' | 'remoteKey'>): SrtpKeying {
  return {
    suite: plan.suite,
    keyExchange: 'sdes',
    local: { masterKey: plan.localKey.masterKey, masterSalt: plan.localKey.masterSalt },
    remote: { masterKey: plan.remoteKey.masterKey, masterSalt: plan.remoteKey.masterSalt },
  };
}

/** The record written once the dialog exists (before the 200 OK), owned by us at epoch 1. */
export function firstCallRecord(ctx: RecordContext, call: LiveCall, dialog: ExportedDialog, remoteSdp: string | null, localPort: number | null): CallRecord {
  const plan = call.plan;
  const port = localPort ?? 0;
  const leg: CallLeg = {
    legId: call.leg.id,
    kind: call.keying === 'webrtc' ? 'webrtc' : 'sip',
    // the embedded backend's export is JSON-safe plain data (signalling-backend.ts)
    dialog: snapshotOfExport(dialog),
    localSdp: call.answerSdp,
    remoteSdp,
    // DTLS legs: the association's keys are added once the handshake is done (call-service.ts)
    srtp: 'suite' in plan ? sdesKeying(plan) : null,
    dtls: null,
    media: {
      local: { address: ctx.mediaAddress, port, rtcpPort: plan.rtcpMux ? null : port + 1 },
      remote: { address: plan.remote.address, port: plan.remote.rtpPort, rtcpPort: plan.rtcpMux ? null : plan.remote.rtcpPort },
      rtcpMux: plan.rtcpMux,
    },
  };
  return { callId: call.callId, roomId: call.room.id, state: 'active', legs: [leg], createdAt: ctx.now, updatedAt: ctx.now, owner: ctx.instanceId, epoch: 1 };
}

export interface RecordChange {
  readonly remoteSdp?: string;
  /** After a re-keying re-INVITE: the new SDES keys and the peer's new address. */
  readonly plan?: SdesLegPlan;
  /** The peer's streams' SRTP indexes now (InboundIndex in src/ports/media-plane.ts). */
  readonly inbound?: readonly { readonly ssrc: number; readonly index: number; readonly stream?: 'video' }[];
}

/** RFC 3711 Appendix A guesses the ROC right while a stream moved less than 2^15 packets; a
 * stored index is refreshed well before that (2^14: about 5.5 minutes of 20 ms audio). */
export const INBOUND_REFRESH_PACKETS = 0x4000;

/**
 * True when the stored indexes would mislead a new owner: a stream's ROC changed (or is past 0
 * with nothing stored), it went backwards (a re-key restarted its context), or it moved 2^14
 * packets. A stream still at ROC 0 with nothing stored needs nothing: a new owner starts there.
 */
export function inboundMoved(stored: CallLeg['inbound'], live: readonly { readonly ssrc: number; readonly index: number }[]): boolean {
  const roc = (index: number): number => Math.floor(index / 0x10000);
  for (const s of live) {
    const before = stored?.find((x) => x.ssrc === s.ssrc);
    if (before === undefined) {
      if (roc(s.index) > 0) return true;
      continue;
    }
    if (s.index < before.index || roc(s.index) !== roc(before.index) || s.index - before.index >= INBOUND_REFRESH_PACKETS) return true;
  }
  return false;
}

/** The stored record with the live dialog (null: the dialog is gone, the last export is kept)
 * and our current SDP; null when the call was never stored. */
export function snapshotRecord(ctx: RecordContext, call: LiveCall, dialog: ExportedDialog | null, change: RecordChange = {}): CallRecord | null {
  const rec = call.record;
  const leg = rec?.legs[0];
  if (!rec || !leg) return null;
  const exported: DialogSnapshot | null = dialog === null ? leg.dialog : snapshotOfExport(dialog);
  const p = change.plan;
  const keyed: Partial<CallLeg> =
    p === undefined
      ? {}
      : { srtp: sdesKeying(p), media: { ...leg.media, remote: { address: p.remote.address, port: p.remote.rtpPort, rtcpPort: p.rtcpMux ? null : p.remote.rtcpPort } } };
  const fresh: CallLeg = {
    ...leg,
    dialog: exported,
    localSdp: call.answerSdp,
    ...(change.remoteSdp === undefined ? {} : { remoteSdp: change.remoteSdp }),
    ...keyed,
    // new keys start new contexts (RFC 4568 7.1.4): the old indexes no longer apply
    ...(change.inbound !== undefined ? { inbound: change.inbound.slice(0, 16) } : p !== undefined ? { inbound: [] } : {}),
  };
  return { ...rec, legs: [fresh, ...rec.legs.slice(1)], owner: ctx.instanceId, epoch: call.epoch, updatedAt: ctx.now };
}
