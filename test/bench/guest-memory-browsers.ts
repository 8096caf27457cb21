/**
 * Browsers for the `guest-memory` bench (forked by guest-memory-gateway.ts): werift
 * RTCPeerConnections on 127.0.0.1 acting as Chromium does towards the gateway: full ICE
 * (controlling), a=setup:actpass, an audio and a video transceiver (sendrecv), use_srtp in
 * Chromium's order 0x0001, 0x0007, 0x0008 (so the gateway, DTLS server, picks by its policy:
 * 0x0008 AEAD_AES_256_GCM, RFC 7714 s14.2). SRTP on this side is the project's core too
 * (ensureCoreSrtp): werift's own has no AES-256-GCM.
 *
 * Traffic: one 20 ms Opus packet (RFC 7587: mono libopus frames, timestamps +960) per peer
 * every 20 ms, from 50 frames of a 440 Hz tone encoded once with opusscript and replayed.
 * Received RTP is counted per peer (decrypted here with the negotiated suite, so it is
 * independent of the gateway's own counters). Protocol: guest-memory-protocol.ts.
 */
import OpusScript from 'opusscript';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { ensureCoreSrtp, setTransportSrtpProfiles } from '../../src/adapters/webrtc/werift-srtp-hook.ts';
import type { BrowserReply, BrowserRequest } from './guest-memory-protocol.ts';

const CHROMIUM_ORDER = [0x0001, 0x0007, 0x0008];
const BROWSER = {
  iceServers: [],
  iceUseIpv4: true,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
} as unknown as ConstructorParameters<typeof RTCPeerConnection>[0];
const CONNECT_TIMEOUT_MS = 60_000;
const FRAME_MS = 20;
const OPUS_TS_STEP = 960; // 20 ms at the 48 kHz RTP clock of Opus (RFC 7587 s4.1)

interface Peer {
  readonly pc: RTCPeerConnection;
  readonly track: MediaStreamTrack;
  readonly ssrc: number;
  pt: number;
  seq: number;
  ts: number;
  received: number;
}

const peers: Peer[] = [];
let pending: Peer[] = [];

function opusFrames(): Buffer[] {
  const rate = 48000;
  const samples = (rate * FRAME_MS) / 1000;
  const enc = new OpusScript(rate, 1, OpusScript.Application.VOIP);
  const frames: Buffer[] = [];
  for (let f = 0; f < 50; f++) {
    const pcm = new Int16Array(samples);
    for (let i = 0; i < samples; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * samples + i)) / rate));
    frames.push(Buffer.from(enc.encode(Buffer.from(pcm.buffer), samples)));
  }
  enc.delete();
  return frames;
}
const FRAMES = opusFrames();

function send(m: BrowserReply): void {
  process.send?.(m);
}

async function create(count: number): Promise<string[]> {
  ensureCoreSrtp();
  const created: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const pc = new RTCPeerConnection(BROWSER);
    const track = new MediaStreamTrack({ kind: 'audio' });
    pc.addTransceiver(track, { direction: 'sendrecv' });
    pc.addTransceiver('video', { direction: 'sendrecv' });
    const peer: Peer = { pc, track, ssrc: (0x10000 + peers.length + created.length) >>> 0, pt: -1, seq: 0, ts: 0, received: 0 };
    pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe(() => void peer.received++));
    await pc.setLocalDescription(await pc.createOffer());
    await until(() => pc.iceGatheringState === 'complete', 10_000, 'ICE gathering');
    for (const t of pc.dtlsTransports) setTransportSrtpProfiles(t, CHROMIUM_ORDER);
    created.push(peer);
  }
  pending = created;
  return created.map((p) => p.pc.localDescription?.sdp ?? '');
}

async function answer(sdps: readonly string[]): Promise<number[]> {
  if (sdps.length !== pending.length) throw new Error(`${sdps.length} answers for ${pending.length} offers`);
  await Promise.all(pending.map((p, i) => p.pc.setRemoteDescription({ type: 'answer', sdp: sdps[i] ?? '' })));
  await until(() => pending.every((p) => p.pc.connectionState === 'connected'), CONNECT_TIMEOUT_MS, 'all peers connected');
  const suites: number[] = [];
  for (const p of pending) {
    const audio = p.pc.getTransceivers().find((t) => t.kind === 'audio');
    const opus = audio?.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    if (opus === undefined) throw new Error('the gateway answer has no Opus for the audio transceiver');
    p.pt = opus.payloadType;
    suites.push(p.pc.dtlsTransports[0]?.dtls?.srtp.srtpProfile ?? 0);
    peers.push(p);
  }
  pending = [];
  return suites;
}

async function traffic(ms: number): Promise<BrowserReply> {
  const before = peers.map((p) => p.received);
  let sent = 0;
  let frame = 0;
  const tick = (): void => {
    const payload = FRAMES[frame++ % FRAMES.length] ?? Buffer.alloc(0);
    for (const p of peers) {
      p.seq = (p.seq + 1) & 0xffff;
      p.ts = (p.ts + OPUS_TS_STEP) >>> 0;
      p.track.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: p.seq, timestamp: p.ts, payloadType: p.pt, ssrc: p.ssrc, marker: frame === 1 }), payload));
      sent++;
    }
  };
  // paced against the monotonic clock: late wake-ups send the missed frames, as a browser would
  const start = performance.now();
  let due = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      while (due * FRAME_MS <= Math.min(elapsed, ms)) {
        tick();
        due++;
      }
      if (elapsed >= ms) {
        clearInterval(timer);
        resolve();
      }
    }, FRAME_MS / 2);
  });
  // counted over the sending window only: a mixing room keeps sending its (silent) mix after it
  const got = peers.map((p, i) => p.received - (before[i] ?? 0));
  return { type: 'sent', sent, received: got.reduce((a, b) => a + b, 0), silentPeers: got.filter((g) => g === 0).length };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

process.on('message', (m: BrowserRequest) => {
  void (async () => {
    try {
      if (m.type === 'create') send({ type: 'offers', sdps: await create(m.count) });
      else if (m.type === 'answers') send({ type: 'connected', suites: await answer(m.sdps) });
      else if (m.type === 'send') send(await traffic(m.ms));
      else if (m.type === 'close') {
        await Promise.all(peers.splice(0).map((p) => p.pc.close().catch(() => undefined)));
        send({ type: 'closed' });
      } else {
        await Promise.all(peers.map((p) => p.pc.close().catch(() => undefined)));
        process.exit(0);
      }
    } catch (err) {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
