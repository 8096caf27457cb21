/**
 * SignallingBackend: the one port between call logic (src/app) and a SIP stack (DESIGN.md
 * "Signalling: one port, two backends"). Implemented by the embedded engine
 * (src/adapters/sip-net) and by drachtio (src/adapters/drachtio).
 *
 * The gateway is a UAS for calls (it answers INVITEs to rooms); inside a dialog both sides
 * may send requests. Every request that needs an answer from the call logic carries a
 * `requestId`, answered exactly once with `answer` or `reject`; the backend itself handles
 * what needs no decision (100 Trying, CANCEL -> 487, BYE -> 200, out-of-dialog OPTIONS,
 * ACK, retransmissions, malformed input).
 */
import type { EventEmitter } from 'node:events';

export type SignallingTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface SignallingAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** A TLS client certificate that verified against the configured CAs (mTLS identity). */
export interface TlsPeerIdentity {
  readonly subject: Readonly<Record<string, string>>;
  readonly issuer: Readonly<Record<string, string>>;
  /** e.g. "DNS:trunk.example, IP Address:192.0.2.1" */
  readonly subjectAltName: string | undefined;
  /** SHA-256 of the DER certificate, colon-separated hex upper case (as node prints it). */
  readonly fingerprint256: string;
  readonly validTo: string;
}

/** Where a message came from: what identity and admission decisions look at. */
export interface SignallingSource {
  readonly transport: SignallingTransport;
  readonly remote: SignallingAddress;
  readonly local: SignallingAddress;
  readonly tlsPeer: TlsPeerIdentity | undefined;
}

export interface IncomingInvite {
  readonly requestId: string;
  /** The dialog the answer will create (Call-ID + tags); stable for the call's life. */
  readonly dialogId: string;
  readonly callId: string;
  /** Request-URI as received, e.g. "sip:ROOM@gw.example". */
  readonly requestUri: string;
  /** User part of the Request-URI (the room), unescaped; null when there is none. */
  readonly user: string | null;
  readonly from: string;
  readonly to: string;
  readonly source: SignallingSource;
  /** The SDP offer as text when the body is application/sdp; null for an offerless INVITE. */
  readonly sdp: string | null;
}

export type InDialogMethod = 'INVITE' | 'BYE' | 'INFO' | 'OPTIONS' | 'UPDATE';

/** A request from the peer inside an existing dialog that the call logic must answer. */
export interface IncomingDialogRequest {
  readonly requestId: string;
  readonly dialogId: string;
  /** INVITE here is a re-INVITE; BYE never arrives here (see `ended`). */
  readonly method: Exclude<InDialogMethod, 'BYE'>;
  readonly contentType: string | null;
  readonly body: string;
  readonly source: SignallingSource;
}

/**
 * A re-INVITE for a dialog this instance does not hold (RFC 3261 12.2.2 would answer 481).
 * After a takeover, a browser guest whose WebSocket died with its instance reconnects to
 * another one and re-offers with an ICE restart in its old dialog (RFC 7118 has no flow
 * recovery of its own): the call logic may import the stored dialog with `attach` set to this
 * request and answer it. Without a listener the backend answers 481 itself.
 */
export interface IncomingStrayReinvite {
  readonly requestId: string;
  readonly dialogId: string;
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly contentType: string | null;
  readonly body: string;
  readonly source: SignallingSource;
}

export interface ImportOptions {
  /** A pending stray re-INVITE (IncomingStrayReinvite.requestId) that belongs to this dialog:
   * it is checked against the imported dialog (CSeq, tags) and its connection becomes the
   * dialog's flow, so the answer and later requests reach the client where it is now. */
  readonly attach?: string;
}

export interface DialogEnded {
  readonly dialogId: string;
  /** bye: peer sent BYE (already answered 200); local: we sent BYE; timeout: no ACK/session
   * refresh or transaction timeout; transport: the connection died. */
  readonly cause: 'bye' | 'local' | 'timeout' | 'transport';
}

export interface SignallingBackendEvents {
  invite: [IncomingInvite];
  request: [IncomingDialogRequest];
  strayReinvite: [IncomingStrayReinvite];
  /** The peer cancelled a pending INVITE; the backend answered 487 already. */
  cancelled: [{ readonly requestId: string; readonly dialogId: string }];
  /** The answered INVITE was acknowledged: media may start. */
  confirmed: [{ readonly dialogId: string }];
  ended: [DialogEnded];
}

export interface AnswerOptions {
  /** SDP answer (INVITE / re-INVITE / UPDATE); omitted: 200 without a body. */
  readonly sdp?: string;
  /**
   * Initial INVITE only: runs once the dialog exists (exportDialog works) and BEFORE the 200
   * is sent, so the call can be stored first and an instance that dies right after answering
   * never leaves a call no survivor knows of (issue 7). It must not throw.
   */
  readonly beforeSend?: () => Promise<void>;
}

export interface DialogReply {
  readonly status: number;
  readonly reason: string;
  readonly contentType: string | null;
  readonly body: string;
}

/** Dialog state as versioned plain data (DESIGN.md "State and takeover"). */
export interface ExportedDialog {
  readonly version: 1;
  readonly backend: 'embedded' | 'drachtio';
  readonly dialogId: string;
  /** Backend-specific plain data (JSON-safe); only the same backend kind can import it. */
  readonly state: Readonly<Record<string, unknown>>;
}

export interface SignallingBackend extends EventEmitter<SignallingBackendEvents> {
  /** 200 OK to a pending INVITE / re-INVITE / in-dialog request. Resolves when sent. */
  answer(requestId: string, options?: AnswerOptions): Promise<void>;
  /** Final non-2xx (e.g. 480, 488) with a reason phrase, optional Warning text and, for 503,
   * Retry-After seconds (RFC 3261 21.5.4) so upstream proxies fail over. */
  reject(requestId: string, status: number, reason: string, warning?: string, retryAfterSeconds?: number): Promise<void>;
  /** 302 Moved Temporarily with these Contact URIs (RFC 3261 21.3.3): the caller re-sends its
   * INVITE there (e.g. to the instance a room runs on). */
  redirect(requestId: string, contacts: readonly string[]): Promise<void>;
  /** Send a request in a dialog (re-INVITE, BYE, INFO, OPTIONS, UPDATE); resolves with the
   * final response (the ACK for a 2xx re-INVITE is sent by the backend). */
  request(dialogId: string, method: InDialogMethod, body?: { readonly contentType: string; readonly body: string }): Promise<DialogReply>;
  exportDialog(dialogId: string): ExportedDialog;
  /** Forgets a dialog without sending anything (its call continues on another instance, or
   * nowhere): its timers stop (no session refresh, no BYE) and later requests on it get 481. */
  dropDialog(dialogId: string): void;
  /** Asked before the backend sends a request on its own (RFC 4028 session refresh, BYE at
   * session expiry or when an ACK never came): false means send nothing, the dialog may belong
   * to another instance now (fencing, DESIGN.md "State and takeover"). Default: always send. */
  setSendGuard(guard: (dialogId: string) => Promise<boolean>): void;
  importDialog(dialog: ExportedDialog, options?: ImportOptions): Promise<void>;
}
