/** Shared test data for the state store tests: records with real-looking secrets. */
import { randomBytes } from 'node:crypto';
import type { CallLeg, CallRecord } from '../../../src/core/call/call-record.ts';
import type { InstanceRecord } from '../../../src/core/call/instance-record.ts';
import type { RoomRecord } from '../../../src/core/call/room-record.ts';
import type { Keyring } from '../../../src/core/secrets/keyring.ts';

export const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export function keyring(active: string, ...ids: string[]): Keyring {
  return { activeKeyId: active, keys: new Map([active, ...ids].map((id) => [id, fixedKey(id)])) };
}

/** Deterministic per id so two keyrings built separately agree on the bytes. */
export function fixedKey(id: string): Uint8Array {
  const k = new Uint8Array(32);
  for (let i = 0; i < 32; i += 1) k[i] = (id.charCodeAt(i % id.length) * 31 + i * 7) & 0xff;
  return k;
}

export interface LegSecrets {
  readonly localKey: Uint8Array;
  readonly localSalt: Uint8Array;
  readonly remoteKey: Uint8Array;
  readonly remoteSalt: Uint8Array;
  readonly dtlsPrivateKey: string;
}

export function legSecrets(): LegSecrets {
  return {
    localKey: rand(32),
    localSalt: rand(12),
    remoteKey: rand(32),
    remoteSalt: rand(12),
    dtlsPrivateKey: `-----BEGIN PRIVATE KEY-----\n${Buffer.from(rand(48)).toString('base64')}\n-----END PRIVATE KEY-----`,
  };
}

/** All the encodings a leaked secret could appear in. */
export function leakForms(s: LegSecrets): { label: string; bytes: Buffer }[] {
  const forms: { label: string; bytes: Buffer }[] = [];
  const add = (label: string, raw: Uint8Array): void => {
    const b = Buffer.from(raw);
    forms.push({ label: `${label} raw`, bytes: b });
    forms.push({ label: `${label} base64`, bytes: Buffer.from(b.toString('base64').replace(/=+$/, '')) });
    forms.push({ label: `${label} base64url`, bytes: Buffer.from(b.toString('base64url')) });
    forms.push({ label: `${label} hex`, bytes: Buffer.from(b.toString('hex')) });
    forms.push({ label: `${label} HEX`, bytes: Buffer.from(b.toString('hex').toUpperCase()) });
  };
  add('local key', s.localKey);
  add('local salt', s.localSalt);
  add('remote key', s.remoteKey);
  add('remote salt', s.remoteSalt);
  add('local key||salt', Buffer.concat([s.localKey, s.localSalt]));
  add('remote key||salt', Buffer.concat([s.remoteKey, s.remoteSalt]));
  forms.push({ label: 'dtls private key', bytes: Buffer.from(s.dtlsPrivateKey.split('\n')[1] ?? '') });
  return forms;
}

export function sdesSdp(keySalt: Uint8Array, port: number): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/SAVP 0`,
    `a=crypto:1 AEAD_AES_256_GCM inline:${Buffer.from(keySalt).toString('base64')}`,
    '',
  ].join('\r\n');
}

export function makeLeg(legId: string, s: LegSecrets = legSecrets()): CallLeg {
  return {
    legId,
    kind: 'sip',
    dialog: {
      version: 1,
      backend: 'embedded',
      dialogId: `${legId}@127.0.0.1;lt1;rt1`,
      state: { dialog: { callId: `${legId}@127.0.0.1`, localTag: 'lt1', remoteTag: 'rt1', remoteTarget: 'sip:alice@127.0.0.1:5070' }, flow: null, lastSdp: null },
    },
    localSdp: sdesSdp(Buffer.concat([s.localKey, s.localSalt]), 40000),
    remoteSdp: sdesSdp(Buffer.concat([s.remoteKey, s.remoteSalt]), 30000),
    srtp: {
      suite: 'AEAD_AES_256_GCM',
      keyExchange: 'sdes',
      local: { masterKey: s.localKey, masterSalt: s.localSalt },
      remote: { masterKey: s.remoteKey, masterSalt: s.remoteSalt },
    },
    dtls: {
      role: 'server',
      certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      privateKeyPem: s.dtlsPrivateKey,
      localFingerprint: 'sha-256 AA:BB',
      remoteFingerprint: null,
    },
    media: { local: { address: '127.0.0.1', port: 40000, rtcpPort: null }, remote: { address: '127.0.0.1', port: 30000, rtcpPort: 30001 }, rtcpMux: true },
  };
}

export function makeCall(callId: string, owner: string, epoch = 1, legs: readonly CallLeg[] = [makeLeg(`${callId}-leg1`)]): CallRecord {
  return { callId, roomId: 'room-1', owner, epoch, state: 'active', legs, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_500 };
}

export function makeRoom(roomId: string, members: readonly string[] = []): RoomRecord {
  return {
    roomId,
    name: `Room ${roomId}`,
    mediaMode: members.length > 2 ? 'mix' : 'relay',
    members: members.map((callId) => ({ callId, legId: `${callId}-leg1`, joinedAt: 1_700_000_000_000 })),
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
  };
}

export function makeInstance(instanceId: string, ttlMs: number, heartbeatAt = 1_700_000_000_000): InstanceRecord {
  return {
    instanceId,
    addresses: { sip: [`sip:127.0.0.1:5060;transport=udp`], media: ['127.0.0.1'], http: 'http://127.0.0.1:8080' },
    load: { calls: 3, legs: 5 },
    capacity: { calls: 500 },
    draining: false,
    heartbeatAt,
    ttlMs,
  };
}
