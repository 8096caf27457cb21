import { describe, expect, it } from 'vitest';
import { continueOrigin } from '../../../src/app/room-leg-offer.ts';

const sdp = (o: string): string => `v=0\r\n${o}\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n`;

describe('continueOrigin (RFC 3264 8: same o= session id, version + 1)', () => {
  it('puts the previous session id back and increments its version', () => {
    const out = continueOrigin(sdp('o=- 8177 2 IN IP4 127.0.0.1'), sdp('o=gatehouse 1795781785 4 IN IP4 127.0.0.2'));
    expect(out.version).toBe(5);
    expect(out.sdp).toContain('o=gatehouse 1795781785 5 IN IP4 127.0.0.1\r\n');
    expect(out.sdp.match(/^o=/gm)).toHaveLength(1);
  });

  it('leaves the answer as it is when there is no previous SDP or no o= line', () => {
    const answer = sdp('o=- 8177 2 IN IP4 127.0.0.1');
    expect(continueOrigin(answer, null)).toEqual({ sdp: answer, version: 1 });
    expect(continueOrigin(answer, 'v=0\r\n')).toEqual({ sdp: answer, version: 1 });
  });
});
