/**
 * SignallingBackend (src/ports/signalling-backend.ts) on the embedded engine: the UAS core
 * and dialog usage (RFC 3261 sections 12-15, RFC 4028) above the transaction layer.
 *
 * In-dialog requests we send go over the dialog's flow first: the connection (stream) or
 * source address (UDP) the dialog-creating INVITE came from, as RFC 5626 flows and RFC 7118
 * section 5 require for peers behind NAT and for WebSocket clients. Without a flow (an
 * imported dialog) they go to the first Route, else the remote target (RFC 3261 12.2.1.1).
 */
import { EventEmitter } from 'node:events';
import type { DialogState, SipHeader, SipRequest, SipResponse } from '../../core/sip/index.ts';
import {
  acceptInDialogRequest, answerOptions, applyResponse, buildInDialogRequest, checkIncomingReinvite, createResponse, dialogFromUas,
  dialogKey, exportDialog, getCallId, getContentType, getFrom, importDialog, incomingRequestDialogKey, incomingResponseDialogKey,
  isSipUri, negotiateSessionTimerUas, newBranch, randomToken, withLocalContact,
} from '../../core/sip/index.ts';
import { formatUri } from '../../core/sip/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { sipInviteLatency } from '../../metrics/sip.ts';
import type { Logger } from '../../ports/logger.ts';
import type {
  AnswerOptions, DialogReply, ExportedDialog, ImportOptions, InDialogMethod, SignallingBackend, SignallingBackendEvents,
} from '../../ports/signalling-backend.ts';
import { allowsUpdate, formatNameAddrSafe, parseTag, toSource, warningValue } from './backend-values.ts';
import { SessionTimer, Uas2xxDriver } from './dialog-timers.ts';
import { localContactUri, routeFor, viaFor } from './dialog-routing.ts';
import type { ServerRequest, SipEngine, TransactionUser } from './sip-engine.ts';
import type { OutboundRoute } from './transport-set.ts';
import type { TransportName } from './types.ts';

interface Pending {
  readonly ctx: ServerRequest;
  readonly dialogId: string;
  readonly initial: boolean;
  readonly receivedAt: number;
}

interface DialogEntry {
  state: DialogState;
  flow: OutboundRoute | undefined;
  uas2xx: Uas2xxDriver | undefined;
  lastAck: SipRequest | undefined;
  outgoingInvite: boolean;
  incomingInvite: boolean;
  confirmed: boolean;
  readonly sessionTimer: SessionTimer;
  /** The peer listed UPDATE in Allow (RFC 3311): session refreshes need no offer/answer then. */
  peerAllowsUpdate: boolean;
  lastSdp: string | undefined;
}

const SDP = 'application/sdp';
const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

export class EmbeddedSignallingBackend extends EventEmitter<SignallingBackendEvents> implements SignallingBackend, TransactionUser {
  private readonly engine: SipEngine;
  private readonly pending = new Map<string, Pending>();
  private readonly dialogs = new Map<string, DialogEntry>();
  private readonly logger: Logger | undefined;
  private sendGuard: (dialogId: string) => Promise<boolean> = () => Promise.resolve(true);

  constructor(engine: SipEngine, logger?: Logger) {
    super();
    this.engine = engine;
    this.logger = logger;
    engine.setUser(this);
  }

  get dialogCount(): number {
    return this.dialogs.size;
  }

  // ---- SignallingBackend -------------------------------------------------------------------

