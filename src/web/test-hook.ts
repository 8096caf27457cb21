/**
 * `window.__gatehouse`: what the join page exposes for automated tests (Playwright) and for
 * an operator debugging in the browser console. It is read-mostly and holds nothing secret
 * (no SDP keys, no tokens): state, the suite reading and a remote-audio level meter.
 *
 * DOM-free on purpose so that Node-side test helpers (test/helpers/chromium.ts) can import the
 * type without the DOM lib.
 *
 * Contract (tests rely on it; change both sides together):
 * - `phase`: 'idle' | 'media' | 'connecting' | 'calling' | 'in-call' | 'ended' | 'error'.
 * - `error`: the plain-words error shown on the page, or null.
 * - `rejection`: SIP status, reason and Warning texts when the gateway refused the call.
 * - `suite`: the latest suite reading (null before the call is up).
 * - `remoteAudioLevel()`: RMS (0..1) of the remote audio over the last ~0.68 s (Web Audio
 *   AnalyserNode, 32768 samples); 0 when there is no remote audio track. Poll it.
 * - `stats()`: the RTCPeerConnection's getStats() entries as plain objects ([] before a call),
 *   e.g. to check `inbound-rtp` packetsReceived or the negotiated codec.
 * - `videoTiles()`: the remote video tiles (slot 0: the camera m-line's track, 1..K: the
 *   video slots, src/web/video-slots.ts), each with its track id (getStats trackIdentifier)
 *   and whether it is shown (decoding frames).
 * - `offerModifier`: tests may set a function (sdp text -> sdp text) before pressing Join to
 *   send a deliberately bad offer; it is applied to the local offer only.
 */

export type GuestPhase = 'idle' | 'media' | 'connecting' | 'calling' | 'in-call' | 'reconnecting' | 'ended' | 'error';

export interface GuestRejection {
  readonly status: number;
  readonly reason: string;
  readonly warnings: readonly string[];
}

export interface GuestSuite {
  readonly line: string;
  /** Suite name as the crypto policy spells it, e.g. AEAD_AES_256_GCM. */
  readonly suite: string | undefined;
  /** Raw `srtpCipher` from getStats, e.g. SRTP_AEAD_AES_256_GCM in Chromium. */
  readonly srtpCipher: string | undefined;
  readonly dtlsCipher: string | undefined;
  readonly dtlsVersion: string | undefined;
}

export interface VideoTileState {
  readonly slot: number;
  readonly label: string;
  readonly trackId: string | null;
  readonly receiving: boolean;
}

export interface GatehouseTestHook {
  phase: GuestPhase;
  error: string | null;
  rejection: GuestRejection | null;
  suite: GuestSuite | null;
  remoteAudioLevel(): number;
  stats(): Promise<Array<Record<string, unknown>>>;
  /** The current local and remote SDP of the peer connection (empty strings before a call). */
  descriptions(): { readonly local: string; readonly remote: string };
  videoTiles(): VideoTileState[];
  offerModifier: ((sdp: string) => string) | null;
}

/** How a Node-side helper reaches the hook inside `page.evaluate` without DOM types. */
export interface GatehouseGlobal {
  __gatehouse?: GatehouseTestHook;
}
