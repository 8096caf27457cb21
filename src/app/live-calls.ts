/**
 * The calls this instance currently carries, by dialog, with the participant count per room
 * (admission, "last one out ends the room") and the active-calls gauge kept in step.
 */
import type { PeerContext } from '../../crypto-policy/index.ts';
import type { CallRecord } from '../core/call/call-record.ts';
import { callsActive } from '../metrics/calls.ts';
import type { LegRequest, MediaLegHandle } from '../ports/media-plane.ts';
import type { DtlsLegPlan } from './dtls-leg-plan.ts';
import type { ResolvedRoom } from './room-directory.ts';
import type { SdesLegPlan } from './sdes-leg-plan.ts';

export interface LiveCall {
  readonly dialogId: string;
  readonly callId: string;
  readonly room: ResolvedRoom;
  readonly leg: MediaLegHandle;
  /** Replaced when a re-INVITE re-keys or moves an SDES leg (src/app/reinvite.ts). */
  plan: SdesLegPlan | DtlsLegPlan;
  readonly keying: LegRequest['kind'];
  /** SDES legs: the peer's a=crypto line in force, to recognise an unchanged key in a re-INVITE. */
  sdes: { readonly tag: number; readonly remoteKeySalt: Uint8Array } | null;
  answerSdp: string;
  version: number;
  /** Fencing token this instance holds for the call (DESIGN.md "State and takeover"). */
  epoch: number;
  /** What the store holds for the call (null: never stored). */
  record: CallRecord | null;
  /** Being handed to another instance (drain): start nothing on the dialog. */
  frozen: boolean;
  /** Set while the call's first store write has not succeeded (retried until it does). */
  unstored?: { readonly remoteSdp: string | null; readonly localPort: number | null };
  /** Who the crypto policy saw when the call was set up (re-offers are judged the same way). */
  readonly peer?: PeerContext;
}

export class LiveCalls {
  readonly #byDialog = new Map<string, LiveCall>();
  readonly #roomSizes = new Map<string, number>();

  get size(): number {
    return this.#byDialog.size;
  }

  get(dialogId: string): LiveCall | undefined {
    return this.#byDialog.get(dialogId);
  }

  all(): LiveCall[] {
    return [...this.#byDialog.values()];
  }

  byCallId(callId: string): LiveCall | undefined {
    for (const c of this.#byDialog.values()) if (c.callId === callId) return c;
    return undefined;
  }

  byLeg(legId: string): LiveCall | undefined {
    for (const c of this.#byDialog.values()) if (c.leg.id === legId) return c;
    return undefined;
  }

  roomSize(roomId: string): number {
    return this.#roomSizes.get(roomId) ?? 0;
  }

  add(call: LiveCall): void {
    this.#byDialog.set(call.dialogId, call);
    this.#roomSizes.set(call.room.id, this.roomSize(call.room.id) + 1);
    callsActive.set(this.#byDialog.size);
  }

  /** Removes exactly this call; returns who is left in its room, or null if it was not here. */
  remove(call: LiveCall): number | null {
    if (this.#byDialog.get(call.dialogId) !== call) return null;
    this.#byDialog.delete(call.dialogId);
    const left = this.roomSize(call.room.id) - 1;
    if (left <= 0) this.#roomSizes.delete(call.room.id);
    else this.#roomSizes.set(call.room.id, left);
    callsActive.set(this.#byDialog.size);
    return Math.max(left, 0);
  }
}