  async answer(requestId: string, options: AnswerOptions = {}): Promise<void> {
    const p = this.takePending(requestId);
    const req = p.ctx.request;
    const headers: SipHeader[] = [{ name: 'Contact', value: `<${localContactUri(this.engine.transports, p.ctx.route.transport, p.ctx.source.local.address)}>` }];
    const isSession = req.method === 'INVITE' || req.method === 'UPDATE';
    let timer: { interval: number; weRefresh: boolean } | undefined;
    if (isSession) {
      headers.push({ name: 'Allow', value: this.engine.uas.allowedMethods.join(', ') }, { name: 'Supported', value: this.engine.uas.supportedExtensions.join(', ') });
      const cfg = this.engine.uas.sessionTimer;
      const st = cfg === undefined ? undefined : negotiateSessionTimerUas(req, cfg);
      if (st?.kind === 'accept') {
        headers.push(...st.headers);
        timer = { interval: st.interval, weRefresh: st.weRefresh };
      }
    }
    const body = options.sdp === undefined ? undefined : Buffer.from(options.sdp, 'utf8');
    if (body !== undefined) headers.push({ name: 'Content-Type', value: SDP });
    const res = createResponse(req, 200, undefined, headers, { toTag: p.ctx.toTag, ...(body ? { body } : {}) });
    let entry = this.dialogs.get(p.dialogId);
    if (p.initial) {
      const state = dialogFromUas(req, res, { localContact: localContactUri(this.engine.transports, p.ctx.route.transport, p.ctx.source.local.address), transport: p.ctx.route.transport });
      entry = {
        state, flow: p.ctx.route, uas2xx: undefined, lastAck: undefined, outgoingInvite: false, incomingInvite: true, confirmed: false,
        sessionTimer: this.sessionTimerFor(p.dialogId), peerAllowsUpdate: allowsUpdate(req), lastSdp: undefined,
      };
      this.dialogs.set(p.dialogId, entry);
      sipInviteLatency.observe((this.engine.now() - p.receivedAt) / 1000);
    }
    if (entry !== undefined && options.sdp !== undefined) entry.lastSdp = options.sdp;
    // the timer runs before the call is stored, so the stored dialog carries it (takeover)
    if (entry !== undefined && timer !== undefined) entry.sessionTimer.start(timer.interval, timer.weRefresh);
    if (p.initial && options.beforeSend !== undefined) await options.beforeSend();
    if (!this.engine.respond(requestId, res)) {
      if (p.initial) this.forget(p.dialogId); // cancelled meanwhile: the dialog never existed
      throw new GatehouseError('state', 'SIP_REQUEST_GONE', 'the request was cancelled or timed out');
    }
    if (entry !== undefined && req.method === 'INVITE') {
      const e = entry;
      e.uas2xx?.stop();
      e.uas2xx = new Uas2xxDriver(res, p.ctx.route.transport !== 'udp', this.engine.runner.timersConfig, { now: () => this.engine.now() }, {
        send: (r) => void this.engine.send(r, p.ctx.route).catch(() => undefined),
        ackTimeout: () => void this.hangUp(p.dialogId, 'timeout'),
      });
    }
  }

  async reject(requestId: string, status: number, reason: string, warning?: string, retryAfterSeconds?: number): Promise<void> {
    if (status < 300 || status > 699) throw new GatehouseError('internal', 'SIP_BAD_REJECT_STATUS', `reject needs a 3xx-6xx status, got ${String(status)}`);
    const p = this.takePending(requestId);
    const extra: SipHeader[] = warning === undefined ? [] : [{ name: 'Warning', value: warningValue(warning) }];
    if (retryAfterSeconds !== undefined) extra.push({ name: 'Retry-After', value: String(Math.max(0, Math.round(retryAfterSeconds))) });
    const entry = this.dialogs.get(p.dialogId);
    if (entry !== undefined && p.ctx.request.method === 'INVITE') entry.incomingInvite = false;
    if (!this.engine.respond(requestId, createResponse(p.ctx.request, status, reason, extra, { toTag: p.ctx.toTag }))) {
      throw new GatehouseError('state', 'SIP_REQUEST_GONE', 'the request was cancelled or timed out');
    }
  }

