import { describe, expect, it } from 'vitest';
import { offerForWerift } from '../../../src/adapters/webrtc/werift-offer-quirks.ts';

describe('offerForWerift', () => {
  it('drops the candidate generation Chrome counts up on an ICE restart, and nothing else', () => {
    const offer = [
      'a=ice-ufrag:wD3h',
      'a=candidate:564870848 1 udp 2122063615 192.0.2.2 58715 typ host generation 1 network-id 1',
      'a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host generation 0',
      'a=x-generation 3',
      '',
    ].join('\r\n');
    expect(offerForWerift(offer)).toBe(
      ['a=ice-ufrag:wD3h', 'a=candidate:564870848 1 udp 2122063615 192.0.2.2 58715 typ host network-id 1', 'a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host', 'a=x-generation 3', ''].join('\r\n'),
    );
  });
});
