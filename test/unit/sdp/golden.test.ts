import { describe, expect, it } from 'vitest';
import { buildAnswer, negotiate, parseSdp, serializeSdp } from '../../../sdp/index.ts';
import { allFixtureNames, crlf, deviceFixtureNames, loadFixture } from './fixtures.ts';
import { ANSWER_PARAMS, GOLDEN, mask } from './golden-cases.ts';
import { testPolicy } from './test-policy.ts';

/**
 * Golden offer -> answer pairs from real devices (DESIGN.md convention 7, after rtpengine's
 * t/auto-daemon-tests-*.pl): the expected answer is stored with ports and keys masked.
 */
describe('RFC 3264 golden answers to device offers', () => {
  for (const c of GOLDEN) {
    it(`${c.offer} -> ${c.expected}`, () => {
      const offer = parseSdp(crlf(loadFixture(c.offer).sdp));
      const negotiation = negotiate(offer, c.caps, testPolicy(c.policy));
      expect(negotiation.accepted).toBe(c.accepted);
      const answer = buildAnswer(negotiation, ANSWER_PARAMS);
      expect(mask(answer)).toBe(crlf(loadFixture(c.expected).sdp));
      // The answer is itself valid, canonical SDP.
      expect(serializeSdp(parseSdp(answer))).toBe(answer);
    });
  }
});

describe('fixture bookkeeping', () => {
  it('every expected answer belongs to a golden case and every fixture cites its source', () => {
    const expected = allFixtureNames().filter((n) => n.endsWith('.expected-answer.sdp'));
    expect(expected.sort()).toEqual(GOLDEN.map((g) => g.expected).sort());
    for (const n of deviceFixtureNames()) expect(loadFixture(n).header.get('source'), n).toMatch(/\S/);
    expect(allFixtureNames().every((n) => n.endsWith('.sdp'))).toBe(true);
  });
});
