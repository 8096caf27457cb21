import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerPolicyCommands, type PolicyCliDeps } from '../../src/cli/policy-command.ts';
import { createCryptoPolicy } from '../../crypto-policy/policy.ts';
import { runGatehouseToEnd } from '../helpers/gatehouse-process.ts';
import { fixtureSdp } from '../unit/crypto-policy/helpers.ts';

const DIR = mkdtempSync(join(tmpdir(), 'gh-policy-cli-'));
/** Write a fixture's SDP (header stripped) to a temp file, as an operator would have it. */
function sdpFile(fixture: string): string {
  const file = join(DIR, fixture.replace(/^own:/, ''));
  writeFileSync(file, fixtureSdp(fixture));
  return file;
}

class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/** Runs `gatehouse <args>` in-process on a fresh commander program; returns exit code and output. */
async function cli(args: string[], deps: Partial<PolicyCliDeps> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('gatehouse').exitOverride().configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  registerPolicyCommands(program, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    readFile: (p) => readFile(p, 'utf8'),
    exit: (code) => {
      throw new Exit(code);
    },
    ...deps,
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, out, err };
    if (e instanceof CommanderError) return { code: 2, out, err };
    throw e;
  }
}

type ExplainJson = { verdict: string; sipStatus: number | null; profile: string; media: { index: number; kind: string; verdict: string; keying: string; suite: string | null; reasons: string[] }[] };