  async redirect(requestId: string, contacts: readonly string[]): Promise<void> {
    const p = this.takePending(requestId);
    const headers: SipHeader[] = contacts.map((c) => ({ name: 'Contact', value: `<${c}>` }));
    if (!this.engine.respond(requestId, createResponse(p.ctx.request, 302, 'Moved Temporarily', headers, { toTag: p.ctx.toTag }))) {
      throw new GatehouseError('state', 'SIP_REQUEST_GONE', 'the request was cancelled or timed out');
    }
  }

  async request(dialogId: string, method: InDialogMethod, body?: { readonly contentType: string; readonly body: string }): Promise<DialogReply> {
    const entry = this.dialogs.get(dialogId);
    if (entry === undefined) throw new GatehouseError('state', 'SIP_NO_DIALOG', `no dialog ${dialogId}`, { sipStatus: 481 });
    if (method === 'INVITE' && (entry.outgoingInvite || entry.incomingInvite)) {
      throw new GatehouseError('protocol', 'SIP_GLARE', 'an INVITE is already pending on this dialog (RFC 3261 14.1)', { sipStatus: 491 });
    }
    const route = await routeFor(entry.flow, entry.state);
    const via = viaFor(this.engine.transports, route);
    const extraHeaders = method === 'INVITE' || method === 'UPDATE' ? this.sessionHeaders(entry) : [];
    const opts = {
      via, branch: newBranch(randomToken()), extraHeaders,
      ...(body ? { body: Buffer.from(body.body, 'utf8'), contentType: body.contentType } : {}),
    };
    const built = buildInDialogRequest(entry.state, method, opts);
    entry.state = built.dialog;
    if (method === 'INVITE') entry.outgoingInvite = true;
    if (method === 'BYE') this.forget(dialogId);
    let res: SipResponse;
    try {
      res = await this.engine.request(built.request, route);
    } catch (err) {
      if (method !== 'BYE' && this.forget(dialogId)) this.emit('ended', { dialogId, cause: 'timeout' });
      throw err;
    } finally {
      entry.outgoingInvite = false;
    }
    if (method === 'BYE') this.emit('ended', { dialogId, cause: 'local' });
    else if (res.status === 481 || res.status === 408) {
      // RFC 3261 12.2.1.2: the dialog is gone at the peer.
      if (this.forget(dialogId)) this.emit('ended', { dialogId, cause: 'timeout' });
    } else {
      entry.state = applyResponse(entry.state, res);
      if ((method === 'INVITE' || method === 'UPDATE') && res.status >= 200 && res.status < 300) entry.sessionTimer.refreshed(res);
      if (method === 'INVITE' && res.status >= 200 && res.status < 300) {
        const ack = buildInDialogRequest(entry.state, 'ACK', { via, branch: newBranch(randomToken()) }).request;
        entry.lastAck = ack;
        await this.engine.send(ack, route).catch(() => undefined);
      }
    }
    const ct = getContentType(res);
    return { status: res.status, reason: res.reason, contentType: ct === null ? null : `${ct.type}/${ct.subtype}`, body: text(res.body) };
  }

  setSendGuard(guard: (dialogId: string) => Promise<boolean>): void {
    this.sendGuard = guard;
  }

  dropDialog(dialogId: string): void {
    this.forget(dialogId);
  }

  exportDialog(dialogId: string): ExportedDialog {
    const entry = this.dialogs.get(dialogId);
    if (entry === undefined) throw new GatehouseError('state', 'SIP_NO_DIALOG', `no dialog ${dialogId}`);
    const flow = entry.flow?.remote === undefined ? null : { transport: entry.flow.transport, address: entry.flow.remote.address, port: entry.flow.remote.port };
    return {
      version: 1, backend: 'embedded', dialogId,
      state: { dialog: exportDialog(entry.state), flow, lastSdp: entry.lastSdp ?? null, sessionTimer: entry.sessionTimer.snapshot() },
    };
  }

