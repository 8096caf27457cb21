/**
 * Issue 6 video: SIP INFO picture_fast_update (RFC 5168) from a room system becomes a PLI
 * (RFC 4585 6.3.1) to the video source it sees. SIPp plays the room system (SDES audio + VP8
 * video m-lines; it sends no media), baresip the video source already in the room. SIPp waits,
 * sends the INFO (application/media_control+xml) and expects 200.
 *
 * Checked on the wire, independently of the gateway: tshark captures the INFO arriving and
 * what the gateway sent; libsrtp2 decrypts the gateway's SRTCP toward baresip with the key
 * baresip received in our answer; a PLI naming baresip's own video SSRC must FOLLOW the INFO
 * in the capture. (The PLI the gateway sends when SIPp joins, for SIPp's first picture, comes
 * before the INFO: SIPp pauses 1.5 s first, and one source is asked at most every 250 ms.)
 *
 * And the other way: a room system whose video m-line has no a=rtcp-fb (no PLI, no FIR) is
 * asked for key frames by SIP INFO picture_fast_update: when it becomes a receiver's source
 * (baresip joins the room after it), SIPp must receive such an INFO (its ereg checks the body)
 * and answers 200; repeats while the receiver waits are answered by SIPp's -aa.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.ts';
import { Libsrtp } from '../../helpers/media-libsrtp.ts';
import { startRoomGateway, type RoomGateway } from '../../helpers/room-gateway.ts';
import { requireSipp, runSipp, SIPP_FIXTURES } from '../sip/helpers/sipp.ts';
import { baresipVideoStream, VideoWire } from './video-wire.ts';

const ROOM = 'videoinfo';
const ROOM_NO_FB = 'videoinfo2';
const KEY_AUDIO = Buffer.alloc(30, 0x11).toString('base64');
const KEY_VIDEO = Buffer.alloc(30, 0x22).toString('base64');

/** The room system: audio + VP8 video, each with its own SDES key; INFO after 1.5 s. */
const SCENARIO = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="room system asks for a key frame by SIP INFO (RFC 5168)">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "room" <sip:room@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:room@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=room 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/SAVP 0
      a=rtpmap:0 PCMU/8000
      a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_AUDIO}
      a=sendrecv
      m=video [media_port+2] RTP/SAVP 96
      a=rtpmap:96 VP8/90000
      a=rtcp-fb:* nack pli
      a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_VIDEO}
      a=sendrecv
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="m=video [1-9][0-9]* RTP/SAVP 96" search_in="body" check_it="true" assign_to="vline"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: "room" <sip:room@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="1500"/>
  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: "room" <sip:room@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 INFO
      Max-Forwards: 70
      Content-Type: application/media_control+xml
      Content-Length: [len]

      <?xml version="1.0" encoding="utf-8" ?>
      <media_control>
        <vc_primitive>
          <to_encoder>
            <picture_fast_update/>
          </to_encoder>
        </vc_primitive>
      </media_control>
    ]]>
  </send>
  <recv response="200"/>
  <pause milliseconds="1000"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: "room" <sip:room@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
  <Reference variables="vline"/>
</scenario>
`;

/** A room system without RTCP feedback: the gateway must ask it by INFO. */
const SCENARIO_NO_FB = SCENARIO.replace('      a=rtcp-fb:* nack pli\n', '')
  .replace(/ {2}<pause milliseconds="1500"\/>[\s\S]*<recv response="200"\/>\n {2}<pause milliseconds="1000"\/>/, `  <recv request="INFO">
    <action>
      <ereg regexp="&lt;to_encoder&gt;[[:space:]]*&lt;picture_fast_update" search_in="body" check_it="true" assign_to="pfu"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="1500"/>`)
  .replace('<Reference variables="vline"/>', '<Reference variables="vline,pfu"/>')
  // the last message is now the gateway's INFO (its From/To are the other way round)
  .replace(/(BYE [\s\S]*?)\[last_To:\]/, '$1To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]');

let gw: RoomGateway;
let source: Baresip;
let srtp: Libsrtp;
let dir: string;

beforeAll(async () => {
  requireSipp();
  srtp = Libsrtp.compile();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-video-info-'));
  writeFileSync(join(dir, 'uac-room-info-pfu.xml'), SCENARIO);
  writeFileSync(join(dir, 'uac-room-no-feedback.xml'), SCENARIO_NO_FB);
  gw = await startRoomGateway({ rooms: [{ id: ROOM }, { id: ROOM_NO_FB }] });
  source = await Baresip.start({ mediaenc: 'srtp-mand', video: { width: 176, height: 144 } });
}, 60_000);

afterAll(async () => {
  await source?.stop();
  await gw?.stop();
  srtp?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('issue 6 video: SIP INFO picture_fast_update (RFC 5168)', () => {
  it('a room system\'s picture_fast_update reaches the source it sees as a PLI', async () => {
    await source.command('dial', gw.roomUri(ROOM));
    await source.waitEvent('CALL_ESTABLISHED');
    const stream = baresipVideoStream((await source.command('callstat')).data);
    const wire = await VideoWire.start({ mediaMin: gw.media.min, mediaMax: gw.media.max, sipPort: gw.sipPort });
    let sipp: Awaited<ReturnType<typeof runSipp>>;
    try {
      sipp = await runSipp({ scenario: relative(SIPP_FIXTURES, join(dir, 'uac-room-info-pfu.xml')), target: `127.0.0.1:${gw.sipPort}`, transport: 'u1', service: ROOM, timeoutSeconds: 30 });
    } finally {
      await wire.stop();
    }
    expect(sipp.exitCode, `${sipp.stderr}\n${sipp.errors}`).toBe(0);
    const info = wire.sipIndex('INFO');
    expect(info, 'the INFO crossed the wire').toBeGreaterThanOrEqual(0);
    const requests = wire.keyFrameRequests(stream, srtp);
    expect(requests.filter((r) => r.index < info).length, 'the join asked baresip for a first key frame').toBeGreaterThan(0);
    const after = requests.filter((r) => r.index > info);
    expect(after.length, 'a PLI to the source follows the INFO (SRTCP decrypted by libsrtp2)').toBeGreaterThan(0);
    expect(after[0]?.type).toBe('pli');
  }, 60_000);

  it('a room system without a=rtcp-fb gets picture_fast_update INFO when a receiver needs its key frame', async () => {
    const scenario = relative(SIPP_FIXTURES, join(dir, 'uac-room-no-feedback.xml'));
    let ended: string | null = null;
    const run = runSipp({ scenario, target: `127.0.0.1:${gw.sipPort}`, transport: 'u1', service: ROOM_NO_FB, timeoutSeconds: 30, extra: ['-aa'] });
    void run.then((r) => (ended = `${r.stderr}\n${r.errors}`));
    // the receiver joins once the room system is in: it sees the room system's video
    await waitFor(() => gw.logs('call joined room').some((l) => l.room === ROOM_NO_FB) || ended !== null, 'SIPp joined');
    expect(ended, 'SIPp is still in the call').toBeNull();
    const receiver = await Baresip.start({ mediaenc: 'srtp-mand', video: { width: 176, height: 144 } });
    try {
      await receiver.command('dial', gw.roomUri(ROOM_NO_FB));
      await receiver.waitEvent('CALL_ESTABLISHED');
      const sipp = await run;
      expect(sipp.exitCode, `SIPp received picture_fast_update and answered it:\n${sipp.stderr}\n${sipp.errors}`).toBe(0);
    } finally {
      await receiver.stop();
    }
  }, 60_000);
});

async function waitFor(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
