/**
 * Pure parts of the join page (src/web/messages.ts) and of its template filling
 * (src/adapters/http/static-assets.ts): what a guest reads when something goes wrong, and the
 * suite line built from getStats(). (Pure tests: may move to test/unit/web/.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, fill } from '../../../src/adapters/http/static-assets.ts';
import {
  dtlsVersionName,
  isValidRoomId,
  mediaErrorMessage,
  policySuiteName,
  rejectionMessage,
  suiteFromStats,
  warningTexts,
} from '../../../src/web/messages.ts';

describe('Warning header texts (RFC 3261 20.43)', () => {
  const cases: ReadonlyArray<[string, string | undefined, string[]]> = [
    ['RFC 3261 20.43 example', '307 isi.edu "Session parameter \'foo\' not understood"', ["Session parameter 'foo' not understood"]],
    ['RFC 3261 20.43 two values', '301 isi.edu "Incompatible network address type \'E.164\'", 399 gatehouse "second"', ["Incompatible network address type 'E.164'", 'second']],
    ['RFC 3261 25.1 quoted-pair in warn-text', '399 gw "say \\"no\\" \\\\ twice"', ['say "no" \\ twice']],
    ['not in warning-value form: kept as is', 'free text', ['free text']],
    ['absent', undefined, []],
    ['empty', '  ', []],
  ];
  for (const [name, header, texts] of cases) it(name, () => expect(warningTexts(header)).toEqual(texts));
});

describe('rejection messages', () => {
  it('names status, reason and every warning for a 488', () => {
    expect(rejectionMessage(488, 'Not Acceptable Here', ['policy secure: no AEAD_AES_256_GCM'])).toBe(
      "The gateway refused the call (SIP 488 Not Acceptable Here): your browser's media offer is not acceptable: policy secure: no AEAD_AES_256_GCM.",
    );
  });
  for (const [status, words] of [
    [403, 'not allowed'],
    [404, 'does not exist'],
    [486, 'full or busy'],
    [400, 'malformed'],
    [503, 'not available right now'],
  ] as const) {
    it(`explains ${status}`, () => expect(rejectionMessage(status, 'R', [])).toContain(words));
  }
  it('falls back to the status line for other codes', () => {
    expect(rejectionMessage(499, 'Odd', [])).toBe('The gateway refused the call (SIP 499 Odd).');
  });
});

describe('media permission messages (Media Capture and Streams)', () => {
  it('distinguishes refused permission, no device and a busy device', () => {
    expect(mediaErrorMessage('NotAllowedError', '')).toMatch(/^No permission/);
    expect(mediaErrorMessage('NotFoundError', '')).toMatch(/^No microphone or camera was found/);
    expect(mediaErrorMessage('NotReadableError', '')).toMatch(/in use by another program/);
    expect(mediaErrorMessage('TypeError', 'bad constraints')).toContain('TypeError: bad constraints');
  });
});

describe('suite line from getStats() transport entries', () => {
  const transport = { type: 'transport', dtlsState: 'connected', dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' };
  const cases: ReadonlyArray<[string, string, string | undefined, string]> = [
    ['RFC 7714 14.2 profile 0x0008 (BoringSSL name)', 'SRTP_AEAD_AES_256_GCM', 'FEFD', 'Encrypted: AEAD_AES_256_GCM (DTLS 1.2)'],
    ['RFC 7714 14.2 profile 0x0007', 'SRTP_AEAD_AES_128_GCM', 'FEFC', 'Encrypted: AEAD_AES_128_GCM (DTLS 1.3)'],
    ['RFC 5764 4.1.2 profile 0x0001 (BoringSSL name)', 'SRTP_AES128_CM_SHA1_80', 'FEFD', 'Encrypted: AES_CM_128_HMAC_SHA1_80 (DTLS 1.2)'],
    ['RFC 5764 4.1.2 profile 0x0001 (IANA name)', 'SRTP_AES128_CM_HMAC_SHA1_80', undefined, 'Encrypted: AES_CM_128_HMAC_SHA1_80'],
    ['unknown cipher name shown as reported', 'SRTP_FUTURE', 'FEFD', 'Encrypted: SRTP_FUTURE (DTLS 1.2)'],
  ];
  for (const [name, srtpCipher, tlsVersion, line] of cases) {
    it(name, () => {
      const r = suiteFromStats([{ type: 'codec' }, { ...transport, srtpCipher, ...(tlsVersion ? { tlsVersion } : {}) }]);
      expect(r.line).toBe(line);
      expect(r.encrypted).toBe(true);
      expect(r.srtpCipher).toBe(srtpCipher);
    });
  }
  it('never claims encryption before DTLS has finished', () => {
    expect(suiteFromStats([]).line).toBe('Encryption: negotiating...');
    expect(suiteFromStats([{ type: 'transport', dtlsState: 'connecting' }]).encrypted).toBe(false);
    expect(suiteFromStats([{ type: 'transport', dtlsState: 'connected' }]).encrypted).toBe(false);
    expect(suiteFromStats([{ type: 'transport', dtlsState: 'failed' }]).line).toMatch(/^Not encrypted: .*DTLS.* failed/);
  });
  it('maps policy names for every DTLS-SRTP profile and nothing else', () => {
    expect(policySuiteName('aead_aes_256_gcm')).toBe('AEAD_AES_256_GCM');
    expect(policySuiteName('SRTP_NULL_HMAC_SHA1_80')).toBeUndefined();
    expect(dtlsVersionName('feff')).toBe('DTLS 1.0');
    expect(dtlsVersionName('')).toBeUndefined();
  });
});

describe('room ids and HTML filling', () => {
  it('accepts only [A-Za-z0-9._-]{1,64} and never dot-only ids', () => {
    for (const ok of ['a', 'board-room', 'Room_1.2', 'x'.repeat(64), '.hidden', 'a..b']) expect(isValidRoomId(ok)).toBe(true);
    for (const bad of ['', '.', '..', '...', 'x'.repeat(65), 'a b', 'a/b', 'réunion', '<x>', 'a%20b', 'a@b']) expect(isValidRoomId(bad)).toBe(false);
  });
  it('property: any accepted id is safe in HTML, URLs and SIP user parts unchanged', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 70 }), (s) => {
        if (!isValidRoomId(s)) return;
        expect(escapeHtml(s)).toBe(s);
        expect(encodeURIComponent(s)).toBe(s);
      }),
    );
  });
  it('escapes every filled value and refuses unknown placeholders', () => {
    expect(fill('<p title="{{a}}">{{a}}</p>', { a: `"><script>x</script>'&` })).toBe(
      '<p title="&#34;&#62;&#60;script&#62;x&#60;/script&#62;&#39;&#38;">&#34;&#62;&#60;script&#62;x&#60;/script&#62;&#39;&#38;</p>',
    );
    expect(() => fill('{{missing}}', {})).toThrow(/unknown placeholder \{\{missing\}\}/);
  });
  it('property: filled output never contains a raw < > " or \' from a value', () => {
    fc.assert(
      fc.property(fc.string(), (v) => {
        expect(fill('{{v}}', { v })).not.toMatch(/[<>"'`]/);
      }),
    );
  });
});