  async importDialog(dialog: ExportedDialog, options: ImportOptions = {}): Promise<void> {
    if (dialog.backend !== 'embedded') throw new GatehouseError('state', 'DIALOG_SNAPSHOT_INVALID', `cannot import a ${dialog.backend} dialog`);
    const imported = importDialog(dialog.state['dialog']);
    const transport = imported.transport.toLowerCase() as TransportName;
    if (this.engine.transports.listener(transport) === undefined) throw new GatehouseError('config', 'SIP_NO_LISTENER', `no ${transport} listener for imported dialog`);
    // Takeover: our Contact replaces the dead instance's (sent in the next target refresh).
    let state = withLocalContact(imported, localContactUri(this.engine.transports, transport));
    const flowData = dialog.state['flow'] as { transport?: string; address?: string; port?: number } | null | undefined;
    let flow: OutboundRoute | undefined =
      flowData?.address !== undefined && flowData.port !== undefined && transport === 'udp' ? { transport, remote: { address: flowData.address, port: flowData.port } } : undefined;
    let attached = false;
    if (options.attach !== undefined) {
      const p = this.pending.get(options.attach);
      if (p === undefined || p.dialogId !== dialogKey(state)) {
        throw new GatehouseError('state', 'SIP_NO_SUCH_REQUEST', `no pending re-INVITE ${options.attach} for dialog ${dialogKey(state)}`);
      }
      // the same checks as for a dialog we always held (CSeq order, RFC 3261 12.2.2)
      const verdict = acceptInDialogRequest(state, p.ctx.request);
      if (!verdict.ok) throw new GatehouseError('protocol', 'SIP_STRAY_REJECTED', verdict.reason, { sipStatus: verdict.status });
      state = verdict.dialog;
      flow = p.ctx.route; // RFC 7118 5: requests to a WebSocket client go over its connection
      attached = true;
    }
    const lastSdp = dialog.state['lastSdp'];
    const entry: DialogEntry = {
      state, flow, uas2xx: undefined, lastAck: undefined, outgoingInvite: false, incomingInvite: attached, confirmed: true,
      sessionTimer: this.sessionTimerFor(dialogKey(state)), peerAllowsUpdate: false, lastSdp: typeof lastSdp === 'string' ? lastSdp : undefined,
    };
    this.dialogs.get(dialogKey(state))?.sessionTimer.stop(); // re-import (a second takeover attempt)
    this.dialogs.set(dialogKey(state), entry);
    // RFC 4028: a session timer negotiated with the previous owner keeps running here; the
    // next INVITE/UPDATE we send carries its Session-Expires, and we refresh if we did before
    const st = dialog.state['sessionTimer'] as { interval?: unknown; weRefresh?: unknown } | null | undefined;
    if (typeof st?.interval === 'number' && st.interval > 0 && typeof st.weRefresh === 'boolean') entry.sessionTimer.start(st.interval, st.weRefresh);
  }

  /** Ends every timer (engine shutdown). */
  close(): void {
    for (const id of [...this.dialogs.keys()]) this.forget(id);
  }

  // ---- TransactionUser ------------------------------------------------------------------------

