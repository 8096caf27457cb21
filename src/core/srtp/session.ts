/**
 * An SRTP/SRTCP session: one or more master keys of one suite, and per-SSRC stream state for
 * each direction (pion/srtp `Context` style: bytes in, bytes out, no sockets, no clock).
 *
 * Per packet (RFC 3711 s3.3 / s3.4, RFC 7714 s8-9):
 *   protect:   header check -> index (ROC estimate, s3.3.1) -> refuse reuse of an index ->
 *              lifetime -> transform -> update stream state
 *   unprotect: length/header checks -> MKI -> index estimate -> replay check (s3.3.2) ->
 *              lifetime -> authenticate + decrypt -> only then update ROC/window/counters
 * State changes only after authentication, so forged packets cannot move the ROC, poison the
 * replay window, create streams or spend the key's lifetime.
 */
import { GatehouseError } from '../errors.ts';
import { validateConfig } from './config.ts';
import type { SrtpSessionConfig, ValidatedConfig } from './config.ts';
import { MasterKey } from './master-key.ts';
import { ReplayWindow } from './replay-window.ts';
import { DROP } from './result.ts';
import type { SrtpResult } from './result.ts';
import { estimateRoc } from './roc.ts';
import { readU16, readU32, rtpHeaderLength, rtpVersionOk } from './rtp-header.ts';
import type { SrtpSuite } from './suites.ts';

const MAX_INDEX = 2 ** 48; // 48-bit SRTP packet index
const MAX_RTCP_INDEX = 0x7fffffff; // 31-bit SRTCP index

interface OutRtcpStream {
  next: number;
}

function result(out: Buffer, length: number): SrtpResult {
  return { ok: true, length, out };
}

const NO_OCTETS = Buffer.alloc(0);

/** SrtpOk, writable: the one a session reuses for calls that pass their own `out` buffer. */
interface ReusedOk {
  readonly ok: true;
  length: number;
  out: Buffer;
}

export class SrtpSession {
  readonly suite: SrtpSuite;
  private readonly cfg: ValidatedConfig;
  private readonly keys: readonly MasterKey[];
  private active: MasterKey;
  /**
   * Calls that pass `out` (the relay: one per packet) get this object back, refilled, instead of
   * a new one: no allocation per packet. Its fields are valid until the session's next call with
   * `out`; a caller that keeps a result copies what it needs first.
   */
  private readonly reusedOk: ReusedOk = { ok: true, length: 0, out: NO_OCTETS };
  private readonly outRtp = new Map<number, ReplayWindow>();
  private readonly inRtp = new Map<number, ReplayWindow>();
  private readonly outRtcp = new Map<number, OutRtcpStream>();
  private readonly inRtcp = new Map<number, ReplayWindow>();
  /**
   * The last RTP stream looked up in each direction: a leg carries one SSRC per direction, so
   * this saves a Map lookup per packet. Streams are never removed, so the cache cannot go stale.
   */
  private lastOutSsrc = -1;
  private lastOut: ReplayWindow | undefined = undefined;
  private lastInSsrc = -1;
  private lastIn: ReplayWindow | undefined = undefined;

  constructor(config: SrtpSessionConfig) {
    this.cfg = validateConfig(config);
    this.suite = this.cfg.suite;
    this.keys = this.cfg.keys.map((k) => new MasterKey(this.suite, k.masterKey, k.masterSalt, k.mki, k.lifetime, this.cfg.kdr));
    this.active = this.keys[0] as MasterKey;
  }

  private finish(dst: Buffer, length: number, reuse: boolean): SrtpResult {
    if (!reuse) return result(dst, length);
    const r = this.reusedOk;
    r.length = length;
    r.out = dst;
    return r;
  }

