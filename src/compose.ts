/**
 * Part of the composition root (DESIGN.md: only main.ts and this file construct adapters):
 * the state store, the embedded SIP engine, the media plane and the call service, wired from
 * the effective configuration. Returned as Services in the order they must be closed.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MemoryStateStore } from './adapters/state/memory-state-store.ts';
import { openRedisStateStore } from './adapters/state/redis-state-store.ts';
import { startSipEngine } from './adapters/sip-net/start.ts';
import { DEFAULT_RATE_LIMIT, type SipNetLimits } from './adapters/sip-net/limits.ts';
import type { ListenConfig } from './adapters/sip-net/transport-set.ts';
import { MediaPortAllocator } from './adapters/media/port-allocator.ts';
import { RoomMediaPlane } from './adapters/media/media-plane.ts';
import { selectSrtpEngine } from './adapters/media/native-srtp.ts';
import { selectSocketEngine } from './adapters/media/socket-engine.ts';
import { CallService } from './app/call-service.ts';
import { InstanceLifecycle } from './app/instance-lifecycle.ts';
import { pictureFastUpdateSender } from './app/video-info.ts';
import { homeInstanceElsewhere } from './app/room-home.ts';
import { CallRecordCache } from './app/instance-record-cache.ts';
import { createDevCertificate } from './adapters/http/dev-certificate.ts';
import { startJoinServer } from './adapters/http/join-server.ts';
import { hostPortOf } from './config/host-port.ts';
import type { EffectiveConfig } from './config/effective.ts';
import type { Logger } from './ports/logger.ts';
import type { Service } from './ports/service.ts';
import type { InstanceRegistry, RoomHomes, StateStore } from './ports/state-store.ts';

const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;
/** Calls an instance advertises it can take (no per-instance limit is configurable yet). */
const INSTANCE_CALL_CAPACITY = 10_000;

