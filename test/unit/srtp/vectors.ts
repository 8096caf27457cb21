/** Loads the RFC vector files in test/vectors (shared by the SRTP unit tests). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SrtpSuiteName } from '../../../src/core/srtp/suites.ts';

export interface KeystreamCase {
  readonly name: string;
  readonly kind: 'aes-cm-keystream';
  readonly suite: SrtpSuiteName;
  readonly sessionKey: string;
  readonly sessionSalt: string;
  readonly ssrc: number;
  readonly roc: number;
  readonly seq: number;
  readonly segmentBlocks: number;
  readonly blocks: readonly { readonly counter: string; readonly keystream: string }[];
}

export interface KdfCase {
  readonly name: string;
  readonly kind: 'kdf';
  readonly suite: SrtpSuiteName;
  readonly masterKey: string;
  readonly masterSalt: string;
  readonly cipherKey: string;
  readonly cipherSalt: string;
  readonly authKey?: string;
  readonly authKey94?: string;
}

export interface GcmCase {
  readonly name: string;
  readonly kind: 'gcm-srtp' | 'gcm-srtcp';
  readonly suite: SrtpSuiteName;
  readonly sessionKey: string;
  readonly sessionSalt: string;
  readonly roc?: number;
  readonly index?: number;
  readonly encrypted?: boolean;
  readonly plain: string;
  readonly protected: string;
}

export type VectorCase = KeystreamCase | KdfCase | GcmCase;

export function loadVectors(file: 'rfc3711.json' | 'rfc6188.json' | 'rfc7714.json'): readonly VectorCase[] {
  const path = fileURLToPath(new URL(`../../vectors/${file}`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: VectorCase[] }).cases;
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
