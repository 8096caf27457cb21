/**
 * Where requests go (RFC 3261 section 18.1.1; RFC 3263 without DNS). Responses use the core's
 * stampVia/responseDestination (RFC 3261 18.2.2, RFC 3581).
 * Plain functions over parsed values so that the rules are tested by tables.
 */
import type { SipUri } from '../../core/sip/index.ts';
import { bareHost, getParam } from '../../core/sip/index.ts';
import type { TransportName } from './types.ts';

export interface HostPort {
  readonly address: string;
  readonly port: number;
}

/** Transport named by a URI: `transport` parameter, else TLS for sips, else UDP (RFC 3263 4.1). */
export function uriTransport(uri: SipUri): TransportName {
  const t = getParam(uri.params, 'transport');
  const v = typeof t === 'string' ? t.toLowerCase() : '';
  if (uri.scheme === 'sips') return v === 'ws' || v === 'wss' ? 'wss' : 'tls';
  if (v === 'tcp' || v === 'tls' || v === 'ws' || v === 'wss' || v === 'udp') return v;
  return 'udp';
}

/** Host and port of a SIP URI as a send target (maddr ignored: no multicast here). */
export function uriTarget(uri: SipUri): HostPort & { readonly transport: TransportName } {
  const transport = uriTransport(uri);
  const port = uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
  return { address: bareHost(uri.host), port, transport };
}

/**
 * RFC 3261 18.1.1: "If a request is within 200 bytes of the path MTU, or if it is larger than
 * 1300 bytes and the path MTU is unknown, the request MUST be sent using an RFC 2914
 * congestion controlled transport protocol, such as TCP." When no TCP listener exists we
 * send over UDP anyway (fragmentation beats failing the call); the caller counts it.
 */
export function chooseRequestTransport(
  wanted: TransportName,
  size: number,
  available: ReadonlySet<TransportName>,
  mtu: number | null,
): { readonly transport: TransportName; readonly upgraded: boolean } {
  if (wanted !== 'udp') return { transport: wanted, upgraded: false };
  const limit = mtu === null ? 1300 : mtu - 200;
  if (size > limit && available.has('tcp')) return { transport: 'tcp', upgraded: true };
  return { transport: 'udp', upgraded: false };
}

export function viaTransportName(t: TransportName): string {
  return t.toUpperCase();
}
