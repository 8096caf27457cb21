/**
 * The DTLS-SRTP associations of a DTLS-SRTP SIP leg over plain UDP (dtls-udp-leg.ts) and the
 * SRTP contexts they key (RFC 5763/5764): the project's SRTP core with the keys exported from
 * the handshake (RFC 5764 s4.2), so every profile of the core is available, 0x0008
 * AEAD_AES_256_GCM included, in the policy's order when we are DTLS server.
 *
 * Role (crypto-policy dtls-select.ts): we answer a=setup:passive and are DTLS server unless the
 * offer is passive; then we answer active and are client. With rtcp-mux (RFC 5761) one
 * association covers RTP and RTCP; without it, the RTCP port runs its own association whose
 * SRTCP keys protect RTCP (RFC 5764 s4.2). A failed RTCP association leaves RTP working.
 * Each keyed component gets a source latch that starts at the address the handshake ran with:
 * that source proved the fingerprint's key, so it counts as authenticated.
 *
 * Takeover (`resume`, src/app/takeover-dtls.ts): a new owner continues the association the old
 * owner negotiated, with its exported SRTP keys, on new sockets: the leg is keyed at once (the
 * latch starts at the peer's SDP address; what arrives there is authenticated by SRTP with the
 * association's keys; our sender starts a new SSRC with a random sequence number, so the old
 * owner's keystream is not repeated, RFC 3711 8). baresip 1.0 and linphone 5.1 both keep
 * their association across the takeover re-INVITE (baresip refuses a second ClientHello, "dtls
 * already accepted"). A peer that starts a new one instead (RFC 8842 5 asks for it when the
 * address changes) is served when we are DTLS server: its first DTLS datagram starts a component
 * with the stored certificate, and a completed handshake's keys replace the stored ones. As DTLS client
 * we send no ClientHello: it could disturb the association the peer keeps; DTLS datagrams are
 * then dropped (counted 'not-rtp').
 */
import { createSrtpSession, srtpSuite } from '../../core/srtp/index.ts';
import type { SrtpSession } from '../../core/srtp/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { dtlsSrtpProfiles } from '../../metrics/webrtc.ts';
import type { Logger } from '../../ports/logger.ts';
import { SourceLatch } from '../media/source-latch.ts';
import { DtlsUdpComponent } from './dtls-udp-component.ts';
import type { DtlsComponentKeys } from './dtls-udp-component.ts';
import type { DtlsNegotiation, DtlsResumeKeys, DtlsUdpLegOptions } from './dtls-udp-leg-types.ts';

/** The SRTP contexts of one keyed component, and the latch of the source they verify. */
export interface DtlsKeyed {
  readonly srtpIn: SrtpSession;
  readonly srtpOut: SrtpSession;
  readonly latch: SourceLatch;
}

export class DtlsUdpKeying {
  /** The reason the leg failed (fingerprint mismatch, timeout...), or null. */
  failure: GatehouseError | null = null;
  private readonly o: DtlsUdpLegOptions;
  private readonly log: Logger;
  private rtpDtls: DtlsUdpComponent | null;
  private rtcpDtls: DtlsUdpComponent | null;
  /** Resumed as DTLS server: a component starts when the peer's first DTLS datagram comes. */
  private readonly serveLate: boolean;
  private readonly newComponent: (rtcp: boolean) => DtlsUdpComponent;
  private readonly negotiation: Promise<DtlsNegotiation>;
  private rtpKeys: DtlsKeyed | null = null;
  private rtpSecrets: DtlsResumeKeys | null = null;
  private rtcpKeys: DtlsKeyed | null = null;

  constructor(o: DtlsUdpLegOptions, log: Logger) {
    this.o = o;
    this.log = log;
    const strictSource = (o.latching?.mode ?? 'symmetric') === 'strict';
    const common = { role: o.role, profiles: o.profiles, remoteFingerprints: o.remoteFingerprints, identity: o.identity, strictSource, handshakeTimeoutMs: o.handshakeTimeoutMs ?? 20_000 };
    this.newComponent = (rtcp) => {
      const socket = rtcp ? o.ports.rtcp : o.ports.rtp;
      if (socket === null) throw new GatehouseError('internal', 'DTLS_NO_RTCP_SOCKET', 'no RTCP socket with rtcp-mux');
      return new DtlsUdpComponent({ ...common, socket, remote: { address: o.remote.address, port: rtcp ? o.remote.rtcpPort : o.remote.rtpPort } });
    };
    this.serveLate = o.resume !== undefined && o.role === 'server';
    if (o.resume !== undefined) {
      this.rtpDtls = null;
      this.rtcpDtls = null;
      const r = o.resume;
      const at = { peerAddress: o.remote.address, peerPort: o.remote.rtpPort, profile: srtpSuite(r.suite).dtlsProfile ?? 0, peerProfiles: undefined };
      this.negotiation = Promise.resolve(this.install({ ...at, suite: r.suite, local: r.local, remote: r.remote }, true, 'resumed'));
      return;
    }
    const rtpDtls = this.newComponent(false);
    this.rtpDtls = rtpDtls;
    this.rtcpDtls = o.ports.rtcp === null ? null : this.newComponent(true);
    this.negotiation = rtpDtls.done.then(
      (k) => this.install(k, true),
      (err: GatehouseError) => {
        this.failure = err;
        this.log.warn({ code: err.code }, 'DTLS-SRTP leg failed');
        throw err;
      },
    );
    this.negotiation.catch(() => {});
    this.rtcpDtls?.done.then(
      (k) => void this.install(k, false),
      (err: GatehouseError) => this.log.warn({ code: err.code }, 'DTLS-SRTP association on the RTCP port failed; RTCP stays off'),
    );
  }

