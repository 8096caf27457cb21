/**
 * werift-shaped SRTP/SRTCP sessions backed by the Gatehouse SRTP core (src/core/srtp).
 *
 * werift's RTCDtlsTransport calls exactly four methods on `transport.srtp` / `transport.srtcp`:
 *   srtp.encrypt(payload, header) -> Buffer      srtp.decrypt(packet) -> Buffer
 *   srtcp.encrypt(rtcp) -> Buffer                srtcp.decrypt(packet) -> Buffer
 * and drops an incoming packet (without crashing its receive loop) when decrypt throws
 * werift's SrtpAuthenticationError. So every drop reason of our core becomes that error; the
 * error objects are made once per reason, because a flood of forged packets should not cost a
 * stack trace each. Every result is counted in src/metrics/srtp.ts.
 */
import { SrtpAuthenticationError } from 'werift';
import type { RtpHeader } from 'werift';
import type { SrtpDropReason, SrtpSession } from '../../core/srtp/index.ts';
import { SRTP_DROP_REASONS } from '../../core/srtp/index.ts';
import { countSrtp } from '../../metrics/srtp.ts';

const DROP_ERRORS: ReadonlyMap<SrtpDropReason, SrtpAuthenticationError> = new Map(
  SRTP_DROP_REASONS.map((r) => [r, new SrtpAuthenticationError(`gatehouse srtp: ${r}`)]),
);

function dropError(reason: SrtpDropReason): SrtpAuthenticationError {
  return DROP_ERRORS.get(reason) ?? new SrtpAuthenticationError(`gatehouse srtp: ${reason}`);
}

/** Local key protects what we send, remote key unprotects what we receive (RFC 5764 s4.2). */
export class CoreSrtpSession {
  readonly outbound: SrtpSession;
  readonly inbound: SrtpSession;

  constructor(outbound: SrtpSession, inbound: SrtpSession) {
    this.outbound = outbound;
    this.inbound = inbound;
  }

  encrypt(payload: Buffer, header: RtpHeader): Buffer {
    const head = header.serialize(header.serializeSize);
    const plain = Buffer.concat([head, payload]);
    const r = countSrtp(this.outbound.protectRtp(plain), 'protect', 'rtp');
    // werift's sendRtp() catches, logs "failed to send" and reports 0 bytes
    if (!r.ok) throw dropError(r.reason);
    return r.out;
  }

  decrypt = (packet: Buffer): Buffer => {
    const r = countSrtp(this.inbound.unprotectRtp(packet), 'unprotect', 'rtp');
    if (!r.ok) throw dropError(r.reason);
    return r.out;
  };
}

export class CoreSrtcpSession {
  readonly outbound: SrtpSession;
  readonly inbound: SrtpSession;

  constructor(outbound: SrtpSession, inbound: SrtpSession) {
    this.outbound = outbound;
    this.inbound = inbound;
  }

  encrypt(rtcp: Buffer): Buffer {
    const r = countSrtp(this.outbound.protectRtcp(rtcp), 'protect', 'rtcp');
    if (!r.ok) throw dropError(r.reason);
    return r.out;
  }

  decrypt = (packet: Buffer): Buffer => {
    const r = countSrtp(this.inbound.unprotectRtcp(packet), 'unprotect', 'rtcp');
    if (!r.ok) throw dropError(r.reason);
    return r.out;
  };
}
