/**
 * The embedded SIP engine's transaction layer: transports in, the core's parser, UAS checks
 * (RFC 3261 8.2) and transaction machines (17) driven by TransactionRunner, and a
 * transaction user (the SignallingBackend implementation) on top.
 *
 * Inbound pipeline per message: rate limit (requests only; 503 + Retry-After, then silent
 * drop) -> parse (400 with the reason, or drop when unroutable) -> stamp Via received/rport
 * (RFC 3581) -> ACK / retransmission / CANCEL matching (17.2.3, 9.2) -> UAS validation
 * (405/416/482/420/415/406/422/483) -> new server transaction -> transaction user.
 */
import { performance } from 'node:perf_hooks';
import type { SipLimits, SipMessage, SipParseError, SipRequest, SipResponse, UasConfig } from '../../core/sip/index.ts';
import {
  DEFAULT_SIP_LIMITS,
  DEFAULT_UAS_CONFIG,
  SipParseError as ParseErrorClass,
  answerCancel,
  cancelTargetKey,
  clientTransactionKey,
  createErrorResponse,
  createResponse,
  formatVia,
  getTopVia,
  mergeKey,
  parseMessage,
  randomToken,
  responseDestination,
  serializeMessage,
  serverTransactionKey,
  stampVia,
  toTag,
  validateRequest,
} from '../../core/sip/index.ts';
import type { TimerConfig } from '../../core/sip/transaction/index.ts';
import { DEFAULT_TIMERS } from '../../core/sip/transaction/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import { sipBadRequests, sipMessagesDropped, sipMessagesReceived, sipRateLimited, sipResponsesSent, sipUdpSizeUpgrades } from '../../metrics/sip.ts';
import type { SipNetLimits } from './limits.ts';
import { SourceRateLimiter } from './rate-limiter.ts';
import { chooseRequestTransport } from './routing.ts';
import { TransactionRunner } from './transaction-runner.ts';
import { TransportSet } from './transport-set.ts';
import type { OutboundRoute, TransportSetConfig } from './transport-set.ts';
import type { InboundMessage, TransportEvents } from './types.ts';

export type InboundSource = Omit<InboundMessage, 'data'>;

/** A new request handed to the transaction user; `txKey` answers it via `respond`. */
export interface ServerRequest {
  readonly txKey: string;
  /** Top Via stamped with received/rport. */
  readonly request: SipRequest;
  readonly source: InboundSource;
  /** Where its responses go (the request's connection on stream transports). */
  readonly route: OutboundRoute;
  /** To tag to use in responses that create a dialog (generated per INVITE). */
  readonly toTag: string;
}

export interface TransactionUser {
  onRequest(req: ServerRequest): void;
  /** An ACK that matched no transaction: the ACK for a 2xx (RFC 3261 13.3.1.4). */
  onAck(ack: SipRequest, source: InboundSource): void;
  /** A pending INVITE was cancelled; 200 (CANCEL) and 487 (INVITE) are sent already. */
  onCancelled(inviteTxKey: string): void;
  /** A 2xx to an INVITE we sent, arriving after the first (retransmission): re-send the ACK. */
  onStray2xx(res: SipResponse): void;
}

export interface SipEngineConfig extends Omit<TransportSetConfig, 'limits'> {
  readonly limits: SipNetLimits;
  readonly timers?: TimerConfig;
  readonly uas?: UasConfig;
  /** Parser limits; maxMessageBytes follows limits.maxMessageSize. */
  readonly parser?: Partial<Omit<SipLimits, 'maxMessageBytes'>>;
}

const MONOTONIC: Clock = { now: () => performance.now() };
const PRUNE_EVERY_MS = 1000;
const MERGE_WINDOW_MS = 32_000; // 64*T1: a transaction's life (8.2.2.2)

export class SipEngine {
  readonly transports: TransportSet;
  readonly runner: TransactionRunner;
  readonly uas: UasConfig;
  private readonly config: SipEngineConfig;
  private readonly clock: Clock;
  private readonly limiter: SourceRateLimiter | null;
  private readonly parserLimits: SipLimits;
  /** 8.2.2.2 merge table (mutable: the core's copy-on-write helpers are O(n) per request). */
  private readonly recent = new Map<string, { txKey: string; at: number }>();
  private readonly inviteTags = new Map<string, string>();
  private readonly pruner: NodeJS.Timeout;
  private user: TransactionUser | undefined;