export async function startCallServices(effective: EffectiveConfig, logger: Logger): Promise<Service[]> {
  const { config, secrets } = effective;
  // first, before any listener or SRTP session exists: keys prepared from here on use the chosen engine,
  // and `native` without the addon stops the start before anything listens
  const engine = selectSrtpEngine(config.media.srtp_engine);
  if (engine.fallbackReason !== undefined) {
    logger.warn({ engine: engine.engine, reason: engine.fallbackReason }, 'srtp engine: native not available, using node:crypto (far more CPU per packet; media.srtp_engine: auto)');
  } else {
    logger.info({ engine: engine.engine, ...(engine.openssl ? { openssl: engine.openssl } : {}) }, 'srtp engine');
  }
  // likewise before any media socket is opened
  const sockets = await selectSocketEngine(config.media.socket_engine);
  if (sockets.fallbackReason !== undefined) {
    logger.warn({ engine: sockets.engine, reason: sockets.fallbackReason }, 'media socket engine: native not available, using node:dgram (far more CPU per packet; media.socket_engine: auto)');
  } else {
    logger.info({ engine: sockets.engine }, 'media socket engine');
  }
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const services: Service[] = [];

  const keyring = effective.keyring;
  if (config.state.store === 'redis' && (keyring === null || config.state.url === undefined)) {
    throw new Error('state.store redis needs state.url and state.kek'); // the schema already refuses this
  }
  // set once the lifecycle exists: the Redis adapter's resync hook (after a reconnect) hands
  // it the records a restarted Redis lost
  let resync: (() => Promise<void>) | null = null;
  const store: StateStore & InstanceRegistry & RoomHomes & { close?: () => Promise<void>; readonly connected?: boolean } =
    config.state.store === 'redis' && keyring !== null
      ? await openRedisStateStore({
          url: config.state.url ?? '',
          keyring,
          ...(config.state.username === undefined ? {} : { username: config.state.username }),
          ...(secrets.get('state.password') === undefined ? {} : { password: secrets.get('state.password') as string }),
          clientName: `gatehouse-${instanceId}`,
          logger,
          onResync: () => resync?.(),
        })
      : new MemoryStateStore({ clock: { now: () => Date.now() }, ...(effective.keyring ? { keyring: effective.keyring } : {}) });

  const listen: ListenConfig[] = TRANSPORTS.filter((t) => config.sip[t].enabled).map((t) => {
    const hp = hostPortOf(config.sip[t].listen);
    return { transport: t, host: hp.host, port: hp.port, ...(config.sip.public_address ? { advertise: config.sip.public_address } : {}) };
  });
  const serverTls = await serverCertificate(effective, logger);
  const l = config.sip.limits;
  const limits: Partial<SipNetLimits> = {
    maxMessageSize: l.max_message_bytes,
    maxConnectionsPerIp: l.max_connections_per_ip,
    maxConnections: l.max_connections,
    idleTimeoutMs: l.idle_timeout_ms,
    incompleteMessageTimeoutMs: l.incomplete_message_timeout_ms,
    rateLimit: l.requests_per_second === 0 ? null : { ...DEFAULT_RATE_LIMIT, ratePerSecond: l.requests_per_second, burst: l.request_burst },
  };
  // one TLS context serves the TLS and WSS listeners (engine limitation): client certificates
  // are requested on both when sip.tls.client_ca_file (or sip.wss's) is set
  const mtls = [config.sip.tls, config.sip.wss].find((t) => t.enabled && t.client_ca_file !== undefined);
  const tls = serverTls && {
    cert: serverTls.cert,
    key: serverTls.key,
    minVersion: 'TLSv1.2' as const,
    ...(mtls?.client_ca_file ? { ca: readFileSync(mtls.client_ca_file, 'utf8'), requestCert: true, rejectUnauthorized: mtls.require_client_cert } : {}),
  };
  const sip = await startSipEngine({ listen, limits, ...(tls ? { tls } : {}) }, { logger });
  services.push({
    name: 'sip',
    listening: sip.addresses.map((a) => `sip ${a.transport} ${a.local.family === 'IPv6' ? `[${a.local.address}]` : a.local.address}:${a.local.port}`),
    stopAccepting: async () => undefined, // the call service answers 503 while draining
    activeCount: () => 0,
    close: async () => {
      await sip.stop();
      await store.close?.();
    },
  });

  // where browsers reach this instance's join page (instance record: other instances redirect here)
  let webPublicUrl: string | null = null;
  if (config.web.enabled) {
    const wss = sip.addresses.find((a) => a.transport === 'wss');
    const wssHost = config.sip.public_address ?? wss?.local.address ?? '127.0.0.1';
    const wssUrl = config.web.wss_url ?? `wss://${wssHost.includes(':') ? `[${wssHost}]` : wssHost}:${wss?.local.port ?? 0}`;
    const webKey = secrets.get('web.key');
    const webTls = config.web.cert_file !== undefined && webKey !== undefined ? { cert: readFileSync(config.web.cert_file, 'utf8'), key: webKey } : serverTls;
    const web = await startJoinServer(
      { listen: hostPortOf(config.web.listen), wssUrl, fallbackWssUrls: config.web.fallback_wss_urls, ...(webTls ? { tls: webTls } : {}), ...(config.web.sip_domain ? { sipDomain: config.web.sip_domain } : {}) },
      {
        logger,
        // a room runs in one process: a guest of a room homed elsewhere gets that instance's page
        ...(config.state.store === 'redis' && config.rooms.redirect_to_home
          ? {
              roomElsewhere: async (roomId: string): Promise<string | null> => {
                const base = (await homeInstanceElsewhere(store, store, roomId, instanceId))?.addresses.http;
                return base ? `${base.replace(/\/+$/, '')}/join/${encodeURIComponent(roomId)}` : null;
              },
            }
          : {}),
      },
    );
    const listenHost = hostPortOf(config.web.listen).host;
    webPublicUrl = config.web.public_url ?? (listenHost === '0.0.0.0' || listenHost === '::' ? null : web.url);
    services.push({ name: 'web', listening: [`join page ${web.url}/join/ROOM`], stopAccepting: async () => undefined, activeCount: () => 0, close: () => web.close() });
  }

  const allocator = new MediaPortAllocator({ range: { min: config.media.port_min, max: config.media.port_max }, address: config.media.bind_address });
  let calls: CallService | null = null;
  const media = new RoomMediaPlane({
    allocator,
    guestAddress: config.media.public_address ?? config.media.bind_address,
    guestPorts: { min: config.media.webrtc_port_min, max: config.media.webrtc_port_max },
    mediaTimeoutMs: config.rooms.media_timeout_s * 1000,
    logger,
    onEvent: (e) => {
      if (e.type === 'video-keyframe-info' && calls !== null) return pictureFastUpdate(e);
      if (e.type !== 'media-timeout' || calls === null) return;
      const dialogId = calls.dialogOfLeg(e.legId);
      if (dialogId) void calls.hangUp(dialogId, 'media-timeout', { silentForMs: Math.round(e.silentForMs) });
    },
  });
  // a room system without RTCP feedback is asked for a key frame by SIP INFO (RFC 5168)
  const pictureFastUpdate = pictureFastUpdateSender(sip.backend, (legId) => calls?.dialogOfLeg(legId), logger);
  const pins = new Map<string, string>();
  config.rooms.list.forEach((r, i) => {
    const pin = secrets.get(`rooms.list.${i}.pin`);
    if (pin !== undefined) pins.set(r.id, pin);
  });
  // Takeover needs state other instances can see: only with the Redis store (DESIGN.md
  // "State and takeover"). The memory store runs one instance: no lifecycle, no fencing.
  const mediaAddress = config.media.public_address ?? config.media.bind_address;
  // every call record the call layer writes is remembered, to write back what Redis loses
  const records = config.state.store === 'redis' ? new CallRecordCache(store, instanceId) : null;
  const lifecycle =
    records !== null
      ? new InstanceLifecycle({
          instanceId,
          store,
          registry: store,
          clock: { now: () => performance.now() },
          wallclock: Date.now,
          describe: () => ({
            // advertised addresses: where other instances send a room's callers (302, room homes)
            addresses: { sip: sip.addresses.map((a) => `sip:${a.advertised.address.includes(':') ? `[${a.advertised.address}]` : a.advertised.address}:${a.advertised.port};transport=${a.transport}`), media: [mediaAddress], http: webPublicUrl },
            capacity: { calls: INSTANCE_CALL_CAPACITY },
          }),
          adopt: (record, ownership) => {
            if (calls === null) throw new Error('call service not ready');
            return calls.adopt(record, ownership);
          },
          canAdopt: () => (calls?.activeCount() ?? INSTANCE_CALL_CAPACITY) < INSTANCE_CALL_CAPACITY,
          roomGate: async (roomId) => (await store.claimHome(roomId, instanceId)) === instanceId,
          heartbeatIntervalMs: config.state.heartbeat_interval_ms,
          ttlMs: config.state.instance_ttl_ms,
          onLeaseLoss: config.state.on_lease_loss,
          records,
          logger: logger.child({ component: 'takeover' }),
        })
      : null;
  calls = new CallService({
    backend: sip.backend,
    policy: effective.policy,
    rooms: { onDemand: config.rooms.on_demand, maxParticipants: config.rooms.max_participants, rooms: config.rooms.list, pins, redirectToHome: config.rooms.redirect_to_home },
    media,
    mediaAddress,
    store: records ?? store,
    instanceId,
    wallclock: () => Date.now(),
    logger,
    admission: { maxCalls: config.admission.max_calls, retryAfterSeconds: config.admission.retry_after_s, storeOutage: config.admission.on_state_outage },
    storeAvailable: () => store.connected !== false,
    ...(lifecycle ? { lifecycle, registry: store, homes: store, takeoverSdesKey: config.state.takeover_sdes_key } : {}),
  });
  if (lifecycle) {
    const service = calls;
    // state.on_lease_loss release: every call at the lapse; continue: those the store says are
    // not ours (any more) once it can be read again. Either way nothing is sent on the dialogs.
    lifecycle.on('lease-lost', ({ calls: lost }) => void service.dropWithoutSignalling(lost));
    lifecycle.on('calls-lost', ({ calls: lost }) => void service.dropWithoutSignalling(lost));
    resync = () => lifecycle.resync();
    lifecycle.on('adopted', ({ callId, reason, ownership, outcome }) => {
      // a held guest call was logged as held (guest-resume.ts); it continues only once its browser is back
      if (outcome === 'resumed') logger.info({ callId, reason, epoch: ownership.epoch }, 'takeover: call continues on this instance');
    });
    await lifecycle.start(); // first heartbeat; throws when Redis cannot be reached
    logger.info({ instanceId, heartbeatIntervalMs: lifecycle.heartbeatIntervalMs, ttlMs: lifecycle.ttlMs, onLeaseLoss: lifecycle.onLeaseLoss }, 'takeover enabled: heartbeat and orphan watcher running');
  }

  // closed first: BYE every call while the SIP engine can still carry it
  services.unshift(calls);
  return services;
}

/**
 * The certificate for SIP TLS/WSS listeners: sip.tls's, else sip.wss's, else (WSS only) a
 * generated development certificate, logged as such. One certificate serves both listeners.
 */
async function serverCertificate(effective: EffectiveConfig, logger: Logger): Promise<{ cert: string; key: string } | null> {
  const { config, secrets } = effective;
  for (const t of ['tls', 'wss'] as const) {
    const c = config.sip[t];
    const key = secrets.get(`sip.${t}.key`);
    if (c.enabled && c.cert_file !== undefined && key !== undefined) return { cert: readFileSync(c.cert_file, 'utf8'), key };
  }
  if (!config.sip.wss.enabled) return null;
  const dev = await createDevCertificate(config.sip.public_address ? [config.sip.public_address] : []);
  logger.warn({ names: dev.names, fingerprint256: dev.fingerprint256 }, 'sip.wss.cert_file is not set: WSS (and the join page) use a generated self-signed certificate; for development only');
  return { cert: dev.cert, key: dev.key };
}