  onRequest(ctx: ServerRequest): void {
    const req = ctx.request;
    const dialogKeyIn = incomingRequestDialogKey(req);
    if (dialogKeyIn === null) {
      if (req.method === 'OPTIONS') this.engine.respond(ctx.txKey, answerOptions(req, this.engine.uas, ctx.toTag));
      else if (req.method === 'INVITE') this.newCall(ctx);
      else this.engine.respond(ctx.txKey, createResponse(req, 481, 'Call/Transaction Does Not Exist', [], { toTag: ctx.toTag }));
      return;
    }
    const entry = this.dialogs.get(dialogKeyIn);
    if (entry === undefined) {
      if (req.method === 'INVITE' && this.listenerCount('strayReinvite') > 0) {
        // maybe a call another instance ran (takeover): the call logic decides, 481 or 200
        this.pending.set(ctx.txKey, { ctx, dialogId: dialogKeyIn, initial: false, receivedAt: this.engine.now() });
        const ct = getContentType(req);
        this.emit('strayReinvite', {
          requestId: ctx.txKey, dialogId: dialogKeyIn, callId: getCallId(req), from: formatNameAddrSafe(req, 'From'), to: formatNameAddrSafe(req, 'To'),
          contentType: ct === null ? null : `${ct.type}/${ct.subtype}`, body: text(req.body), source: toSource(ctx.source),
        });
        return;
      }
      this.engine.respond(ctx.txKey, createResponse(req, 481));
      return;
    }
    const verdict = acceptInDialogRequest(entry.state, req);
    if (!verdict.ok) {
      this.engine.respond(ctx.txKey, createResponse(req, verdict.status, verdict.reason));
      return;
    }
    entry.state = verdict.dialog;
    if (entry.flow !== undefined && ctx.route.connectionId !== undefined) entry.flow = ctx.route; // peer reconnected
    switch (req.method) {
      case 'BYE':
        this.engine.respond(ctx.txKey, createResponse(req, 200));
        if (this.forget(dialogKeyIn)) this.emit('ended', { dialogId: dialogKeyIn, cause: 'bye' });
        return;
      case 'OPTIONS':
        this.engine.respond(ctx.txKey, answerOptions(req, this.engine.uas));
        return;
      case 'INVITE': {
        const g = checkIncomingReinvite({ outgoingInvitePending: entry.outgoingInvite, incomingInvitePending: entry.incomingInvite }, Math.random());
        if (g.kind === 'reject') {
          const extra: SipHeader[] = g.status === 500 ? [{ name: 'Retry-After', value: String(g.retryAfter) }] : [];
          this.engine.respond(ctx.txKey, createResponse(req, g.status, g.reason, extra));
          return;
        }
        entry.incomingInvite = true;
        break;
      }
      default:
        break;
    }
    this.pending.set(ctx.txKey, { ctx, dialogId: dialogKeyIn, initial: false, receivedAt: this.engine.now() });
    const ct = getContentType(req);
    this.emit('request', {
      requestId: ctx.txKey, dialogId: dialogKeyIn, method: req.method as 'INVITE' | 'INFO' | 'UPDATE',
      contentType: ct === null ? null : `${ct.type}/${ct.subtype}`, body: text(req.body), source: toSource(ctx.source),
    });
  }

  onAck(ack: SipRequest): void {
    const id = incomingRequestDialogKey(ack);
    const entry = id === null ? undefined : this.dialogs.get(id);
    if (id === null || entry === undefined || entry.uas2xx?.waiting !== true) return;
    entry.uas2xx.ack();
    entry.incomingInvite = false;
    if (!entry.confirmed) {
      entry.confirmed = true;
      this.emit('confirmed', { dialogId: id });
    }
  }

  onCancelled(inviteTxKey: string): void {
    const p = this.pending.get(inviteTxKey);
    if (p === undefined) return;
    this.pending.delete(inviteTxKey);
    this.emit('cancelled', { requestId: inviteTxKey, dialogId: p.dialogId });
  }

  onStray2xx(res: SipResponse): void {
    const id = incomingResponseDialogKey(res);
    const entry = id === null ? undefined : this.dialogs.get(id);
    if (entry?.lastAck !== undefined && entry.flow !== undefined) void this.engine.send(entry.lastAck, entry.flow).catch(() => undefined);
  }

  // ---- internals --------------------------------------------------------------------------------

  private newCall(ctx: ServerRequest): void {
    const req = ctx.request;
    const dialogId = dialogKey({ callId: getCallId(req), localTag: ctx.toTag, remoteTag: parseTag(getFrom(req).params) });
    this.pending.set(ctx.txKey, { ctx, dialogId, initial: true, receivedAt: this.engine.now() });
    if (this.listenerCount('invite') === 0) {
      void this.reject(ctx.txKey, 480, 'Temporarily Unavailable - no call handler');
      return;
    }
    const ct = getContentType(req);
    const sdp = ct !== null && `${ct.type}/${ct.subtype}` === SDP ? text(req.body) : null;
    this.emit('invite', {
      requestId: ctx.txKey, dialogId, callId: getCallId(req), requestUri: formatUri(req.uri),
      user: isSipUri(req.uri) ? req.uri.user : null, from: formatNameAddrSafe(req, 'From'), to: formatNameAddrSafe(req, 'To'),
      source: toSource(ctx.source), sdp,
    });
  }

