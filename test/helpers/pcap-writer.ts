/**
 * Writes classic libpcap capture files (not pcapng) of UDP datagrams in Ethernet/IPv4 frames,
 * the format SIPp's `<exec play_pcap_audio="..."/>` replays (it reads the file with libpcap,
 * keeps each UDP payload byte for byte and only rewrites the ports; see SIPp
 * src/prepare_pcap.c / send_packets.c). Used to feed pre-encrypted SRTP into a call.
 *
 *   writePcap(path, [{ timeUs, src: { ip, port }, dst: { ip, port }, payload }])
 *   pcapBytes(packets)            the same file as a Buffer
 *
 * Layout (https://wiki.wireshark.org/Development/LibpcapFileFormat): a 24-octet global header
 * (magic 0xa1b2c3d4, version 2.4, snaplen 65535, link type 1 = Ethernet), then per packet a
 * 16-octet record header (seconds, microseconds, captured length, original length) and the
 * frame: Ethernet II (14), IPv4 without options (20, RFC 791, header checksum filled in), UDP
 * (8, RFC 768; checksum 0 = "not computed", which SIPp replaces with its own anyway).
 */
import { writeFileSync } from 'node:fs';

export interface PcapEndpoint {
  readonly ip: string;
  readonly port: number;
}

export interface PcapUdpPacket {
  /** Capture time in microseconds since the epoch (only differences matter to SIPp's pacing). */
  readonly timeUs: number;
  readonly src: PcapEndpoint;
  readonly dst: PcapEndpoint;
  readonly payload: Uint8Array;
}

const LINKTYPE_ETHERNET = 1;
const ETH_LEN = 14;
const IP_LEN = 20;
const UDP_LEN = 8;

export function pcapBytes(packets: readonly PcapUdpPacket[]): Buffer {
  const parts: Buffer[] = [globalHeader()];
  let ipId = 1;
  for (const p of packets) {
    const frame = udpFrame(p, ipId);
    ipId = (ipId + 1) & 0xffff;
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.timeUs / 1e6), 0);
    rec.writeUInt32LE(Math.floor(p.timeUs % 1e6), 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  return Buffer.concat(parts);
}

export function writePcap(path: string, packets: readonly PcapUdpPacket[]): void {
  writeFileSync(path, pcapBytes(packets));
}

function globalHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps, written little-endian
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(65535, 16); // snaplen
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return h;
}

function udpFrame(p: PcapUdpPacket, ipId: number): Buffer {
  const udpLength = UDP_LEN + p.payload.length;
  if (IP_LEN + udpLength > 65535) throw new Error(`UDP payload of ${p.payload.length} octets does not fit in one IPv4 datagram`);
  const f = Buffer.alloc(ETH_LEN + IP_LEN + udpLength);
  // Ethernet II: locally administered MACs, EtherType IPv4
  Buffer.from([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]).copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  const ip = ETH_LEN;
  f[ip] = 0x45; // version 4, IHL 5
  f[ip + 1] = 0; // DSCP/ECN
  f.writeUInt16BE(IP_LEN + udpLength, ip + 2);
  f.writeUInt16BE(ipId, ip + 4);
  f.writeUInt16BE(0x4000, ip + 6); // don't fragment
  f[ip + 8] = 64; // TTL
  f[ip + 9] = 17; // UDP
  ipv4(p.src.ip).copy(f, ip + 12);
  ipv4(p.dst.ip).copy(f, ip + 16);
  f.writeUInt16BE(ipChecksum(f.subarray(ip, ip + IP_LEN)), ip + 10);
  const udp = ip + IP_LEN;
  f.writeUInt16BE(port(p.src.port), udp);
  f.writeUInt16BE(port(p.dst.port), udp + 2);
  f.writeUInt16BE(udpLength, udp + 4);
  f.writeUInt16BE(0, udp + 6);
  f.set(p.payload, udp + UDP_LEN);
  return f;
}

function ipv4(s: string): Buffer {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${s}`);
  return Buffer.from(parts);
}

function port(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a UDP port: ${String(n)}`);
  return n;
}

/** RFC 791 3.1 / RFC 1071: one's complement of the one's complement sum of 16-bit words. */
function ipChecksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
