/**
 * A stand-in for the gateway's browser leg, for testing the join page alone: the real embedded
 * SIP engine on a WSS listener (src/adapters/sip-net, `startSipEngine`), and per INVITE one of
 *   - reject with a status, reason and Warning text (e.g. the crypto policy's 488),
 *   - answer with a werift peer that echoes the guest's audio and video back (DTLS server,
 *     `a=setup:passive`, SRTP by the project's core via installCoreSrtp - the same pieces the
 *     gateway's WebRTC leg uses), loopback-only ICE,
 *   - answer with an SDP the browser cannot use.
 * It records what arrived so tests can check the INVITE independently of the page.
 */
import { RTCPeerConnection } from 'werift';
import { createDevCertificate } from '../../../src/adapters/http/dev-certificate.ts';
import { startSipEngine } from '../../../src/adapters/sip-net/start.ts';
import type { RunningSipEngine } from '../../../src/adapters/sip-net/start.ts';
import { answerAsDtlsServer } from '../../../src/adapters/webrtc/dtls-server-role.ts';
import type { DialogEnded, IncomingInvite } from '../../../src/ports/signalling-backend.ts';

export type InviteHandling =
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string; readonly warning?: string }
  | { readonly kind: 'echo' }
  /** Never answer (the guest stays in "calling" until it cancels). */
  | { readonly kind: 'ring' }
  | { readonly kind: 'bad-answer'; readonly sdp: string };

/** Decides per INVITE; tests may inspect the offer (e.g. reject one without a=fingerprint). */
export type InvitePolicy = (invite: IncomingInvite) => InviteHandling;

export interface WssGateway {
  readonly wssUrl: string;
  readonly invites: IncomingInvite[];
  readonly ended: DialogEnded[];
  /** Dialog ids of INVITEs the guest cancelled (the engine answered 487). */
  readonly cancelled: string[];
  /** Errors in the stand-in itself (should stay empty). */
  readonly failures: string[];
  policy: InvitePolicy;
  waitForEnded(dialogId: string, timeoutMs?: number): Promise<DialogEnded>;
  /** The gateway hangs up: BYE in the dialog (RFC 3261 15.1.1). */
  hangUp(dialogId: string): Promise<number>;
  stop(): Promise<void>;
}

const LOOPBACK = {
  iceUseIpv4: true,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceFilterCandidatePair: (p: { localCandidate: { host: string }; remoteCandidate: { host: string } }) =>
    p.localCandidate.host === '127.0.0.1' && p.remoteCandidate.host === '127.0.0.1',
};

export async function startWssGateway(policy: InvitePolicy): Promise<WssGateway> {
  const cert = await createDevCertificate();
  const engine: RunningSipEngine = await startSipEngine({
    listen: [{ transport: 'wss', host: '127.0.0.1', port: 0 }],
    tls: { cert: cert.cert, key: cert.key },
  });
  const port = engine.addresses[0]?.local.port ?? 0;
  const peers = new Map<string, RTCPeerConnection>();
  const gw: WssGateway = {
    wssUrl: `wss://127.0.0.1:${port}`,
    invites: [],
    ended: [],
    cancelled: [],
    failures: [],
    policy,
    waitForEnded: (dialogId, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const found = gw.ended.find((e) => e.dialogId === dialogId);
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`dialog ${dialogId} did not end within ${timeoutMs} ms`)), timeoutMs);
        const on = (e: DialogEnded): void => {
          if (e.dialogId !== dialogId) return;
          clearTimeout(timer);
          engine.backend.off('ended', on);
          resolve(e);
        };
        engine.backend.on('ended', on);
      }),
    hangUp: async (dialogId) => (await engine.backend.request(dialogId, 'BYE')).status,
    stop: async () => {
      for (const pc of peers.values()) await pc.close().catch(() => undefined);
      await engine.stop();
    },
  };
  engine.backend.on('ended', (e) => {
    gw.ended.push(e);
    void peers.get(e.dialogId)?.close();
  });
  engine.backend.on('cancelled', (c) => gw.cancelled.push(c.dialogId));
  engine.backend.on('invite', (invite) => {
    gw.invites.push(invite);
    handle(invite).catch((err: unknown) => gw.failures.push(String(err)));
  });

  async function handle(invite: IncomingInvite): Promise<void> {
    const h = gw.policy(invite);
    if (h.kind === 'reject') return engine.backend.reject(invite.requestId, h.status, h.reason, h.warning);
    if (h.kind === 'ring') return;
    if (h.kind === 'bad-answer') return engine.backend.answer(invite.requestId, { sdp: h.sdp });
    if (invite.sdp === null) return engine.backend.reject(invite.requestId, 488, 'Not Acceptable Here', 'INVITE without an SDP offer');
    const pc = new RTCPeerConnection(LOOPBACK as ConstructorParameters<typeof RTCPeerConnection>[0]);
    peers.set(invite.dialogId, pc);
    // Echo: whatever the guest sends on a transceiver goes straight back on it.
    pc.onTransceiverAdded.subscribe((t) => {
      void t.onTrack.asPromise().then(([track]) => t.sender.replaceTrack(track));
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: invite.sdp });
    for (const t of pc.getTransceivers()) t.setDirection('sendrecv');
    answerAsDtlsServer(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
    });
    const sdp = pc.localDescription?.sdp;
    if (sdp === undefined) throw new Error('werift produced no answer');
    await engine.backend.answer(invite.requestId, { sdp });
  }

  return gw;
}
