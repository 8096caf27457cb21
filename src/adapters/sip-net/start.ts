/**
 * Composition entry for main.ts: `startSipEngine(config, deps)` starts the listeners and
 * returns the SignallingBackend plus a handle to stop everything.
 */
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { UasConfig } from '../../core/sip/index.ts';
import type { TimerConfig } from '../../core/sip/transaction/index.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { SignallingBackend } from '../../ports/signalling-backend.ts';
import type { SipNetLimits } from './limits.ts';
import { withLimits } from './limits.ts';
import { EmbeddedSignallingBackend } from './sip-backend.ts';
import { SipEngine } from './sip-engine.ts';
import type { ListenConfig } from './transport-set.ts';
import type { SipAddress, TransportName } from './types.ts';

export interface SipNetConfig {
  readonly listen: readonly ListenConfig[];
  readonly limits?: Partial<SipNetLimits>;
  /** Server certificate/key (and ca, requestCert for mTLS) for TLS and WSS listeners. */
  readonly tls?: TlsOptions;
  readonly clientTls?: ConnectionOptions;
  /** T1/T2/T4 (RFC 3261 17.1.1.1); defaults 500/4000/5000 ms. */
  readonly timers?: TimerConfig;
  /** Allowed methods, extensions, session timers (core UasConfig). */
  readonly uas?: UasConfig;
}

export interface SipNetDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface RunningSipEngine {
  readonly backend: SignallingBackend;
  /** Bound addresses per listener, in config order (port 0 resolved), and what each advertises
   * (sip.public_address, else the bound address: RFC 3261 18.2.1 sent-by/Contact). */
  readonly addresses: ReadonlyArray<{ readonly transport: TransportName; readonly local: SipAddress; readonly advertised: SipAddress }>;
  stop(): Promise<void>;
}

export async function startSipEngine(config: SipNetConfig, deps: SipNetDeps = {}): Promise<RunningSipEngine> {
  const engine = await SipEngine.start(
    {
      listen: config.listen,
      limits: withLimits(config.limits),
      ...(config.tls ? { tls: config.tls } : {}),
      ...(config.clientTls ? { clientTls: config.clientTls } : {}),
      ...(config.timers ? { timers: config.timers } : {}),
      ...(config.uas ? { uas: config.uas } : {}),
    },
    deps.clock,
  );
  const backend = new EmbeddedSignallingBackend(engine, deps.logger);
  const addresses = engine.transports.all.map((l) => ({ transport: l.transport.name, local: l.transport.local, advertised: engine.transports.advertised(l) }));
  deps.logger?.info({ listeners: addresses.map((a) => `${a.transport}:${a.local.address}:${String(a.local.port)}`) }, 'sip engine listening');
  return {
    backend,
    addresses,
    stop: async () => {
      backend.close();
      await engine.close();
    },
  };
}
