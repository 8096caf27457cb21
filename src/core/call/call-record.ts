import * as z from 'zod';
import { dialogSnapshotSchema } from './dialog-snapshot.ts';
import type { DialogSnapshot } from './dialog-snapshot.ts';
import { bytes, ident, millis, port } from './schema-parts.ts';
import type { RecordCodec } from './stored-document.ts';

/**
 * A call as stored for takeover (DESIGN.md "State and takeover"): everything a new owner needs
 * to continue it. Plain data; the codec below is the only mapping to and from storage.
 *
 * `owner` and `epoch` are NOT part of the stored body: the store keeps them as separate
 * fields so the claim script can compare-and-set them atomically without rewriting the body.
 * `CallBody` is what the codec sees; `CallRecord` is what callers get.
 */
export interface SrtpDirectionKeys {
  /** Secret: sealed before it reaches storage. */
  readonly masterKey: Uint8Array;
  /** Secret: sealed before it reaches storage. */
  readonly masterSalt: Uint8Array;
}

export interface SrtpKeying {
  /** Suite name as negotiated (RFC 4568 6.2 / RFC 5764 4.1.2), e.g. AEAD_AES_256_GCM. */
  readonly suite: string;
  readonly keyExchange: 'sdes' | 'dtls-srtp';
  /** Keys we protect with. */
  readonly local: SrtpDirectionKeys;
  /** Keys the peer protects with. */
  readonly remote: SrtpDirectionKeys;
}

export interface DtlsMaterial {
  readonly role: 'client' | 'server';
  readonly certificatePem: string;
  /** Secret: sealed before it reaches storage. */
  readonly privateKeyPem: string;
  /** a=fingerprint values (RFC 8122 5); public. */
  readonly localFingerprint: string;
  readonly remoteFingerprint: string | null;
}

export interface MediaAddresses {
  readonly local: { readonly address: string; readonly port: number; readonly rtcpPort: number | null };
  readonly remote: { readonly address: string; readonly port: number; readonly rtcpPort: number | null } | null;
  readonly rtcpMux: boolean;
}

export interface CallLeg {
  readonly legId: string;
  readonly kind: 'sip' | 'webrtc';
  readonly dialog: DialogSnapshot | null;
  /**
   * Negotiated SDP, both sides. Secret: with SDES the `a=crypto ... inline:` lines carry the
   * master keys (RFC 4568 6.1), so the whole text is sealed.
   */
  readonly localSdp: string | null;
  readonly remoteSdp: string | null;
  readonly srtp: SrtpKeying | null;
  readonly dtls: DtlsMaterial | null;
  readonly media: MediaAddresses;
  /**
   * Highest authenticated SRTP index per stream the peer sends (RFC 3711 3.3.1, ROC * 2^16 +
   * SEQ), refreshed while the call runs: a new owner that keeps the peer's key continues from
   * here instead of ROC 0. Public (sequence state, no key material). Absent in older records.
   */
  readonly inbound?: readonly { readonly ssrc: number; readonly index: number; readonly stream?: 'video' }[];
}

export type CallState = 'setup' | 'active' | 'migrating' | 'ending';

export interface CallBody {
  readonly callId: string;
  readonly roomId: string | null;
  readonly state: CallState;
  readonly legs: readonly CallLeg[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface CallOwnership {
  /** Instance id that owns the call (only it may send on its dialogs or media). */
  readonly owner: string;
  /** Fencing token: +1 on every claim; writes and media actions carry the epoch they hold. */
  readonly epoch: number;
}

export type CallRecord = CallBody & CallOwnership;

const directionKeys = z.object({ masterKey: bytes, masterSalt: bytes }).strict().readonly();
const mediaEnd = z.object({ address: z.string().min(1), port, rtcpPort: port.nullable() }).strict().readonly();

export const callBodySchema = z
  .object({
    callId: ident,
    roomId: ident.nullable(),
    state: z.enum(['setup', 'active', 'migrating', 'ending']),
    legs: z
      .array(
        z
          .object({
            legId: ident,
            kind: z.enum(['sip', 'webrtc']),
            dialog: dialogSnapshotSchema.nullable(),
            localSdp: z.string().nullable(),
            remoteSdp: z.string().nullable(),
            srtp: z
              .object({ suite: z.string().min(1), keyExchange: z.enum(['sdes', 'dtls-srtp']), local: directionKeys, remote: directionKeys })
              .strict()
              .readonly()
              .nullable(),
            dtls: z
              .object({
                role: z.enum(['client', 'server']),
                certificatePem: z.string().min(1),
                privateKeyPem: z.string().min(1),
                localFingerprint: z.string().min(1),
                remoteFingerprint: z.string().min(1).nullable(),
              })
              .strict()
              .readonly()
              .nullable(),
            media: z.object({ local: mediaEnd, remote: mediaEnd.nullable(), rtcpMux: z.boolean() }).strict().readonly(),
            inbound: z
              .array(z.object({ ssrc: z.number().int().min(0).max(0xffffffff), index: z.number().int().min(0).max(2 ** 48 - 1), stream: z.literal('video').optional() }).strict().readonly())
              .max(16)
              .readonly()
              .optional(),
          })
          .strict()
          .readonly(),
      )
      .readonly(),
    createdAt: millis,
    updatedAt: millis,
  })
  .strict()
  .readonly();

/** Every secret field of a call, by path in the wire form (see core/secrets/envelope.ts). */
export const CALL_SECRET_PATHS = [
  'legs.*.srtp.local.masterKey',
  'legs.*.srtp.local.masterSalt',
  'legs.*.srtp.remote.masterKey',
  'legs.*.srtp.remote.masterSalt',
  'legs.*.dtls.privateKeyPem',
  'legs.*.localSdp',
  'legs.*.remoteSdp',
  // the signalling backend's own dialog export is opaque here and may carry an SDP with our
  // SDES key (the embedded engine keeps its last answer for refreshes): sealed whole
  'legs.*.dialog.state',
] as const;

export const callCodec: RecordCodec<CallBody> = {
  kind: 'call',
  version: 1,
  schema: callBodySchema,
  secretPaths: CALL_SECRET_PATHS,
  idOf: (body) => body.callId,
};
