import { describe, expect, it } from 'vitest';
import { RtpHeaderView, parseRtpHeaderInto, serializeRtp } from '../../../src/core/rtp/rtp-packet.ts';
import { RtpStreamRewriter, type RtpRewriteOutcome } from '../../../src/core/rtp/rtp-stream-rewriter.ts';

function packet(ssrc: number, seq: number, ts: number, marker = false): Uint8Array {
  return serializeRtp({ marker, payloadType: 0, sequenceNumber: seq, timestamp: ts, ssrc, csrcs: [], extension: null, payload: new Uint8Array(160), paddingLength: 0 });
}

interface Out {
  outcome: RtpRewriteOutcome;
  ssrc: number;
  seq: number;
  ts: number;
  marker: boolean;
}

function feed(rw: RtpStreamRewriter, bytes: Uint8Array, nowMs: number): Out {
  const view = new RtpHeaderView();
  expect(parseRtpHeaderInto(bytes, view)).toBeNull();
  const outcome = rw.rewrite(bytes, view, nowMs);
  parseRtpHeaderInto(bytes, view);
  return { outcome, ssrc: view.ssrc, seq: view.sequenceNumber, ts: view.timestamp, marker: view.marker };
}

const OUT_SSRC = 0xcafebabe;

describe('RtpStreamRewriter (RFC 7667 3.5 media-switching mixer, RFC 3550 5.1 continuity)', () => {
  it('maps one source onto the outgoing SSRC with fixed offsets, keeping gaps visible', () => {
    const rw = new RtpStreamRewriter({ ssrc: OUT_SSRC, clockRate: 8000, initialSequence: 1000, initialTimestamp: 50_000 });
    expect(feed(rw, packet(1, 65534, 4_294_967_000), 0)).toEqual({ outcome: 'forwarded', ssrc: OUT_SSRC, seq: 1000, ts: 50_000, marker: false });
    expect(feed(rw, packet(1, 65535, 4_294_967_160), 20)).toMatchObject({ seq: 1001, ts: 50_160 });
    // source seq and timestamp wrap; one packet (seq 0) lost: the gap stays
    expect(feed(rw, packet(1, 1, (4_294_967_480 >>> 0) % 2 ** 32), 60)).toMatchObject({ seq: 1003, ts: 50_480 });
    expect(rw.currentSource).toBe(1);
  });

  it('keeps sequence numbers contiguous and timestamps monotonic across a source switch', () => {
    const rw = new RtpStreamRewriter({ ssrc: OUT_SSRC, clockRate: 8000, initialSequence: 65535, initialTimestamp: 4_294_967_200, markOnSwitch: true });
    feed(rw, packet(1, 10, 1000), 0);
    const last = feed(rw, packet(1, 11, 1160), 20);
    expect(last).toMatchObject({ seq: 0, ts: (4_294_967_200 + 160) % 2 ** 32 });
    // a different source with unrelated numbering takes over 100 ms later
    const sw = feed(rw, packet(2, 40_000, 123_456_789), 120);
    expect(sw).toMatchObject({ outcome: 'switched', ssrc: OUT_SSRC, seq: 1, marker: true });
    expect(sw.ts).toBe((last.ts + 800) >>> 0); // 100 ms at 8 kHz
    expect(feed(rw, packet(2, 40_001, 123_456_949), 140)).toMatchObject({ outcome: 'forwarded', seq: 2, ts: (sw.ts + 160) >>> 0, marker: false });
  });

  it('advances the timestamp by at least one tick on a switch without elapsed time', () => {
    const rw = new RtpStreamRewriter({ ssrc: OUT_SSRC, clockRate: 90_000, initialSequence: 0, initialTimestamp: 0 });
    feed(rw, packet(1, 5, 5), 0);
    expect(feed(rw, packet(2, 9, 9), 0)).toMatchObject({ outcome: 'switched', seq: 1, ts: 1 });
  });

  it('drops packets of the new source that are older than its first forwarded packet', () => {
    const rw = new RtpStreamRewriter({ ssrc: OUT_SSRC, clockRate: 8000, initialSequence: 100, initialTimestamp: 0 });
    feed(rw, packet(1, 500, 0), 0);
    feed(rw, packet(2, 10, 0), 20); // switch: out seq 101
    const stale = packet(2, 9, 0);
    const before = Buffer.from(stale);
    const view = new RtpHeaderView();
    parseRtpHeaderInto(stale, view);
    expect(rw.rewrite(stale, view, 25)).toBe('stale');
    expect(Buffer.from(stale).equals(before)).toBe(true);
    // reordering after the switch point is still forwarded with its own slot
    feed(rw, packet(2, 12, 320), 60);
    expect(feed(rw, packet(2, 11, 160), 61)).toMatchObject({ outcome: 'forwarded', seq: 102 });
  });

  it('resetSource() starts a new epoch for the same SSRC (re-joined leg)', () => {
    const rw = new RtpStreamRewriter({ ssrc: OUT_SSRC, clockRate: 8000, initialSequence: 0, initialTimestamp: 0 });
    feed(rw, packet(7, 100, 8000), 0);
    rw.resetSource();
    expect(feed(rw, packet(7, 5, 0), 20)).toMatchObject({ outcome: 'switched', seq: 1, ts: 160 });
  });

  it('maps NACKed outgoing sequence numbers back to the source (RFC 4585 6.2.1)', () => {
    const rw = new RtpStreamRewriter({ ssrc: OUT_SSRC, clockRate: 8000, initialSequence: 300, initialTimestamp: 0 });
    expect(rw.toSourceSequence(300)).toBeNull();
    feed(rw, packet(1, 65535, 0), 0);
    feed(rw, packet(1, 2, 480), 60);
    expect(rw.toSourceSequence(300)).toBe(65535);
    expect(rw.toSourceSequence(302)).toBe(1);
    expect(rw.toSourceSequence(299)).toBeNull(); // before the epoch
    expect(rw.toSourceSequence(310)).toBeNull(); // not sent yet
  });
});