  /**
   * Protects an RTP packet. out (optional) needs packet.length + tag (+ MKI) octets; with out,
   * the result object is the session's reused one (see `reusedOk`).
   */
  protectRtp(packet: Uint8Array, out?: Buffer): SrtpResult {
    if (packet.length < 12) return DROP.truncated;
    if (!rtpVersionOk(packet)) return DROP['bad-header'];
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0) return DROP.truncated;
    const key = this.active;
    const length = packet.length + this.suite.rtpTagLength + this.cfg.mkiLength;
    const dst = out ?? Buffer.allocUnsafe(length);
    if (dst.length < length) return DROP['buffer-too-small'];
    const ssrc = readU32(packet, 8);
    const seq = readU16(packet, 2);
    let w = ssrc === this.lastOutSsrc ? this.lastOut : this.outRtp.get(ssrc);
    let index: number;
    if (w === undefined) {
      if (this.outRtp.size >= this.cfg.maxStreams) return DROP['too-many-streams'];
      index = this.cfg.initialRoc * 0x10000 + seq;
    } else {
      index = this.estimate(w, seq);
      const verdict = w.check(index);
      if (verdict !== 'new' && !(this.cfg.allowRepeatTx && verdict === 'replay')) return DROP[verdict];
    }
    if (index >= MAX_INDEX || key.exhausted(key.sent, false)) return DROP['lifetime-exceeded'];
    const roc = Math.floor(index / 0x10000);
    const k = key.rtpKeys(index);
    const n = k.transform.protectRtp(k, packet, headerLength, ssrc, roc, seq, key.mki, dst);
    if (w === undefined) {
      w = new ReplayWindow(this.cfg.replayWindow);
      this.outRtp.set(ssrc, w);
    }
    this.lastOutSsrc = ssrc;
    this.lastOut = w;
    w.accept(index);
    key.sent.srtp++;
    return this.finish(dst, n, out !== undefined);
  }

  /** Verifies and decrypts an SRTP packet. out (optional) needs packet.length - tag - MKI octets. */
  unprotectRtp(packet: Uint8Array, out?: Buffer): SrtpResult {
    const len = packet.length;
    if (len < 12) return DROP.truncated;
    if (!rtpVersionOk(packet)) return DROP['bad-header'];
    const headerLength = rtpHeaderLength(packet);
    const tagLength = this.suite.rtpTagLength;
    const mkiLength = this.cfg.mkiLength;
    if (headerLength < 0 || len < headerLength + tagLength + mkiLength) return DROP.truncated;
    // AES-CM: ... | MKI | tag;  GCM: ... | tag | MKI
    const mkiOffset = this.suite.aead ? len - mkiLength : len - tagLength - mkiLength;
    const tagOffset = this.suite.aead ? len - mkiLength - tagLength : len - tagLength;
    const payloadEnd = len - tagLength - mkiLength;
    const key = mkiLength === 0 ? this.active : this.keyByMki(packet, mkiOffset);
    if (key === null) return DROP['unknown-mki'];
    const ssrc = readU32(packet, 8);
    const seq = readU16(packet, 2);
    const w = ssrc === this.lastInSsrc ? this.lastIn : this.inRtp.get(ssrc);
    let index: number;
    if (w === undefined) {
      if (this.inRtp.size >= this.cfg.maxStreams) return DROP['too-many-streams'];
      index = this.cfg.initialRoc * 0x10000 + seq;
    } else {
      index = this.estimate(w, seq);
      const verdict = w.check(index);
      if (verdict !== 'new') return DROP[verdict];
    }
    if (index >= MAX_INDEX || key.exhausted(key.received, false)) return DROP['lifetime-exceeded'];
    const dst = out ?? Buffer.allocUnsafe(payloadEnd);
    if (dst.length < payloadEnd) return DROP['buffer-too-small'];
    const roc = Math.floor(index / 0x10000);
    const k = key.rtpKeys(index);
    if (!k.transform.unprotectRtp(k, packet, headerLength, payloadEnd, tagOffset, ssrc, roc, seq, dst)) {
      return DROP['auth-failed'];
    }
    if (w === undefined) {
      const nw = new ReplayWindow(this.cfg.replayWindow);
      nw.accept(index);
      this.inRtp.set(ssrc, nw);
      this.lastIn = nw;
    } else {
      w.accept(index);
      this.lastIn = w;
    }
    this.lastInSsrc = ssrc;
    key.received.srtp++;
    return this.finish(dst, payloadEnd, out !== undefined);
  }

  /** Protects (and always encrypts, E=1) an RTCP compound packet. */
  protectRtcp(packet: Uint8Array, out?: Buffer): SrtpResult {
    if (packet.length < 8) return DROP.truncated;
    if (!rtpVersionOk(packet)) return DROP['bad-header'];
    const key = this.active;
    const length = packet.length + this.suite.rtcpTagLength + 4 + this.cfg.mkiLength;
    const dst = out ?? Buffer.allocUnsafe(length);
    if (dst.length < length) return DROP['buffer-too-small'];
    const ssrc = readU32(packet, 4);
    let s = this.outRtcp.get(ssrc);
    if (s === undefined) {
      if (this.outRtcp.size >= this.cfg.maxStreams) return DROP['too-many-streams'];
      // RFC 3711 s3.4: the SRTCP index starts at zero
      s = { next: 0 };
      this.outRtcp.set(ssrc, s);
    }
    const index = s.next;
    if (index > MAX_RTCP_INDEX || key.exhausted(key.sent, true)) return DROP['lifetime-exceeded'];
    const k = key.rtcpKeys(index);
    const n = k.transform.protectRtcp(k, packet, ssrc, index, key.mki, dst);
    s.next = index + 1;
    key.sent.srtcp++;
    return this.finish(dst, n, out !== undefined);
  }

  /** Verifies and (when E=1) decrypts an SRTCP packet. */
  unprotectRtcp(packet: Uint8Array, out?: Buffer): SrtpResult {
    const len = packet.length;
    const tagLength = this.suite.rtcpTagLength;
    const mkiLength = this.cfg.mkiLength;
    if (len < 8 + 4 + tagLength + mkiLength) return DROP.truncated;
    if (!rtpVersionOk(packet)) return DROP['bad-header'];
    // AES-CM: body | E+index | MKI | tag;  GCM: body | tag | E+index | MKI
    let tagOffset: number;
    let trailerOffset: number;
    let mkiOffset: number;
    let bodyEnd: number;
    if (this.suite.aead) {
      mkiOffset = len - mkiLength;
      trailerOffset = mkiOffset - 4;
      tagOffset = trailerOffset - tagLength;
      bodyEnd = tagOffset;
    } else {
      tagOffset = len - tagLength;
      mkiOffset = tagOffset - mkiLength;
      trailerOffset = mkiOffset - 4;
      bodyEnd = trailerOffset;
    }
    const key = mkiLength === 0 ? this.active : this.keyByMki(packet, mkiOffset);
    if (key === null) return DROP['unknown-mki'];
    const trailer = readU32(packet, trailerOffset);
    const encrypted = trailer >>> 31 === 1;
    const index = trailer & MAX_RTCP_INDEX;
    const ssrc = readU32(packet, 4);
    const w = this.inRtcp.get(ssrc);
    if (w === undefined) {
      if (this.inRtcp.size >= this.cfg.maxStreams) return DROP['too-many-streams'];
    } else {
      const verdict = w.check(index);
      if (verdict !== 'new') return DROP[verdict];
    }
    if (key.exhausted(key.received, true)) return DROP['lifetime-exceeded'];
    const dst = out ?? Buffer.allocUnsafe(bodyEnd);
    if (dst.length < bodyEnd) return DROP['buffer-too-small'];
    const k = key.rtcpKeys(index);
    if (!k.transform.unprotectRtcp(k, packet, bodyEnd, tagOffset, trailerOffset, ssrc, index, encrypted, dst)) {
      return DROP['auth-failed'];
    }
    if (w === undefined) {
      const nw = new ReplayWindow(this.cfg.replayWindow);
      nw.accept(index);
      this.inRtcp.set(ssrc, nw);
    } else {
      w.accept(index);
    }
    key.received.srtcp++;
    return this.finish(dst, bodyEnd, out !== undefined);
  }

  /**
   * Switches the master key used by protect to the one with this MKI (RFC 3711 s8.1
   * re-keying). Unknown MKI is a configuration error.
   */
  useKey(mki: Uint8Array): void {
    const k = this.keys.find((key) => key.mki !== null && Buffer.compare(key.mki, mki) === 0);
    if (k === undefined) throw new GatehouseError('config', 'SRTP_UNKNOWN_MKI', 'no master key of this session has that MKI');
    this.active = k;
  }

  /**
   * The highest authenticated packet index per inbound RTP stream (RFC 3711 3.3.1: ROC * 2^16 +
   * SEQ), so another instance can continue decrypting a stream whose ROC is past 0 (takeover).
   */
  inboundIndexes(): { readonly ssrc: number; readonly index: number }[] {
    const out: { ssrc: number; index: number }[] = [];
    for (const [ssrc, w] of this.inRtp) if (w.highest >= 0) out.push({ ssrc, index: w.highest });
    return out;
  }

  /**
   * Continues an inbound stream another session authenticated up to `index` (takeover): its
   * next packets are indexed from there (RFC 3711 Appendix A estimation), not from ROC 0.
   * Only for a stream this session has not seen yet; `index` itself counts as received.
   */
  primeInbound(ssrc: number, index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_INDEX) throw new GatehouseError('config', 'SRTP_BAD_INDEX', 'SRTP index must be 0..2^48-1');
    const key = ssrc >>> 0;
    if (this.inRtp.has(key)) return;
    if (this.inRtp.size >= this.cfg.maxStreams) throw new GatehouseError('config', 'SRTP_TOO_MANY_STREAMS', 'cannot prime another inbound stream: maxStreams reached');
    const w = new ReplayWindow(this.cfg.replayWindow);
    w.accept(index);
    this.inRtp.set(key, w);
  }

  /** Sets the next SRTCP index protect will use for an SSRC (continuing a stream, tests). */
  setOutboundRtcpIndex(ssrc: number, next: number): void {
    if (!Number.isSafeInteger(next) || next < 0 || next > MAX_RTCP_INDEX) throw new GatehouseError('config', 'SRTP_BAD_INDEX', 'SRTCP index must be 0..2^31-1');
    this.outRtcp.set(ssrc >>> 0, { next });
  }

  /** Packets the active master key may still protect or authenticate (lifetime minus use). */
  remainingPackets(): number {
    return this.active.remaining();
  }

  /** RFC 3711 Appendix A applied to a stream's highest index. */
  private estimate(w: ReplayWindow, seq: number): number {
    const top = w.highest;
    const roc = Math.floor(top / 0x10000);
    const v = estimateRoc(roc, top % 0x10000, seq);
    return v * 0x10000 + seq;
  }

  private keyByMki(packet: Uint8Array, offset: number): MasterKey | null {
    for (const k of this.keys) if (k.matchesMki(packet, offset)) return k;
    return null;
  }
}

/** Creates a session; throws GatehouseError('config', ...) on invalid configuration only. */
export function createSrtpSession(config: SrtpSessionConfig): SrtpSession {
  return new SrtpSession(config);
}
