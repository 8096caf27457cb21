/**
 * Addresses of our side of a dialog and where its in-dialog requests go: our Contact (as
 * advertised, RFC 3261 12.1.1), the Via sent-by of a request, and the route of a request
 * without a flow (first Route, else the remote target: RFC 3261 12.2.1.1). With a flow (the
 * connection or source address the dialog came over, RFC 5626 / RFC 7118 5) that flow is used.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DialogState } from '../../core/sip/index.ts';
import { isSipUri, parseNameAddr, parseUri, uriHost } from '../../core/sip/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { uriTarget } from './routing.ts';
import type { OutboundRoute, TransportSet } from './transport-set.ts';
import type { TransportName } from './types.ts';

/** Our Contact for a dialog on `transport`, from the listener serving `localAddress`. */
export function localContactUri(transports: TransportSet, transport: TransportName, localAddress?: string): string {
  const l = transports.listener(transport, localAddress);
  const adv = l === undefined ? { address: localAddress ?? '127.0.0.1', port: 5060 } : transports.advertised(l);
  return `sip:gw@${uriHost(adv.address)}:${String(adv.port)};transport=${transport}`;
}

export function viaFor(transports: TransportSet, route: OutboundRoute): { transport: string; host: string; port: number } {
  const l = transports.listener(route.transport, route.remote?.address);
  if (l === undefined) throw new GatehouseError('config', 'SIP_NO_LISTENER', `no ${route.transport} listener`);
  const adv = transports.advertised(l);
  return { transport: route.transport.toUpperCase(), host: uriHost(adv.address), port: adv.port };
}

export async function routeFor(flow: OutboundRoute | undefined, state: DialogState): Promise<OutboundRoute> {
  if (flow !== undefined) return flow;
  const first = state.routeSet[0];
  const uri = first === undefined ? parseUri(state.remoteTarget) : parseNameAddr(first, 'Route header').uri;
  if (!isSipUri(uri)) throw new GatehouseError('protocol', 'SIP_BAD_TARGET', 'remote target is not a SIP URI');
  const t = uriTarget(uri);
  const address = isIP(t.address) === 0 ? (await lookup(t.address)).address : t.address;
  return { transport: t.transport, remote: { address, port: t.port }, serverName: t.address };
}
