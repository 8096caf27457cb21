import { describe, expect, it } from 'vitest';
import { parseUri } from '../../../src/core/sip/index.ts';
import type { SipUri } from '../../../src/core/sip/index.ts';
import { chooseRequestTransport, uriTarget } from '../../../src/adapters/sip-net/routing.ts';
import type { TransportName } from '../../../src/adapters/sip-net/types.ts';

describe('uriTarget (RFC 3263 4.1 transport and port defaults, no DNS)', () => {
  const cases: Array<[string, { address: string; port: number; transport: TransportName }]> = [
    ['sip:a@192.0.2.1', { address: '192.0.2.1', port: 5060, transport: 'udp' }],
    ['sip:a@192.0.2.1:5080;transport=TCP', { address: '192.0.2.1', port: 5080, transport: 'tcp' }],
    ['sips:a@192.0.2.1', { address: '192.0.2.1', port: 5061, transport: 'tls' }],
    ['sip:a@[::1]:5062;transport=ws', { address: '::1', port: 5062, transport: 'ws' }],
    ['sips:a@h.invalid;transport=ws', { address: 'h.invalid', port: 5061, transport: 'wss' }],
  ];
  for (const [uri, want] of cases) it(`RFC 3263 4.1: ${uri}`, () => expect(uriTarget(parseUri(uri) as SipUri)).toEqual(want));
});

describe('chooseRequestTransport (RFC 3261 18.1.1 size rule)', () => {
  const both = new Set<TransportName>(['udp', 'tcp']);
  it('RFC 3261 18.1.1: small requests stay on UDP', () => expect(chooseRequestTransport('udp', 1300, both, 1500)).toEqual({ transport: 'udp', upgraded: false }));
  it('RFC 3261 18.1.1: within 200 bytes of the MTU goes to TCP', () => expect(chooseRequestTransport('udp', 1301, both, 1500)).toEqual({ transport: 'tcp', upgraded: true }));
  it('RFC 3261 18.1.1: unknown MTU means the 1300 byte limit', () => expect(chooseRequestTransport('udp', 1301, both, null).transport).toBe('tcp'));
  it('RFC 3261 18.1.1: smaller MTU lowers the limit', () => expect(chooseRequestTransport('udp', 1100, both, 1280).transport).toBe('tcp'));
  it('RFC 3261 18.1.1: without a TCP listener UDP is used anyway', () => expect(chooseRequestTransport('udp', 5000, new Set(['udp']), 1500)).toEqual({ transport: 'udp', upgraded: false }));
  it('RFC 3261 18.1.1: stream transports are never changed', () => expect(chooseRequestTransport('tls', 5000, both, 1500).transport).toBe('tls'));
});