  /** Resolves once RTP is keyed; rejects (DtlsLegError) on fingerprint mismatch, timeout, no common profile... */
  negotiated(): Promise<DtlsNegotiation> {
    return this.negotiation;
  }

  /** The RTP association's SRTP keys once keyed (for the call record; never log them). */
  srtpKeys(): DtlsResumeKeys | null {
    return this.rtpSecrets;
  }

  /** Which ports have SRTP keys (RTCP: the muxed RTP keys, or the RTCP port's own association). */
  get keyed(): { readonly rtp: boolean; readonly rtcp: boolean } {
    return { rtp: this.rtpKeys !== null, rtcp: this.o.ports.rtcp === null ? this.rtpKeys !== null : this.rtcpKeys !== null };
  }

  /** The keys that verify SRTP/SRTCP arriving on this socket, or null before its handshake finished. */
  receiveKeys(rtcpSocket: boolean): DtlsKeyed | null {
    // without rtcp-mux, SRTCP is keyed by the RTCP port's own association (RFC 5764 s4.2)
    return rtcpSocket ? this.rtcpKeys : this.rtpKeys;
  }

  /** The keys RTP is sent with. */
  get rtpSendKeys(): DtlsKeyed | null {
    return this.rtpKeys;
  }

  /** The keys RTCP is sent with: the RTP association's with rtcp-mux, else the RTCP port's own. */
  get rtcpSendKeys(): DtlsKeyed | null {
    return this.o.ports.rtcp === null ? this.rtpKeys : this.rtcpKeys;
  }

  /** The component a DTLS datagram on this socket goes to, or null when none may run (dropped). */
  componentFor(rtcpSocket: boolean): DtlsUdpComponent | null {
    return (rtcpSocket ? this.rtcpDtls : this.rtpDtls) ?? this.lateComponent(rtcpSocket);
  }

  private install(k: DtlsComponentKeys, rtp: boolean, how: 'handshake' | 'resumed' | 'renewed' = 'handshake'): DtlsNegotiation {
    const window = this.o.replayWindow === undefined ? {} : { replayWindow: this.o.replayWindow };
    const keyed: DtlsKeyed = {
      srtpIn: createSrtpSession({ suite: k.suite, ...k.remote, ...window }),
      srtpOut: createSrtpSession({ suite: k.suite, ...k.local, ...window }),
      latch: new SourceLatch(k.peerAddress, k.peerPort, this.o.latching),
    };
    if (rtp) {
      this.rtpKeys = keyed;
      this.rtpSecrets = { suite: k.suite, local: k.local, remote: k.remote };
      if (how !== 'resumed') dtlsSrtpProfiles.inc({ kind: 'sip-dtls', suite: k.suite });
      const msg = how === 'resumed' ? 'DTLS-SRTP association resumed with stored keys' : how === 'renewed' ? 'DTLS-SRTP re-keyed by a new handshake after the takeover' : 'DTLS-SRTP keyed';
      this.log.info({ suite: k.suite, role: this.o.role }, msg);
    } else {
      this.rtcpKeys = keyed;
    }
    return { suite: k.suite, profile: k.profile, peerProfiles: k.peerProfiles, role: this.o.role };
  }

  /**
   * Resumed as DTLS server (see the file header): the peer started a new association; its keys
   * replace the stored ones once the handshake has passed every check of DtlsUdpComponent.
   */
  private lateComponent(rtcp: boolean): DtlsUdpComponent | null {
    if (!this.serveLate) return null;
    const c = this.newComponent(rtcp);
    if (rtcp) this.rtcpDtls = c;
    else this.rtpDtls = c;
    c.done.then(
      (k) => void this.install(k, !rtcp, 'renewed'),
      (err: GatehouseError) => this.log.warn({ code: err.code, rtcp }, 'new DTLS handshake after the takeover failed; the stored association goes on'),
    );
    return c;
  }

  close(): void {
    this.rtpDtls?.close();
    this.rtcpDtls?.close();
  }
}