describe('gatehouse policy list / show', () => {
  it('list names every profile and marks the default', async () => {
    const r = await cli(['policy', 'list']);
    expect(r.code).toBe(0);
    for (const n of ['default', 'secure', 'fips', 'interop']) expect(r.out).toMatch(new RegExp(`^${n} `, 'm'));
    expect(r.out).toMatch(/^default\s+\* default\s+AEAD_AES_256_GCM > AEAD_AES_128_GCM > AES_CM_128_HMAC_SHA1_80$/m);
    const json = JSON.parse((await cli(['policy', 'list', '--json'])).out) as { name: string; default: boolean }[];
    expect(json.filter((p) => p.default).map((p) => p.name)).toEqual(['default']);
  });
  it('show prints the profile (YAML, or JSON with --json); unknown name exits 2', async () => {
    const y = await cli(['policy', 'show', 'secure']);
    expect(y.code).toBe(0);
    expect(y.out).toContain('name: secure');
    expect(y.out).toContain('  - AEAD_AES_256_GCM');
    const j = await cli(['policy', 'show', 'fips', '--json']);
    expect((JSON.parse(j.out) as { mode: string }).mode).toBe('fips');
    const bad = await cli(['policy', 'show', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown profile "nope" (known: default, secure, fips, interop)');
  });
});

describe('gatehouse policy explain', () => {
  it('--json prints exactly one object of the documented shape; accept -> exit 0', async () => {
    const r = await cli(['policy', 'explain', '--sdp', sdpFile('rtpengine-sdes-four-suites.offer.sdp'), '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.out) as ExplainJson;
    expect(Object.keys(j)).toEqual(['verdict', 'sipStatus', 'profile', 'media']);
    expect(j).toMatchObject({ verdict: 'accept', sipStatus: null, profile: 'default' });
    expect(j.media).toHaveLength(1);
    expect(Object.keys(j.media[0] ?? {})).toEqual(['index', 'kind', 'verdict', 'keying', 'suite', 'reasons']);
    expect(j.media[0]).toMatchObject({ index: 0, kind: 'audio', verdict: 'accept', keying: 'sdes', suite: 'AES_CM_128_HMAC_SHA1_80' });
    expect(j.media[0]?.reasons.some((x) => x.startsWith('a=crypto:2 AES_CM_128_HMAC_SHA1_32: rejected'))).toBe(true);
    expect(r.out).not.toMatch(/inline:|cJOJ7kxQ/); // no key material, neither offered nor generated
  });
  it('reject -> exit 1 with sipStatus 488', async () => {
    const r = await cli(['policy', 'explain', '--sdp', sdpFile('rtpengine-sdes-four-suites.offer.sdp'), '--profile', 'secure', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as ExplainJson;
    expect(j).toMatchObject({ verdict: 'reject', sipStatus: 488, profile: 'secure' });
    expect(j.media[0]?.reasons[0]).toBe('no acceptable SRTP suite offered (offered: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32)');
  });
  it('human output explains profile, every line and the Warning', async () => {
    const r = await cli(['policy', 'explain', '--sdp', sdpFile('polycom-vvx-dual-mline.offer.sdp'), '--profile', 'secure']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('profile: secure (profile secure requested explicitly)');
    expect(r.out).toContain('m-line 1 audio RTP/AVP: reject rejected');
    expect(r.out).toContain('Warning: 399 gatehouse "profile secure: ');
  });
  it('DTLS offers: keying dtls, suite null (chosen in the handshake)', async () => {
    const r = await cli(['policy', 'explain', '--sdp', sdpFile('chrome-audio-video.offer.sdp'), '--json']);
    const j = JSON.parse(r.out) as ExplainJson;
    expect(j.media.map((m) => [m.kind, m.keying, m.suite])).toEqual([['audio', 'dtls', null], ['video', 'dtls', null]]);
    expect(j.media[0]?.reasons).toContain('offer is a=setup:actpass, so we answer passive and are the DTLS server');
  });
  it('--peer-ip and --peer-cert-subject select override profiles', async () => {
    const loadPolicy = () =>
      createCryptoPolicy({
        overrides: [
          { name: 'lab', match: { cidr: '10.0.0.0/8' }, profile: 'interop' },
          { match: { cert_subject: 'CN=trunk.example.com' }, profile: 'secure' },
        ],
      });
    const file = sdpFile('broadworks-sdes-audio-video.offer.sdp');
    const lab = await cli(['policy', 'explain', '--sdp', file, '--peer-ip', '10.2.3.4', '--json'], { loadPolicy });
    expect(lab.code).toBe(0);
    expect((JSON.parse(lab.out) as ExplainJson).profile).toBe('interop');
    const trunk = await cli(['policy', 'explain', '--sdp', file, '--peer-cert-subject', 'O=Example, CN=trunk.example.com'], { loadPolicy });
    expect(trunk.code).toBe(1);
    expect(trunk.out).toContain('profile: secure (override rule 1 matched: certificate subject has CN=trunk.example.com)');
  });
  it('unusable input -> exit 2 with the parse error and its line number', async () => {
    const r = await cli(['policy', 'explain', '--sdp', sdpFile('own:broken-line-7.sdp'), '--json']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/broken-line-7\.sdp: line 7: expected '<type>=<value>'/);
    expect((await cli(['policy', 'explain', '--sdp', join(DIR, 'missing.sdp')])).code).toBe(2);
    const ip = await cli(['policy', 'explain', '--sdp', sdpFile('chrome-audio-video.offer.sdp'), '--peer-ip', '10.0.0.300']);
    expect([ip.code, ip.err]).toEqual([2, 'gatehouse policy explain: --peer-ip 10.0.0.300 is not an IPv4 or IPv6 address\n']);
    const prof = await cli(['policy', 'explain', '--sdp', sdpFile('chrome-audio-video.offer.sdp'), '--profile', 'nope']);
    expect(prof.code).toBe(2);
    expect((await cli(['policy', 'explain'])).code).toBe(2); // missing --sdp: commander usage error
  });
});

describe('through the real binary (bin/gatehouse.js)', () => {
  it('policy explain --json runs as a subprocess with the documented exit codes', async () => {
    const ok = await runGatehouseToEnd(['policy', 'explain', '--sdp', sdpFile('yealink-sdes.offer.sdp'), '--json']);
    if (/unknown command 'policy'/.test(ok.stderr)) {
      throw new Error('bin/gatehouse.js does not register the policy commands yet: src/cli/main.ts must pass registerPolicyCommands (src/cli/policy-command.ts) to runCli');
    }
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ verdict: 'accept', profile: 'default', media: [{ keying: 'sdes', suite: 'AES_CM_128_HMAC_SHA1_80' }] });
    const rej = await runGatehouseToEnd(['policy', 'explain', '--sdp', sdpFile('yealink-sdes.offer.sdp'), '--profile', 'secure', '--json']);
    expect(rej.code).toBe(1);
    const bad = await runGatehouseToEnd(['policy', 'explain', '--sdp', sdpFile('own:broken-line-7.sdp')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 7');
  });
});
