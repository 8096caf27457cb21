/**
 * The real gateway binary (`gatehouse start --config FILE`) with rooms, for end-to-end room
 * tests (issue 6). Writes a temporary YAML config with free 127.0.0.1 ports, starts the binary
 * through gatehouse-process.ts, waits for "gatehouse ready", and exposes its ports and log.
 *
 *   const gw = await startRoomGateway({ rooms: [{ id: 'lobby' }], web: true });
 *   gw.sipPort                      UDP+TCP SIP listener (same port number for both)
 *   gw.roomUri('lobby')             'sip:lobby@127.0.0.1:<sipPort>' (what baresip/SIPp dial)
 *   gw.webUrl                       'https://127.0.0.1:<port>' join page base (web: true), else null
 *   gw.wssPort                      WSS listener (web: true), else null
 *   gw.adminUrl                     'http://127.0.0.1:<port>' (/metrics, /healthz)
 *   gw.process                      GatehouseChild: .lines (parsed JSON log), .stdout(), .child
 *   await gw.waitForLog('DTLS-SRTP keyed', (l) => l.room === 'lobby')  first line with this
 *                                   msg (and matching the optional predicate); rejects on exit
 *                                   or timeout (default 20 s) with the log in the message
 *   gw.logs('call joined room')     every line so far with this msg
 *   await gw.stop()                 SIGTERM, wait for exit (SIGKILL after 10 s), delete the dir
 *
 * Options: rooms (id + optional profile / max_participants / name), web (WSS + join page,
 * development certificate, bundle from dist/web: run `npm run build:web` once),
 * webFallbackWssUrls (the page's fallback list), logLevel
 * (default info), mediaTimeoutS (default 30), onDemand, and `extraYaml`: top-level YAML lines
 * appended verbatim (for keys this helper does not model; mind duplicates).
 *
 * Port ranges: each gateway gets a random block of 100 RTP ports and 100 WebRTC ports between
 * 12000 and 31999 (below Linux's ephemeral range), so parallel test files rarely share ports;
 * when they do, the allocator and werift move on past EADDRINUSE.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGatehouse, type GatehouseChild } from './gatehouse-process.ts';
import { freeTcpPort, freeUdpTcpPort } from './ports.ts';

export interface RoomSpec {
  readonly id: string;
  readonly name?: string;
  readonly profile?: string;
  readonly max_participants?: number;
}

export interface RoomGatewayOptions {
  readonly rooms: readonly RoomSpec[];
  /** Enable WSS and the HTTPS join page. Default false. */
  readonly web?: boolean;
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly mediaTimeoutS?: number;
  readonly onDemand?: boolean;
  /** `web.fallback_wss_urls` (with web: true): where a guest goes when its connection drops. */
  readonly webFallbackWssUrls?: readonly string[];
  /** Top-level YAML lines appended to the config as they are. */
  readonly extraYaml?: readonly string[];
  /** Extra environment for the process (GATEHOUSE_* variables of the caller are removed). */
  readonly env?: Readonly<Record<string, string>>;
}

export type LogLine = Record<string, unknown>;

export interface RoomGateway {
  readonly sipPort: number;
  readonly wssPort: number | null;
  readonly webUrl: string | null;
  readonly adminUrl: string;
  readonly media: { readonly min: number; readonly max: number; readonly webrtcMin: number; readonly webrtcMax: number };
  readonly configPath: string;
  readonly process: GatehouseChild;
  roomUri(room: string): string;
  waitForLog(msg: string, pred?: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  logs(msg: string): LogLine[];
  stop(): Promise<void>;
}

/**
 * Media port slices: random per test process (files run in parallel), then consecutive, so the
 * gateways of one test never share a range. Two instances on one range would hand each other's
 * just-released ports to a taken-over call, and the takeover tests tell the new owner's
 * re-INVITE by its new m= port.
 */
const firstSlice = randomInt(0, 100);
let slices = 0;
function nextMediaSlice(): number {
  return (firstSlice + slices++) % 100;
}

export async function startRoomGateway(o: RoomGatewayOptions): Promise<RoomGateway> {
  const sipPort = await freeUdpTcpPort();
  const adminPort = await freeTcpPort();
  const wssPort = o.web === true ? await freeTcpPort() : null;
  const webPort = o.web === true ? await freeTcpPort() : null;
  const base = 12000 + 200 * nextMediaSlice();
  const media = { min: base, max: base + 99, webrtcMin: base + 100, webrtcMax: base + 199 };
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-rooms-'));
  const configPath = join(dir, 'gatehouse.yaml');
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    `log: { level: ${o.logLevel ?? 'info'}, format: json }`,
    `admin: { listen: "127.0.0.1:${adminPort}" }`,
    'sip:',
    `  udp: { enabled: true, listen: "127.0.0.1:${sipPort}" }`,
    `  tcp: { enabled: true, listen: "127.0.0.1:${sipPort}" }`,
    ...(wssPort !== null ? [`  wss: { enabled: true, listen: "127.0.0.1:${wssPort}" }`] : []),
    'media:',
    '  bind_address: 127.0.0.1',
    `  port_min: ${media.min}`,
    `  port_max: ${media.max}`,
    `  webrtc_port_min: ${media.webrtcMin}`,
    `  webrtc_port_max: ${media.webrtcMax}`,
    ...(webPort !== null ? [`web: { enabled: true, listen: "127.0.0.1:${webPort}", fallback_wss_urls: ${JSON.stringify(o.webFallbackWssUrls ?? [])} }`] : []),
    'rooms:',
    `  on_demand: ${o.onDemand === true}`,
    `  media_timeout_s: ${o.mediaTimeoutS ?? 30}`,
    '  list:',
    ...o.rooms.flatMap((r) => [
      `    - id: ${q(r.id)}`,
      ...(r.name !== undefined ? [`      name: ${q(r.name)}`] : []),
      ...(r.profile !== undefined ? [`      profile: ${q(r.profile)}`] : []),
      ...(r.max_participants !== undefined ? [`      max_participants: ${r.max_participants}`] : []),
    ]),
    ...(o.extraYaml ?? []),
    '',
  ];
  if (o.rooms.length === 0) lines.splice(lines.indexOf('  list:'), 1, '  list: []');
  writeFileSync(configPath, lines.join('\n'));
  const proc = runGatehouse(['start', '--config', configPath], { ...(o.env ?? {}) });
  const stop = async (): Promise<void> => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      const killer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gatehouse ready'), 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    sipPort,
    wssPort,
    webUrl: webPort !== null ? `https://127.0.0.1:${webPort}` : null,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    media,
    configPath,
    process: proc,
    roomUri: (room) => `sip:${room}@127.0.0.1:${sipPort}`,
    waitForLog: (msg, pred = () => true, timeoutMs = 20_000) => proc.waitForLog((l) => l.msg === msg && pred(l), timeoutMs),
    logs: (msg) => proc.lines.filter((l) => l.msg === msg),
    stop,
  };
}