  private takePending(requestId: string): Pending {
    const p = this.pending.get(requestId);
    if (p === undefined) throw new GatehouseError('state', 'SIP_NO_SUCH_REQUEST', `no pending request ${requestId} (answered, cancelled or timed out)`);
    this.pending.delete(requestId);
    return p;
  }

  private forget(dialogId: string): boolean {
    const e = this.dialogs.get(dialogId);
    if (e === undefined) return false;
    e.uas2xx?.stop();
    e.sessionTimer.stop();
    this.dialogs.delete(dialogId);
    return true;
  }

  private async hangUp(dialogId: string, cause: 'timeout'): Promise<void> {
    if (!this.dialogs.has(dialogId)) return;
    if (!(await this.mayAct(dialogId))) return;
    this.emit('ended', { dialogId, cause });
    await this.request(dialogId, 'BYE').catch(() => undefined);
  }

  /** The call layer's fencing verdict before we send on our own; an error counts as "no". */
  private async mayAct(dialogId: string): Promise<boolean> {
    const ok = await this.sendGuard(dialogId).catch(() => false);
    if (!ok) this.logger?.info({ dialogId }, 'not sending on a dialog this instance may no longer own');
    return ok;
  }

  /** RFC 4028 session timer of a dialog: refreshes and BYE go through this backend. */
  private sessionTimerFor(dialogId: string): SessionTimer {
    return new SessionTimer({
      clock: { now: () => this.engine.now() },
      refresh: () => this.refreshSession(dialogId),
      expire: (interval, weRefresh) => this.sessionExpired(dialogId, interval, weRefresh),
    });
  }

  /**
   * A session refresh (RFC 4028 10 allows either method): an offerless UPDATE when the peer
   * allows UPDATE (RFC 3311: no offer/answer, so no answer with new keys we would have to
   * apply), else a re-INVITE re-offering our last SDP unchanged (RFC 3264 8: same o= version).
   */
  private async refreshSession(dialogId: string): Promise<number> {
    const entry = this.dialogs.get(dialogId);
    if (entry === undefined) return 481;
    if (!(await this.mayAct(dialogId))) return 503; // not ours to refresh now: counts as a failed refresh
    // without an SDP of ours to re-offer (never the case for answered calls) UPDATE is the only option
    const body = entry.peerAllowsUpdate || entry.lastSdp === undefined ? undefined : { contentType: SDP, body: entry.lastSdp };
    return (await this.request(dialogId, body === undefined ? 'UPDATE' : 'INVITE', body)).status;
  }

  private sessionExpired(dialogId: string, interval: number, weRefresh: boolean): void {
    const entry = this.dialogs.get(dialogId);
    if (entry === undefined) return;
    this.logger?.info(
      { callId: entry.state.callId, dialogId, intervalS: interval, refresher: weRefresh ? 'gateway' : 'peer', cause: 'session-expired' },
      'SIP session expired without refresh (RFC 4028 10); sending BYE',
    );
    void this.hangUp(dialogId, 'timeout');
  }

  /** Supported (RFC 4028 7.1: `timer` on every request) and the running Session-Expires, on INVITE/UPDATE we send. */
  private sessionHeaders(entry: DialogEntry): SipHeader[] {
    const supported = this.engine.uas.supportedExtensions;
    return [...(supported.length > 0 ? [{ name: 'Supported', value: supported.join(', ') }] : []), ...entry.sessionTimer.headers()];
  }
}
