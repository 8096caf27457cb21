import type { AnswerParams, LocalCapabilities } from '../../../sdp/index.ts';
import { SIP_CAPS, WEBRTC_CAPS } from './test-policy.ts';
import type { TestPolicyOptions } from './test-policy.ts';

/** Golden offer/answer pairs: <offer fixture> -> <name>.expected-answer.sdp (ports, keys masked). */
export interface GoldenCase {
  readonly offer: string;
  readonly expected: string;
  readonly caps: LocalCapabilities;
  readonly policy: TestPolicyOptions;
  readonly accepted: boolean;
}

const DEFAULT_SUITES = ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'];

export const GOLDEN: readonly GoldenCase[] = [
  { offer: 'chrome-audio-video.offer.sdp', expected: 'chrome-audio-video.expected-answer.sdp', caps: WEBRTC_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: true },
  { offer: 'firefox-audio-video.offer.sdp', expected: 'firefox-audio-video.expected-answer.sdp', caps: WEBRTC_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: true },
  { offer: 'freeswitch-webrtc-savpf.offer.sdp', expected: 'freeswitch-webrtc-savpf.expected-answer.sdp', caps: WEBRTC_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: true },
  { offer: 'polycom-vvx-dual-mline.offer.sdp', expected: 'polycom-vvx-dual-mline.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: true }, accepted: true },
  { offer: 'pjsip-dual-mline.offer.sdp', expected: 'pjsip-dual-mline.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: true },
  { offer: 'yealink-sdes.offer.sdp', expected: 'yealink-sdes.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: true },
  { offer: 'rtpengine-sdes-four-suites.offer.sdp', expected: 'rtpengine-sdes-four-suites.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: ['AEAD_AES_256_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80'], allowPlain: false }, accepted: true },
  { offer: 'broadworks-sdes-audio-video.offer.sdp', expected: 'broadworks-sdes-audio-video.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: false },
  { offer: '3cx-plain.offer.sdp', expected: '3cx-plain.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: true }, accepted: true },
  { offer: 'tandberg-plain-audio-video.sdp', expected: 'tandberg-plain-audio-video.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: true }, accepted: true },
  { offer: 'room-system-bfcp-slides.sdp', expected: 'room-system-bfcp-slides.expected-answer.sdp', caps: SIP_CAPS, policy: { suites: DEFAULT_SUITES, allowPlain: false }, accepted: true },
];

export const ANSWER_PARAMS: AnswerParams = {
  origin: { username: 'gatehouse', sessionId: '1000', sessionVersion: '1' },
  address: '203.0.113.5',
  port: (plan) => 40000 + 2 * plan.index,
  ice: {
    ufrag: 'GhUf',
    pwd: 'GatehouseIcePassword0123',
    lite: true,
    candidates: [{ foundation: '1', component: 1, transport: 'udp', priority: 2130706431, address: '203.0.113.5', port: 40000, type: 'host', relatedAddress: undefined, relatedPort: undefined, extensions: [] }],
  },
};

/** Masks what changes per call: m= ports and SDES key material (DESIGN.md convention 7). */
export function mask(sdp: string): string {
  return sdp.replace(/^m=(\S+) [1-9][0-9]*/gm, 'm=$1 PORT').replace(/inline:[A-Za-z0-9+/=]+/g, 'inline:KEY');
}
