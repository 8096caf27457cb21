/**
 * Entry of the guest join page `/join/ROOM` (bundled by src/web/build.ts to dist/web/).
 * The server puts the configuration in data attributes of `<main id="join">` (no inline
 * script: the Content-Security-Policy allows scripts from 'self' only):
 *   data-room, data-wss-url, data-wss-fallbacks (space-separated, may be empty), data-sip-domain.
 * The markup is src/web/join.html; element ids used here are defined there.
 */
import { AudioMeter } from './audio-meter.ts';
import { GuestCall } from './guest-call.ts';
import type { GuestCallView } from './guest-call.ts';
import { isValidRoomId } from './messages.ts';
import { VideoTiles } from './video-tiles.ts';
import type { GatehouseTestHook, GuestPhase } from './test-hook.ts';

declare global {
  interface Window {
    __gatehouse: GatehouseTestHook;
  }
}

function el<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`join page markup is missing #${id}`);
  return node;
}

function start(): void {
  const root = el('join', HTMLElement);
  const status = el('status', HTMLElement);
  const errorLine = el('error', HTMLElement);
  const suiteLine = el('suite', HTMLElement);
  const suiteDetail = el('suite-detail', HTMLElement);
  const nameInput = el('display-name', HTMLInputElement);
  const joinButton = el('join-button', HTMLButtonElement);
  const muteButton = el('mute-button', HTMLButtonElement);
  const leaveButton = el('leave-button', HTMLButtonElement);
  const localVideo = el('local-video', HTMLVideoElement);
  const remoteVideo = el('remote-video', HTMLVideoElement);
  const tiles = new VideoTiles(el('videos', HTMLElement), el('remote-figure', HTMLElement), remoteVideo);

  const room = root.dataset['room'] ?? '';
  const wssUrl = root.dataset['wssUrl'] ?? '';
  // other instances to try when the connection drops mid-call (takeover); the server checked them
  const fallbacks = (root.dataset['wssFallbacks'] ?? '').split(/\s+/).filter((u) => u.startsWith('wss://'));
  const sipDomain = root.dataset['sipDomain'] ?? '';
  const meter = new AudioMeter();
  let call: GuestCall | undefined;
  let muted = false;

  const hook: GatehouseTestHook = {
    phase: 'idle',
    error: null,
    rejection: null,
    suite: null,
    offerModifier: null,
    remoteAudioLevel: () => meter.level(call?.remoteStream),
    videoTiles: () => tiles.state(),
    descriptions: () => ({ local: call?.peerConnection?.currentLocalDescription?.sdp ?? '', remote: call?.peerConnection?.currentRemoteDescription?.sdp ?? '' }),
    stats: async () => {
      const pc = call?.peerConnection;
      if (pc === undefined) return [];
      const out: Array<Record<string, unknown>> = [];
      (await pc.getStats()).forEach((s: Record<string, unknown>) => out.push({ ...s }));
      return out;
    },
  };
  window.__gatehouse = hook;

  const setPhase = (phase: GuestPhase, text: string): void => {
    hook.phase = phase;
    root.dataset['phase'] = phase;
    status.textContent = text;
    const active = phase === 'media' || phase === 'connecting' || phase === 'calling' || phase === 'in-call' || phase === 'reconnecting';
    joinButton.disabled = active;
    nameInput.disabled = active;
    leaveButton.disabled = !active;
    muteButton.disabled = phase !== 'in-call';
  };

  const showError = (message: string): void => {
    hook.error = message;
    errorLine.textContent = message;
    errorLine.hidden = false;
  };

  if (!isValidRoomId(room) || !wssUrl.startsWith('wss://') || sipDomain === '') {
    setPhase('error', 'This join link is broken.');
    showError('The page is missing its room or gateway address. Ask the organiser for a new link.');
    joinButton.disabled = true;
    return;
  }

  const view: GuestCallView = {
    phase: setPhase,
    error: (message, rejection) => {
      hook.rejection = rejection ?? null;
      setPhase('error', 'Not in the room.');
      showError(message);
      meter.close();
    },
    media: (local, remote) => {
      localVideo.srcObject = local;
      remoteVideo.srcObject = remote;
      void remoteVideo.play().catch(() => undefined);
    },
    remoteVideo: (track, slot) => tiles.add(track, slot),
    videoFrames: (frames) => tiles.frames(frames),
    suite: (reading) => {
      const { line, suite, srtpCipher, dtlsCipher, dtlsVersion } = reading;
      hook.suite = reading.encrypted ? { line, suite, srtpCipher, dtlsCipher, dtlsVersion } : null;
      suiteLine.textContent = reading.line;
      suiteLine.dataset['encrypted'] = String(reading.encrypted);
      suiteDetail.textContent = reading.dtlsCipher ? `Key exchange: ${reading.dtlsCipher}` : '';
    },
  };

  joinButton.addEventListener('click', () => {
    hook.error = null;
    hook.rejection = null;
    hook.suite = null;
    errorLine.hidden = true;
    errorLine.textContent = '';
    muted = false;
    muteButton.textContent = 'Mute';
    muteButton.setAttribute('aria-pressed', 'false');
    suiteLine.textContent = 'Not connected.';
    suiteDetail.textContent = '';
    tiles.clear();
    const displayName = nameInput.value.trim().slice(0, 64) || 'Guest';
    call = new GuestCall({ wssUrls: [wssUrl, ...fallbacks], room, sipDomain, displayName }, view, () => hook.offerModifier);
    void call.join();
  });

  muteButton.addEventListener('click', () => {
    muted = !muted;
    call?.setMuted(muted);
    muteButton.textContent = muted ? 'Unmute' : 'Mute';
    muteButton.setAttribute('aria-pressed', String(muted));
    status.textContent = muted ? `In room ${room}. Your microphone is muted.` : `In room ${room}.`;
  });

  leaveButton.addEventListener('click', () => {
    leaveButton.disabled = true;
    void call?.leave().finally(() => {
      localVideo.srcObject = null;
      remoteVideo.srcObject = null;
      tiles.clear();
      meter.close();
    });
  });

  // Leaving the page ends the call cleanly rather than leaving the gateway to time it out.
  window.addEventListener('pagehide', () => void call?.leave());
}

start();
