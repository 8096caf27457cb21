/**
 * Composition root (DESIGN.md): the only place that constructs adapters. Starts every service,
 * prints where it listens, and owns process signals: SIGTERM drains (readiness false, stop
 * accepting, exit when idle or after drain.timeout_s), SIGINT stops now. An unexpected error is
 * logged with context and the process exits non-zero rather than limping on.
 */
import { startAdminServer, type AdminServer } from './adapters/http/admin-server.ts';
import { createLogger, type GatehouseLogger } from './adapters/log/logger.ts';
import { Readiness } from './app/readiness.ts';
import { hostPortOf } from './config/host-port.ts';
import type { EffectiveConfig } from './config/effective.ts';
import { readinessGauge } from './metrics/admin.ts';
import { collectProcessMetrics, registry } from './metrics/registry.ts';
import type { Service } from './ports/service.ts';
import { EXIT } from './cli/exit-codes.ts';
import { startCallServices } from './compose.ts';

export interface RunningGateway {
  readonly adminUrl: string;
  readonly logger: GatehouseLogger;
  /** Resolves with the exit code once the gateway has stopped. */
  readonly stopped: Promise<number>;
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Install SIGTERM/SIGINT/fatal-error handlers before announcing readiness (the CLI does). */
  readonly handleProcessSignals?: boolean;
}

export async function startGateway(effective: EffectiveConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const { config, secrets } = effective;
  const logger = createLogger({ level: config.log.level, format: config.log.format, secrets: secrets.values() });
  const readiness = new Readiness();
  readinessGauge.set(0);
  collectProcessMetrics();

  let services: Service[] = [];
  let admin: AdminServer;
  try {
    admin = await startAdminServer({ listen: hostPortOf(config.admin.listen), readiness, registry, logger });
  } catch (err) {
    logger.fatal({ err, listen: config.admin.listen }, 'cannot start the admin listener');
    throw new StartupError(`admin.listen ${config.admin.listen}: ${(err as Error).message}`);
  }
  try {
    services = await startCallServices(effective, logger);
  } catch (err) {
    logger.fatal({ err }, 'cannot start the SIP engine, media or state store');
    await admin.close();
    throw new StartupError(describeStartupError(err, config));
  }

  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (resolveStopped = resolve));
  let stopping = false;

  async function shutdown(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    readiness.advance('stopped');
    readinessGauge.set(0);
    // in order: calls (BYE to every peer) before the SIP engine that carries the BYEs
    for (const s of services) await s.close().catch((err: unknown) => logger.error({ err, service: s.name }, 'close failed'));
    await admin.close();
    logger.info({ code }, 'gatehouse stopped');
    resolveStopped(code);
  }

  async function drain(): Promise<void> {
    if (!readiness.advance('draining')) return;
    readinessGauge.set(0);
    const deadline = performance.now() + config.drain.timeout_s * 1000;
    logger.info({ timeout_s: config.drain.timeout_s }, 'draining: readiness is false, no new calls accepted');
    await Promise.allSettled(services.map((s) => s.stopAccepting()));
    const active = (): number => services.reduce((n, s) => n + s.activeCount(), 0);
    while (active() > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const left = active();
    if (left > 0) logger.warn({ active: left }, 'drain timeout reached with calls still active; stopping them');
    else logger.info({}, 'drained: no active calls');
    await shutdown(EXIT.ok);
  }

  const gw: RunningGateway = { adminUrl: admin.url, logger, stopped, drain, stop: () => shutdown(EXIT.ok) };
  // handlers go in before the ready line: a supervisor may signal as soon as it sees it
  if (options.handleProcessSignals) installProcessHandlers(gw);
  readiness.advance('ready');
  readinessGauge.set(1);
  logger.info(
    { admin: admin.url, listening: services.flatMap((s) => s.listening), media: `${config.media.bind_address} ports ${config.media.port_min}-${config.media.port_max}`, state: config.state.store, profile: config.policy.profile },
    `gatehouse ready; admin on ${admin.url}`,
  );

  return gw;
}

function describeStartupError(err: unknown, config: EffectiveConfig['config']): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
    const where = `${e.address ?? '?'}:${e.port ?? '?'}`;
    const keys = (['udp', 'tcp', 'tls', 'ws', 'wss'] as const).filter((t) => config.sip[t].enabled && config.sip[t].listen.endsWith(`:${e.port ?? ''}`)).map((t) => `sip.${t}.listen`);
    return `${keys.join(', ') || 'a listener'} ${where}: ${e.code} (${e.message})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Something the process could not bind or open at start; exits with EXIT.startup. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Wires process signals and fatal-error handling to a running gateway. */
function installProcessHandlers(gw: RunningGateway): void {
  process.once('SIGTERM', () => {
    gw.logger.info({ signal: 'SIGTERM' }, 'signal received: draining');
    void gw.drain();
  });
  process.once('SIGINT', () => {
    gw.logger.info({ signal: 'SIGINT' }, 'signal received: stopping now');
    void gw.stop();
  });
  const fatal = (kind: string) => (err: unknown) => {
    gw.logger.fatal({ err, kind }, 'unexpected error: exiting rather than continuing in an unknown state');
    gw.logger.flush();
    process.exit(EXIT.failure);
  };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
}