  private constructor(config: SipEngineConfig, transports: TransportSet, clock: Clock) {
    this.config = config;
    this.transports = transports;
    this.clock = clock;
    this.uas = config.uas ?? DEFAULT_UAS_CONFIG;
    this.limiter = config.limits.rateLimit === null ? null : new SourceRateLimiter(config.limits.rateLimit);
    this.parserLimits = { ...DEFAULT_SIP_LIMITS, ...(config.parser ?? {}), maxMessageBytes: config.limits.maxMessageSize };
    this.runner = new TransactionRunner({ clock, timers: config.timers ?? DEFAULT_TIMERS, send: (m, r) => this.send(m, r) });
    transports.on('message', (m) => this.onMessage(m));
    transports.on('frameError', (e) => this.onFrameError(e));
    this.pruner = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  static async start(config: SipEngineConfig, clock: Clock = MONOTONIC): Promise<SipEngine> {
    return new SipEngine(config, await TransportSet.start(config), clock);
  }

  setUser(user: TransactionUser): void {
    this.user = user;
  }

  now(): number {
    return this.clock.now();
  }

  /** Answer a server transaction. False when it no longer exists (e.g. cancelled). */
  respond(txKey: string, response: SipResponse): boolean {
    if (response.status >= 200) sipResponsesSent.inc({ class: `${String(Math.floor(response.status / 100))}xx` });
    return this.runner.respond(txKey, response);
  }

  /**
   * Send a request through a client transaction; resolves with the final response (a 2xx to an
   * INVITE is acknowledged by the caller). RFC 3261 18.1.1 size rule applied here.
   */
  request(req: SipRequest, wanted: OutboundRoute): Promise<SipResponse> {
    let request = req;
    let route = wanted;
    const size = serializeMessage(req).length;
    const choice = chooseRequestTransport(wanted.transport, size, this.transports.available, this.config.limits.mtu);
    if (choice.upgraded) {
      sipUdpSizeUpgrades.inc();
      const top = getTopVia(req);
      const via = { name: 'Via', value: formatVia({ ...top, transport: 'TCP' }) };
      let replaced = false;
      request = { ...req, headers: req.headers.map((h) => (!replaced && h.name === 'Via' && (replaced = true) ? via : h)) };
      route = { ...wanted, transport: 'tcp', connectionId: undefined };
    }
    const key = clientTransactionKey(request);
    return new Promise((resolve, reject) => {
      let done = false;
      this.runner.startClient(key, request, route, route.transport !== 'udp', {
        tu: (msg) => {
          if (msg.kind !== 'response' || msg.status < 200) return;
          if (!done) {
            done = true;
            resolve(msg);
          } else this.user?.onStray2xx(msg);
        },
        failed: (reason) => {
          if (done) return;
          done = true;
          reject(new GatehouseError('protocol', reason === 'timeout' ? 'SIP_REQUEST_TIMEOUT' : 'SIP_TRANSPORT_ERROR', `${req.method} failed: ${reason}`, { sipStatus: 408 }));
        },
      });
    });
  }

  /** Transaction-less send: ACK for a 2xx (13.2.2.4), stateless error responses. */
  async send(message: SipMessage, route: OutboundRoute): Promise<void> {
    await this.transports.send(serializeMessage(message), route);
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    this.runner.clear();
    await this.transports.close();
  }

  private onMessage(m: InboundMessage): void {
    const isResponse = m.data.length >= 4 && m.data.toString('latin1', 0, 4) === 'SIP/';
    if (!isResponse && this.limiter !== null) {
      const v = this.limiter.check(m.remote.address, this.clock.now());
      if (v.action === 'drop') {
        sipRateLimited.inc({ action: 'drop' });
        return;
      }
      if (v.action === 'reject') {
        sipRateLimited.inc({ action: 'reject' });
        this.rejectOverRate(m, v.retryAfterSeconds);
        return;
      }
    }
    let msg: SipMessage;
    try {
      msg = parseMessage(m.data, this.parserLimits, m.transport === 'tcp' || m.transport === 'tls' ? 'stream' : 'datagram');
    } catch (err) {
      this.onParseError(err, m);
      return;
    }
    sipMessagesReceived.inc({ transport: m.transport, kind: msg.kind });
    if (msg.kind === 'response') {
      if (!this.runner.receive(clientTransactionKey(msg), msg)) this.strayResponse(msg);
    } else {
      this.onRequest(msg, m);
    }
  }

  private strayResponse(res: SipResponse): void {
    // 13.2.2.4: a retransmitted 2xx after the INVITE client transaction ended still needs an ACK.
    if (res.status >= 200 && res.status < 300) this.user?.onStray2xx(res);
  }

  private onRequest(raw: SipRequest, m: InboundMessage): void {
    const { data: _data, ...source } = m;
    const request = stampVia(raw, m.remote);
    const dest = responseDestination(getTopVia(request));
    const route: OutboundRoute = { transport: m.transport, connectionId: m.connectionId, remote: { address: dest.host, port: dest.port } };
    const key = serverTransactionKey(request);
    if (request.method === 'ACK') {
      if (!this.runner.receive(key, request)) this.user?.onAck(request, source);
      return;
    }
    if (this.runner.receive(key, request)) return; // retransmission (17.2.3)
    const reliable = m.transport !== 'udp';
    const now = this.clock.now();
    const isInvite = request.method === 'INVITE';
    const tag = toTag(request) ?? randomToken();
    const verdict = validateRequest(request, this.uas, { recent: this.recent, toTag: tag });
    if (toTag(request) === null && !this.recent.has(mergeKey(request))) this.recent.set(mergeKey(request), { txKey: key, at: now });
    const noop = { tu: () => undefined, failed: () => undefined };
    if (verdict.kind === 'respond') {
      sipBadRequests.inc({ transport: m.transport, reason: verdict.reason });
      this.runner.startServer(key, request, route, reliable, noop, false);
      this.respond(key, verdict.response);
      return;
    }
    if (request.method === 'CANCEL') {
      this.runner.startServer(key, request, route, reliable, noop);
      this.onCancel(key, request);
      return;
    }
    if (isInvite) this.inviteTags.set(key, tag);
    const ctx: ServerRequest = { txKey: key, request, source, route, toTag: tag };
    const delay = this.config.limits.tryingDelayMs;
    if (isInvite && delay > 0) setTimeout(() => this.tryingIfSilent(key, request), delay).unref();
    this.runner.startServer(
      key,
      request,
      route,
      reliable,
      {
        tu: () => {
          if (this.user === undefined) this.respond(key, createResponse(request, 480, 'Temporarily Unavailable - not ready', [], { toTag: tag }));
          else this.user.onRequest(ctx);
        },
        failed: () => this.inviteTags.delete(key),
      },
      isInvite && this.config.limits.tryingDelayMs <= 0,
    );
  }

  /** RFC 3261 17.2.1: 100 Trying when the TU has not answered the INVITE yet. */
  private tryingIfSilent(key: string, request: SipRequest): void {
    const s = this.runner.state(key);
    if (s?.kind === 'invite-server' && s.state === 'proceeding' && s.lastResponse === null) this.runner.respond(key, createResponse(request, 100));
  }

  private onCancel(cancelKey: string, cancel: SipRequest): void {
    const inviteKey = cancelTargetKey(cancel);
    const state = this.runner.state(inviteKey);
    const invite = state?.kind === 'invite-server' ? state : undefined;
    const { cancelResponse, inviteResponse } = answerCancel(cancel, invite, this.inviteTags.get(inviteKey));
    this.respond(cancelKey, cancelResponse);
    if (inviteResponse !== null) {
      this.respond(inviteKey, inviteResponse);
      this.user?.onCancelled(inviteKey);
    }
  }

  /** 503 with Retry-After (RFC 3261 21.5.4) for a request over the per-source rate. */
  private rejectOverRate(m: InboundMessage, retryAfter: number): void {
    let req: SipMessage;
    try {
      req = parseMessage(m.data, this.parserLimits, m.transport === 'tcp' || m.transport === 'tls' ? 'stream' : 'datagram');
    } catch {
      return;
    }
    if (req.kind !== 'request' || req.method === 'ACK') return;
    const res = createResponse(stampVia(req, m.remote), 503, 'Service Unavailable - rate limit', [{ name: 'Retry-After', value: String(retryAfter) }]);
    this.send(res, { transport: m.transport, connectionId: m.connectionId, remote: m.remote }).catch(() => undefined);
  }

  private onParseError(err: unknown, m: InboundMessage): void {
    if (!(err instanceof ParseErrorClass)) throw err;
    const e: SipParseError = err;
    const res = createErrorResponse(e);
    sipBadRequests.inc({ transport: m.transport, reason: e.reason });
    if (res === null) {
      sipMessagesDropped.inc({ transport: m.transport, reason: 'parse_error' });
      return;
    }
    this.send(res, { transport: m.transport, connectionId: m.connectionId, remote: m.remote }).catch(() => undefined);
  }

  /** Unframeable stream input: 513 Message Too Large / 400 when the headers can be read. */
  private onFrameError(e: TransportEvents['frameError'][0]): void {
    const status = e.reason === 'too_large' ? 513 : 400;
    const phrase = e.reason === 'too_large' ? 'Message Too Large' : `Bad Request - ${e.reason === 'missing_content_length' ? 'Missing' : 'Malformed'} Content-Length header`;
    let base: { readonly headers: SipRequest['headers'] } | undefined;
    let method: string | undefined;
    try {
      const msg = parseMessage(e.head, { ...this.parserLimits, maxMessageBytes: Number.MAX_SAFE_INTEGER }, 'datagram');
      if (msg.kind === 'request') [base, method] = [msg, msg.method];
    } catch (err) {
      if (err instanceof ParseErrorClass && err.partial !== undefined) [base, method] = [err.partial, err.partial.method];
    }
    sipBadRequests.inc({ transport: e.source.transport, reason: e.reason });
    if (base === undefined || method === 'ACK') return;
    const res = createResponse(base, status, phrase);
    this.send(res, { transport: e.source.transport, connectionId: e.source.connectionId, remote: e.source.remote }).catch(() => undefined);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [k, v] of this.recent) {
      if (now - v.at <= MERGE_WINDOW_MS) break; // insertion order = time order
      this.recent.delete(k);
    }
    for (const k of this.inviteTags.keys()) if (!this.runner.has(k)) this.inviteTags.delete(k);
  }
}
