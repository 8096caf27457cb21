import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callCodec } from '../../../src/core/call/call-record.ts';
import type { CallBody, CallLeg } from '../../../src/core/call/call-record.ts';
import { instanceCodec } from '../../../src/core/call/instance-record.ts';
import { RecordError } from '../../../src/core/call/record-error.ts';
import { roomCodec } from '../../../src/core/call/room-record.ts';
import { decodeRecord, encodeRecord, rewrapStored, storedKeyId } from '../../../src/core/call/stored-document.ts';
import { SecretError } from '../../../src/core/secrets/secret-error.ts';
import { keyring, makeCall, makeInstance, makeLeg, makeRoom } from './fixtures.ts';

const kr = keyring('k1');
const body = (): CallBody => {
  const { owner: _o, epoch: _e, ...b } = makeCall('c1', 'inst-a');
  return b;
};
const code = (f: () => unknown): string => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('stored records: versioned codec with schema check (DESIGN.md convention 9)', () => {
  it('call body round-trips, bytes as Uint8Array, owner/epoch not stored in the body', () => {
    const b = body();
    const text = encodeRecord(callCodec, b, kr);
    expect(text).not.toContain('inst-a');
    expect(JSON.parse(text)).toMatchObject({ v: 1, kind: 'call', dek: { kid: 'k1' } });
    const back = decodeRecord(callCodec, 'c1', text, kr);
    expect(back).toEqual(b);
    expect(back.legs[0]?.srtp?.local.masterKey).toBeInstanceOf(Uint8Array);
  });

  it('room and instance records round-trip and hold no data key', () => {
    const room = makeRoom('r1', ['a', 'b', 'c']);
    const rt = encodeRecord(roomCodec, room, kr);
    expect(storedKeyId(rt)).toBeNull();
    expect(decodeRecord(roomCodec, 'r1', rt, kr)).toEqual(room);
    const inst = makeInstance('i1', 5000);
    expect(decodeRecord(instanceCodec, 'i1', encodeRecord(instanceCodec, inst, kr), kr)).toEqual(inst);
  });

  it('unknown schema version is STATE_SCHEMA_VERSION_UNKNOWN, never guessed', () => {
    const doc = JSON.parse(encodeRecord(callCodec, body(), kr)) as Record<string, unknown>;
    expect(code(() => decodeRecord(callCodec, 'c1', JSON.stringify({ ...doc, v: 2 }), kr))).toBe('STATE_SCHEMA_VERSION_UNKNOWN');
    expect(code(() => decodeRecord(callCodec, 'c1', JSON.stringify({ ...doc, v: 0 }), kr))).toBe('STATE_SCHEMA_VERSION_UNKNOWN');
    const err = (() => {
      try {
        decodeRecord(callCodec, 'c1', JSON.stringify({ ...doc, v: 9 }), kr);
      } catch (e) {
        return e as RecordError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(RecordError);
    expect(err?.category).toBe('state');
    expect(err?.message).toContain('version 9');
  });

  it('malformed, wrong kind, wrong id and schema violations have their own codes', () => {
    const text = encodeRecord(callCodec, body(), kr);
    expect(code(() => decodeRecord(callCodec, 'c1', '{', kr))).toBe('STATE_RECORD_MALFORMED');
    expect(code(() => decodeRecord(callCodec, 'c1', '[]', kr))).toBe('STATE_RECORD_MALFORMED');
    expect(code(() => decodeRecord(roomCodec, 'c1', text, kr))).toBe('STATE_RECORD_MALFORMED');
    // Moved to another id: the AAD no longer matches.
    expect(code(() => decodeRecord(callCodec, 'c2', text, kr))).toBe('SECRET_AUTH_FAILED');
    const roomText = encodeRecord(roomCodec, makeRoom('r1'), kr);
    expect(code(() => decodeRecord(roomCodec, 'r2', roomText, kr))).toBe('STATE_RECORD_INVALID');
    const doc = JSON.parse(roomText) as { body: Record<string, unknown> };
    expect(code(() => decodeRecord(roomCodec, 'r1', JSON.stringify({ ...doc, body: { ...doc.body, extra: 1 } }), kr))).toBe('STATE_RECORD_INVALID');
    expect(code(() => encodeRecord(callCodec, { ...body(), state: 'bogus' as 'active' }, kr))).toBe('STATE_RECORD_INVALID');
  });

  it('rewrapStored keeps the body and moves the data key to the active id', () => {
    const b = body();
    const text = encodeRecord(callCodec, b, kr);
    const both = keyring('k2', 'k1');
    const re = rewrapStored('call', 'c1', text, both);
    expect(re && storedKeyId(re)).toBe('k2');
    expect(re && JSON.parse(re).body).toEqual(JSON.parse(text).body);
    expect(decodeRecord(callCodec, 'c1', re as string, keyring('k2'))).toEqual(b);
  });

  // Property 1 (convention 8): the decoder throws nothing but its own errors on any input.
  it('property: decoding arbitrary text or JSON throws only RecordError/SecretError', () => {
    const valid = JSON.parse(encodeRecord(callCodec, body(), kr)) as Record<string, unknown>;
    const input = fc.oneof(
      fc.string(),
      fc.json(),
      fc.json().map((j) => JSON.stringify({ ...valid, body: JSON.parse(j) as unknown })),
      fc.record({ v: fc.integer(), kind: fc.constantFrom('call', 'room', 'instance', 'x'), dek: fc.constant(valid['dek']), body: fc.jsonValue() }).map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(input, (text) => {
        try {
          decodeRecord(callCodec, 'c1', text, kr);
        } catch (e) {
          if (!(e instanceof RecordError) && !(e instanceof SecretError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });

  // Property 2 (convention 8): encode -> decode -> encode -> decode is stable.
  it('property: random call records round-trip exactly and stably', () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    const id = fc.stringMatching(/^[\x21-\x7e]{1,24}$/);
    const leg: fc.Arbitrary<CallLeg> = fc
      .record({
        legId: id,
        keys: fc.record({ lk: bytes(32), ls: bytes(12), rk: bytes(16), rs: bytes(14) }),
        sdp: fc.option(fc.string(), { nil: null }),
        withSrtp: fc.boolean(),
        withDtls: fc.boolean(),
        cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        routes: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
      })
      .map(({ legId, keys, sdp, withSrtp, withDtls, cseq, routes }) => {
        const base = makeLeg(legId);
        return {
          ...base,
          dialog: base.dialog && { ...base.dialog, state: { ...base.dialog.state, localSeq: cseq, routeSet: routes } },
          localSdp: sdp,
          srtp: withSrtp ? { suite: 'AES_CM_128_HMAC_SHA1_80', keyExchange: 'dtls-srtp', local: { masterKey: keys.lk, masterSalt: keys.ls }, remote: { masterKey: keys.rk, masterSalt: keys.rs } } : null,
          dtls: withDtls ? base.dtls : null,
        } satisfies CallLeg;
      });
    const call = fc.record({
      callId: id,
      roomId: fc.option(id, { nil: null }),
      state: fc.constantFrom('setup', 'active', 'migrating', 'ending'),
      legs: fc.array(leg, { maxLength: 3 }),
      createdAt: fc.nat(),
      updatedAt: fc.nat(),
    });
    fc.assert(
      fc.property(call, (b: CallBody) => {
        const once = decodeRecord(callCodec, b.callId, encodeRecord(callCodec, b, kr), kr);
        expect(once).toEqual(b);
        expect(decodeRecord(callCodec, b.callId, encodeRecord(callCodec, once, kr), kr)).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });
});
