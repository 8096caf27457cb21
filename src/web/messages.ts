import { SUITES } from '../../crypto-policy/suites.ts';

/**
 * Plain-words messages for the guest page (issue 6 "a guest with a bad or missing WebRTC offer
 * gets a clear error on the page"). DOM-free on purpose: the Node unit tests check every branch
 * and the browser bundle uses the same functions.
 */

/**
 * Warning header texts (RFC 3261 20.43: `warn-code SP warn-agent SP "warn-text"`, several
 * values comma-separated). Returns the quoted texts, unescaped; a header that is not in that
 * form is returned trimmed, so the operator's words are never lost.
 */
export function warningTexts(header: string | undefined): string[] {
  if (header === undefined || header.trim() === '') return [];
  const texts: string[] = [];
  const re = /\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    texts.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
  }
  return texts.length > 0 ? texts : [header.trim()];
}

/** Why the gateway refused the call, from the final response (RFC 3261 21.4-21.6). */
export function rejectionMessage(status: number, reason: string, warnings: readonly string[]): string {
  const texts = warnings;
  const detail = texts.length > 0 ? `: ${texts.join('; ')}` : '';
  const head = `The gateway refused the call (SIP ${status} ${reason})`;
  switch (status) {
    case 403:
      return `${head}: you are not allowed to join this room${detail}.`;
    case 404:
      return `${head}: this room does not exist${detail}.`;
    case 486:
    case 600:
      return `${head}: the room is full or busy${detail}.`;
    case 488:
    case 606:
      return `${head}: your browser's media offer is not acceptable${detail}.`;
    case 400:
      return `${head}: the request or its media offer was malformed${detail}.`;
    case 480:
    case 503:
      return `${head}: the gateway is not available right now, try again later${detail}.`;
    default:
      return `${head}${detail}.`;
  }
}

export function unreachableMessage(wssUrl: string): string {
  return (
    `Cannot reach the gateway at ${wssUrl}: the secure WebSocket connection failed. ` +
    'Check that the gateway is running and that your browser trusts its certificate.'
  );
}

/** getUserMedia failures by DOMException name (Media Capture and Streams, section 9.2). */
export function mediaErrorMessage(name: string, message: string): string {
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'No permission to use the microphone and camera. Allow access in the browser and press Join again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone or camera was found on this device.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone or camera is in use by another program or could not be started.';
    default:
      return `The microphone and camera could not be opened (${name}: ${message}).`;
  }
}

export function badAnswerMessage(detail: string | undefined): string {
  const why = detail === undefined || detail === '' ? '' : ` (${detail})`;
  return `The gateway answered, but its media description could not be used${why}. The call was ended.`;
}

export function badOfferMessage(detail: string): string {
  return `Your browser could not create a media offer (${detail}).`;
}

/** How to read `transport.tlsVersion` from getStats: Chromium reports the DTLS/TLS record
 * version as 4 hex digits (RFC 6347 4.1: DTLS 1.2 is {254, 253}; RFC 9147: DTLS 1.3 = FEFC). */
export function dtlsVersionName(tlsVersion: string | undefined): string | undefined {
  if (tlsVersion === undefined) return undefined;
  switch (tlsVersion.toUpperCase()) {
    case 'FEFF':
      return 'DTLS 1.0';
    case 'FEFD':
      return 'DTLS 1.2';
    case 'FEFC':
      return 'DTLS 1.3';
    default:
      return tlsVersion === '' ? undefined : `version ${tlsVersion}`;
  }
}

/**
 * The policy's name for a `srtpCipher` reported by the browser. Chromium reports BoringSSL's
 * profile names (SRTP_AEAD_AES_256_GCM, SRTP_AES128_CM_SHA1_80); the IANA registry spells
 * profile 1 SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764 4.1.2); Firefox may report the SDES name.
 */
export function policySuiteName(srtpCipher: string): string | undefined {
  const wanted = srtpCipher.toUpperCase();
  for (const s of SUITES) {
    const names = [s.name, s.dtlsProfileName, s.dtlsProfileName?.replace('_HMAC_', '_')];
    if (names.includes(wanted)) return s.name;
  }
  return undefined;
}

/** The subset of an RTCTransportStats entry the suite line needs (W3C webrtc-stats 6.17). */
export interface TransportStatsLike {
  readonly type: string;
  readonly dtlsState?: string;
  readonly srtpCipher?: string;
  readonly dtlsCipher?: string;
  readonly tlsVersion?: string;
}

export interface SuiteReading {
  /** What the page shows, e.g. "Encrypted: AEAD_AES_256_GCM (DTLS 1.2)". */
  readonly line: string;
  /** Policy suite name (crypto-policy/suites.ts), undefined if the browser's name is unknown. */
  readonly suite: string | undefined;
  readonly srtpCipher: string | undefined;
  readonly dtlsCipher: string | undefined;
  readonly dtlsVersion: string | undefined;
  /** True once DTLS-SRTP has finished and a cipher is known. */
  readonly encrypted: boolean;
}

/** Builds the suite line from getStats() entries; waits for the `transport` entry whose
 * DTLS handshake is done. Never claims encryption before a cipher is reported. */
export function suiteFromStats(entries: Iterable<TransportStatsLike>): SuiteReading {
  let pending: TransportStatsLike | undefined;
  for (const s of entries) {
    if (s.type !== 'transport') continue;
    if (s.dtlsState === 'connected' && s.srtpCipher) {
      const version = dtlsVersionName(s.tlsVersion);
      const suffix = version !== undefined ? ` (${version})` : '';
      const suite = policySuiteName(s.srtpCipher);
      return { line: `Encrypted: ${suite ?? s.srtpCipher}${suffix}`, suite, srtpCipher: s.srtpCipher, dtlsCipher: s.dtlsCipher, dtlsVersion: version, encrypted: true };
    }
    pending = s;
  }
  const state = pending?.dtlsState;
  const line =
    state === 'failed'
      ? 'Not encrypted: the secure media handshake (DTLS) failed.'
      : state === 'closed'
        ? 'Not encrypted: the media connection is closed.'
        : 'Encryption: negotiating...';
  return { line, suite: undefined, srtpCipher: undefined, dtlsCipher: undefined, dtlsVersion: undefined, encrypted: false };
}

/** Room ids in `/join/ROOM` and the SIP user part: safe in URLs, HTML and SIP without
 * escaping. Used by the page and by src/adapters/http/join-server.ts. */
export const ROOM_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidRoomId(room: string): boolean {
  // "." and ".." would be rewritten by any URL normaliser on the way: never a room.
  return ROOM_ID.test(room) && !/^\.+$/.test(room);
}
