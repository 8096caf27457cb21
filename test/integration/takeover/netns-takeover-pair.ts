/**
 * The set-up the linphone takeover tests share: a loopback-only network namespace (linphone
 * advertises eth0 otherwise), a redis-server in it, and two gateway instances A and B on one
 * Redis state with the default takeover settings, both serving `room`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, requireLinphone } from '../../helpers/linphone.ts';
import type { Linphone } from '../../helpers/linphone.ts';
import { redisStateYaml, writeKek } from '../../helpers/state-yaml.ts';
import { NetnsGateway, requireTool, startNetnsRedis, stopChild } from '../sip/helpers/netns-gateway.ts';

const REDIS_PORT = 6379;

export interface NetnsTakeoverPair {
  readonly ns: Netns;
  /** Scratch directory: config, keys, tone files, logs. */
  readonly dir: string;
  readonly a: NetnsGateway;
  readonly b: NetnsGateway;
  /** Linphones the test starts; stopped by `stop()`. */
  readonly linphones: Linphone[];
  stop(): Promise<void>;
}

export async function startNetnsTakeoverPair(room: string, tmpPrefix: string): Promise<NetnsTakeoverPair> {
  requireLinphone();
  requireTool('ip', ['-V'], 'iproute2');
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  const ns = await Netns.create();
  let redis: ChildProcess | undefined;
  const gateways: NetnsGateway[] = [];
  const linphones: Linphone[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(linphones.map((l) => l.stop()));
    await Promise.allSettled(gateways.map((g) => g.stop()));
    await stopChild(redis);
    await ns.delete();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    redis = await startNetnsRedis(ns, dir, REDIS_PORT);
    // the default takeover settings (takeover_sdes_key: new): nothing beyond the state section
    const state = redisStateYaml(`redis://127.0.0.1:${REDIS_PORT}`, writeKek(dir));
    const [a, b] = await Promise.all([
      NetnsGateway.start(ns, dir, { name: 'a', sipPort: 5060, mediaBase: 40000, rooms: [room], extraYaml: state }),
      NetnsGateway.start(ns, dir, { name: 'b', sipPort: 5062, mediaBase: 40500, rooms: [room], extraYaml: state }),
    ]);
    gateways.push(a, b);
    return { ns, dir, a, b, linphones, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
