import { describe, expect, it } from 'vitest';
import { countSrtp, srtpDropped, srtpPackets } from '../../../src/metrics/srtp.ts';
import { bytes, bytesOf, pair, rtp } from './helpers.ts';

describe('SRTP metrics', () => {
  it('counts successes and drops per reason', async () => {
    const { tx, rx } = pair('AEAD_AES_256_GCM');
    const p = bytesOf(tx.protectRtp(rtp(1, 1, bytes(20, 1))));
    countSrtp(rx.unprotectRtp(p), 'unprotect', 'rtp');
    countSrtp(rx.unprotectRtp(p), 'unprotect', 'rtp');
    countSrtp(rx.unprotectRtp(p.subarray(0, 5)), 'unprotect', 'rtp');
    const ok = (await srtpPackets.get()).values.find((v) => v.labels.direction === 'unprotect' && v.labels.protocol === 'rtp');
    const replay = (await srtpDropped.get()).values.find((v) => v.labels.reason === 'replay');
    const truncated = (await srtpDropped.get()).values.find((v) => v.labels.reason === 'truncated');
    expect(ok?.value).toBe(1);
    expect(replay?.value).toBe(1);
    expect(truncated?.value).toBe(1);
  });
});
