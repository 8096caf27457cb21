/**
 * `media.socket_engine`: which engine carries the media sockets of this process.
 *
 *   auto    native (native-udp.ts) when it loads and passes its self-test, else node:dgram,
 *           with a warning that says why and how to build it
 *   native  native or the gateway does not start
 *   node    node:dgram only
 *
 * The self-test sends datagrams between two native sockets on the loopback and checks bytes,
 * source address and port, and that an oversize datagram is reported, not cut short: an addon
 * that does not move datagrams correctly fails closed. Selection applies to sockets opened
 * afterwards (MediaPortAllocator); sockets already open keep their engine.
 */
import { createSocket } from 'node:dgram';
import type { LookupOneOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GatehouseError } from '../../core/errors.ts';
import { socketEngineInfo } from '../../metrics/media.ts';
import { DgramMediaSocket } from './media-socket.ts';
import type { MediaSocket } from './media-socket.ts';
import { NativeUdpEngine, SLOT_SIZE } from './native-udp.ts';
import type { MediaUdpBinding } from './native-udp.ts';

export type SocketEngineSetting = 'auto' | 'native' | 'node';

export const NATIVE_UDP_PATH = fileURLToPath(new URL('../../../dist/native/media-udp.node', import.meta.url));

export interface SocketEngineChoice {
  readonly engine: 'native' | 'node';
  /** Why the native engine is not used (auto only). */
  readonly fallbackReason?: string;
}

let nativeEngine: NativeUdpEngine | null = null;
let useNative = false;

export function socketEngineName(): 'native' | 'node' {
  return useNative ? 'native' : 'node';
}

/** The engine started on this thread, passed its self-test or not (an addon starts once per thread). */
let started: NativeUdpEngine | null = null;

/**
 * Loads and checks this thread's native engine (started once; selection only switches new
 * sockets): null when it is usable, else why not.
 */
async function loadNative(path: string): Promise<string | null> {
  if (nativeEngine !== null) return null;
  if (process.platform !== 'linux') return 'the native media socket engine is Linux only (epoll, recvmmsg)';
  let engine = started;
  if (engine === null) {
    let binding: MediaUdpBinding;
    try {
      binding = createRequire(import.meta.url)(path) as MediaUdpBinding;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return e.code === 'MODULE_NOT_FOUND' ? `${path} is not built (run \`npm run build:native\`; it needs a C compiler)` : `${path} does not load: ${e.message}`;
    }
    try {
      engine = new NativeUdpEngine(binding);
    } catch (err) {
      return `${path} does not start: ${(err as Error).message}`;
    }
    started = engine;
  }
  const running = engine;
  const failure = await selfTest((address, port) => running.open(address, port));
  if (failure !== null) return `${path} failed its self-test: ${failure}`;
  nativeEngine = running;
  return null;
}

/** null when datagrams move correctly between two sockets `open` makes, else what went wrong. */
export async function selfTest(open: (address: string, port: number) => MediaSocket, timeoutMs = 2000): Promise<string | null> {
  const opened: MediaSocket[] = [];
  try {
    const sa = open('127.0.0.1', 0);
    opened.push(sa);
    const sb = open('127.0.0.1', 0);
    opened.push(sb);
    const payload = Buffer.from('gatehouse media-udp self-test');
    const big = SLOT_SIZE + 1;
    return await new Promise<string | null>((resolve) => {
      let stage: 'first' | 'oversize' = 'first';
      const timer = setTimeout(() => resolve(stage === 'first' ? 'no datagram arrived' : `a ${big}-octet datagram was not reported as oversize`), timeoutMs);
      const done = (result: string | null): void => {
        clearTimeout(timer);
        resolve(result);
      };
      sb.setReceiver(
        (msg, rinfo) => {
          if (stage === 'oversize') return done(`a ${big}-octet datagram was delivered as ${msg.length} octets`);
          if (!msg.equals(payload)) return done('the bytes received differ from those sent');
          if (rinfo.address !== '127.0.0.1' || rinfo.port !== sa.address().port) return done(`wrong source ${rinfo.address}:${rinfo.port}`);
          stage = 'oversize';
          sa.send(Buffer.alloc(big), big, sb.address().port, '127.0.0.1', (err) => {
            if (err !== null) done(`send failed: ${err.message}`);
          });
        },
        () => done(stage === 'oversize' ? null : 'an oversize datagram came first'),
      );
      sa.send(payload, payload.length, sb.address().port, '127.0.0.1', (err) => {
        if (err !== null) done(`send failed: ${err.message}`);
      });
    });
  } catch (err) {
    return (err as Error).message;
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}

/** The native engine of this thread once loaded (tests, diagnostics). */
export function nativeSocketEngine(): NativeUdpEngine | null {
  return nativeEngine;
}

/**
 * Applies `media.socket_engine` for this process (before media sockets are opened). Throws a
 * config error when `native` was asked for and is not usable.
 */
export async function selectSocketEngine(setting: SocketEngineSetting, path: string = NATIVE_UDP_PATH): Promise<SocketEngineChoice> {
  if (setting === 'node') {
    useNative = false;
    return record({ engine: 'node' });
  }
  const unusable = await loadNative(path);
  if (unusable === null) {
    useNative = true;
    return record({ engine: 'native' });
  }
  if (setting === 'native') {
    throw new GatehouseError('config', 'SOCKET_ENGINE_UNAVAILABLE', `media.socket_engine: native is not usable: ${unusable}; build it or set media.socket_engine: auto|node`);
  }
  useNative = false;
  return record({ engine: 'node', fallbackReason: unusable });
}

function record(choice: SocketEngineChoice): SocketEngineChoice {
  socketEngineInfo.reset();
  socketEngineInfo.set({ engine: choice.engine }, 1);
  return choice;
}

/**
 * node:dgram resolves the destination of every send() through the socket's `lookup`; the default
 * (dns.lookup) answers an IP literal on the next tick, so each datagram costs a nextTick and the
 * send happens after the caller returned. Media destinations are IP literals (SDP c=, latched
 * source addresses): answer those synchronously (same address and family dns.lookup would
 * return), so send() hands the datagram to the kernel before it returns. Names still go to DNS.
 */
function literalLookup(hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, options, callback);
}

function bindDgram(address: string, port: number): Promise<MediaSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup });
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(new DgramMediaSocket(socket));
    });
  });
}

/** A media socket bound to address:port on the selected engine; rejects with the OS error (code EADDRINUSE, ...). */
export async function openMediaSocket(address: string, port: number): Promise<MediaSocket> {
  if (useNative && nativeEngine !== null) return nativeEngine.open(address, port);
  return bindDgram(address, port);
}
