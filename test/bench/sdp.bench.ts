/**
 * `sdp` bench: our SDP parse against sdp-transform parsing the same text in the same run (alternating short rounds, medians reported).
 *
 * Three levels, each with sdp-transform's full parse (which builds typed objects for every
 * known attribute) as the baseline:
 *   - parse:            parseSdp only (lines kept raw, m=/o=/c= validated; typed views lazy)
 *   - parse+accessors:  parseSdp plus every typed view an answer needs (rtpmap, fmtp, rtcp-fb,
 *                       ICE, fingerprint, setup, a=crypto decoded, ssrc) - the fair comparison
 *   - parse+negotiate:  parseSdp plus the full RFC 3264 negotiation and answer text, with a
 *                       trivial keying decider (isolates the sdp/ offer/answer cost)
 *   - parse+policy+answer: what the gateway runs for an incoming offer: parseSdp, the crypto
 *                       policy (mediaOffersFromSdp + CryptoPolicy.negotiate under the default
 *                       profile, fresh SDES key from the CSPRNG), sdp/ negotiate with the
 *                       policy's decider, buildAnswer
 * Inputs: a Chrome audio+video offer and a Yealink SIP SDES offer (test/fixtures/sdp).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as sdpTransformParse } from 'sdp-transform';
import {
  buildAnswer,
  candidates,
  cryptoLines,
  direction,
  fingerprints,
  iceOptions,
  icePwd,
  iceUfrag,
  mid,
  negotiate,
  offeredCodecs,
  parseSdp,
  setup,
  ssrcs,
} from '../../sdp/index.ts';
import type { Fingerprint, LocalCapabilities, MediaSecurityOffer, KeyingDecision } from '../../sdp/index.ts';
import { createCryptoPolicy, keyingDeciderFor, mediaOffersFromSdp } from '../../crypto-policy/index.ts';
import type { PeerContext } from '../../crypto-policy/index.ts';
import { opsPerSecond } from './contract.ts';
import type { Bench, BenchRow } from './contract.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/sdp');

function fixture(name: string): string {
  const lines = readFileSync(join(FIXTURES, name), 'utf8').split('\n');
  return lines.filter((l) => !l.startsWith('#')).join('\r\n');
}

const CAPS: LocalCapabilities = {
  audio: [
    { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1' },
    { name: 'PCMU', clockRate: 8000 },
    { name: 'PCMA', clockRate: 8000 },
    { name: 'G722', clockRate: 8000 },
    { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
  ],
  video: [
    { name: 'H264', clockRate: 90000, rtcpFb: ['nack', 'nack pli', 'ccm fir'] },
    { name: 'VP8', clockRate: 90000, rtcpFb: ['nack', 'nack pli', 'ccm fir'] },
    { name: 'rtx', clockRate: 90000 },
  ],
};
const KEY = new Uint8Array(30).fill(1);
function decide(o: MediaSecurityOffer): KeyingDecision {
  if (o.methods.includes('dtls')) return { kind: 'dtls', fingerprints: [{ hash: 'sha-256', value: 'AB:CD' }], setup: 'passive' };
  const c = o.cryptos.find((x) => x.ok && x.attribute.suite === 'AES_CM_128_HMAC_SHA1_80');
  if (c?.ok === true) return { kind: 'sdes', answer: { tag: c.attribute.tag, suite: c.attribute.suite, keyParams: [{ method: 'inline', keySalt: KEY }], sessionParams: [] } };
  return { kind: 'reject', reason: 'bench' };
}

let sink = 0;
const ROUNDS = 5;
const ROUND_MS = 300;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function parseOnly(text: string): void {
  sink += parseSdp(text).media.length;
}

function parseWithAccessors(text: string): void {
  const sdp = parseSdp(text);
  for (const m of sdp.media) {
    sink += offeredCodecs(m).length + candidates(m).length + cryptoLines(m).length + ssrcs(m).length + fingerprints(sdp, m).length + iceOptions(sdp, m).length;
    sink += (iceUfrag(sdp, m)?.length ?? 0) + (icePwd(sdp, m)?.length ?? 0) + (setup(sdp, m)?.length ?? 0) + (mid(m)?.length ?? 0) + direction(sdp, m).length;
  }
}

function parseAndNegotiate(text: string): void {
  const n = negotiate(parseSdp(text), CAPS, decide);
  sink += buildAnswer(n, { origin: { sessionId: '1', sessionVersion: '1' }, address: '203.0.113.5', port: () => 40000 }).length;
}

// The real policy: built-in profiles, default profile (AEAD_AES_256_GCM > AEAD_AES_128_GCM >
// AES_CM_128_HMAC_SHA1_80), keys from node:crypto (the policy's default Rng).
const POLICY = createCryptoPolicy();
const PEER: PeerContext = { ip: '192.0.2.10', fromDomain: 'example.com', toDomain: 'example.net' };
const LOCAL_FINGERPRINTS: readonly Fingerprint[] = [
  { hash: 'sha-256', value: '6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08' },
];

function parsePolicyAnswer(text: string): void {
  const sdp = parseSdp(text);
  const policy = POLICY.negotiate(mediaOffersFromSdp(sdp), PEER);
  if (policy.verdict !== 'accept') throw new Error('bench offer rejected by the policy');
  const n = negotiate(sdp, CAPS, keyingDeciderFor(policy, LOCAL_FINGERPRINTS));
  sink += buildAnswer(n, { origin: { sessionId: '1', sessionVersion: '1' }, address: '203.0.113.5', port: () => 40000 }).length;
}

function baseline(text: string): void {
  sink += sdpTransformParse(text).media.length;
}

export const bench: Bench = {
  name: 'sdp',
  description: 'SDP parse (and parse+accessors, parse+negotiate, parse+policy+answer) vs sdp-transform parse of the same text',
  async run(): Promise<readonly BenchRow[]> {
    const inputs: readonly [string, string][] = [
      ['chrome-webrtc-offer', fixture('chrome-audio-video.offer.sdp')],
      ['sip-sdes-offer', fixture('yealink-sdes.offer.sdp')],
    ];
    const rows: BenchRow[] = [];
    const levels: readonly [string, (t: string) => void][] = [
      ['parse', parseOnly],
      ['parse+accessors', parseWithAccessors],
      ['parse+negotiate', parseAndNegotiate],
      ['parse+policy+answer', parsePolicyAnswer],
    ];
    for (const [label, text] of inputs) {
      const bases: number[] = [];
      for (const [level, fn] of levels) {
        // The machine is shared and noisy: alternate baseline and candidate in short rounds
        // and report the medians, so both see the same noise.
        const ours: number[] = [];
        const ratios: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const b = opsPerSecond(() => baseline(text), ROUND_MS);
          const v = opsPerSecond(() => fn(text), ROUND_MS);
          bases.push(b);
          ours.push(v);
          ratios.push(v / b);
        }
        rows.push({ bench: 'sdp', metric: `${level} ${label}`, value: median(ours), unit: 'ops/s', baseline: 'sdp-transform', ratio: median(ratios) });
      }
      rows.push({ bench: 'sdp', metric: `sdp-transform parse ${label}`, value: median(bases), unit: 'ops/s' });
    }
    if (sink === -1) console.log(sink);
    return rows;
  },
};
