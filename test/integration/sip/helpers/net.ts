/** Small promise helpers for socket tests (no timing assertions: waits end by events). */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

export function once<T>(emitter: EventEmitter, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (v: T) => resolve(v)));
}

/** Collects `n` emissions of `event`. */
export function collect<T>(emitter: EventEmitter, event: string, n: number): Promise<T[]> {
  return new Promise((resolve) => {
    const got: T[] = [];
    const on = (v: T): void => {
      got.push(v);
      if (got.length === n) {
        emitter.off(event, on);
        resolve(got);
      }
    };
    emitter.on(event, on);
  });
}

/** Reads from a socket until `predicate(all bytes so far)` holds. */
export function readUntil(socket: Socket, predicate: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = '';
    const onData = (d: Buffer): void => {
      acc += d.toString('latin1');
      if (predicate(acc)) {
        socket.off('data', onData);
        resolve(acc);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sipMessage(method: string, transport: string, body = '', extra = ''): string {
  return (
    `${method} sip:room@gw.test SIP/2.0\r\nVia: SIP/2.0/${transport} client.test;branch=z9hG4bK${Math.random().toString(36).slice(2)}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:a@client.test>;tag=1\r\nTo: <sip:room@gw.test>\r\nCall-ID: ${Math.random()}\r\nCSeq: 1 ${method}\r\n` +
    `${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
