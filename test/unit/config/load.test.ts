import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { envNameFor, schemaLeaves } from '../../../src/config/schema-leaves.ts';
import { resolveSecrets } from '../../../src/config/secrets.ts';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
function yamlFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function problemsOf(r: ReturnType<typeof loadConfig>): readonly string[] {
  if (r.ok) throw new Error('expected problems, config was accepted');
  return r.problems;
}

describe('config loading (issue 2)', () => {
  it('starts from embedded defaults with no file, env or flags', () => {
    const r = loadConfig({ env: {} });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.sip.udp).toEqual({ enabled: true, listen: '127.0.0.1:5060' });
    expect(r.config.state.store).toBe('memory');
    expect(r.config.policy.profile).toBe('default');
    expect(r.config.admin.listen).toBe('127.0.0.1:8088');
  });

  it('applies precedence flags > env > file > defaults', () => {
    const file = yamlFile('prec.yaml', 'log:\n  level: warn\nmedia:\n  port_min: 42000\n  port_max: 43000\nadmin:\n  listen: 127.0.0.1:9001\n');
    const r = loadConfig({
      file,
      env: { GATEHOUSE_LOG_LEVEL: 'error', GATEHOUSE_MEDIA_PORT_MIN: '42100' },
      flags: new Map([['log.level', { value: 'debug', flag: '--log-level' }]]),
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.log.level).toBe('debug'); // flag beats env and file
    expect(r.config.media.port_min).toBe(42100); // env beats file
    expect(r.config.media.port_max).toBe(43000); // file beats default
    expect(r.config.admin.listen).toBe('127.0.0.1:9001');
    expect(r.config.log.format).toBe('json'); // default
  });

  it('rejects a misspelt key naming its path and suggesting the right one', () => {
    const file = yamlFile('typo.yaml', 'sip:\n  udpp:\n    listen: 127.0.0.1:5070\n');
    expect(problemsOf(loadConfig({ file, env: {} }))).toEqual([`sip.udpp (from file ${file}): unknown key (did you mean "udp"?)`]);
  });

  it('refuses inline secrets and passwords in URLs, pointing at *_file/*_env', () => {
    const file = yamlFile('inline.yaml', 'state:\n  store: redis\n  url: redis://gh:hunter2@127.0.0.1:6379\n  password: hunter2\n');
    const problems = problemsOf(loadConfig({ file, env: {} }));
    expect(problems).toContainEqual(expect.stringMatching(/^state\.password .*secrets are never accepted inline.*password_file.*password_env/));
    expect(problems).toContainEqual(expect.stringMatching(/^state\.url .*must not contain a password/));
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('names the env variable a bad value came from, and rejects unknown GATEHOUSE_* variables', () => {
    const problems = problemsOf(loadConfig({ env: { GATEHOUSE_MEDIA_PORT_MAX: 'lots', GATEHOUSE_SIP_UPD_LISTEN: '127.0.0.1:1' } }));
    expect(problems).toContainEqual(expect.stringMatching(/^media\.port_max \(from env GATEHOUSE_MEDIA_PORT_MAX\): .*expected number/));
    expect(problems).toContainEqual(expect.stringMatching(/^env GATEHOUSE_SIP_UPD_LISTEN: unknown variable/));
  });

  it('allows GATEHOUSE_* variables that are named by a *_env secret reference', () => {
    const r = loadConfig({ env: { GATEHOUSE_STATE_PASSWORD_ENV: 'GATEHOUSE_REDIS_PW', GATEHOUSE_REDIS_PW: 'x' } });
    expect(r.ok).toBe(true);
  });

  it('reports every problem at once, not only the first', () => {
    const file = yamlFile('many.yaml', 'log:\n  level: loud\nmedia:\n  port_min: 50001\n  port_max: 50000\nsip:\n  tls:\n    enabled: true\n');
    const problems = problemsOf(loadConfig({ file, env: {} }));
    expect(problems.length).toBeGreaterThanOrEqual(4);
    expect(problems).toContainEqual(expect.stringMatching(/^log\.level/));
    expect(problems).toContainEqual(expect.stringMatching(/^media\.port_min .*<= media\.port_max/));
    expect(problems).toContainEqual(expect.stringMatching(/^sip\.tls\.cert_file: required/));
  });

  it('gives YAML syntax errors with file, line and column', () => {
    const file = yamlFile('broken.yaml', 'log:\n  level: [info\n');
    expect(problemsOf(loadConfig({ file, env: {} }))[0]).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: YAML error`));
  });

  it('names a missing config file', () => {
    expect(problemsOf(loadConfig({ file: '/nonexistent/gatehouse.yaml', env: {} }))).toEqual(['/nonexistent/gatehouse.yaml: cannot read config file (ENOENT)']);
  });

  it('computes defaults without mutating the parsed input', () => {
    const input = Object.freeze({ sip: Object.freeze({ udp: Object.freeze({ listen: '127.0.0.1:5070' }) }) });
    const parsed = configSchema.parse(input);
    expect(parsed.sip.udp.enabled).toBe(true);
    expect(input).toEqual({ sip: { udp: { listen: '127.0.0.1:5070' } } });
  });

  it('derives a distinct env variable name for every scalar key', () => {
    const names = schemaLeaves(configSchema).map((l) => envNameFor(l.path));
    expect(names).toContain('GATEHOUSE_SIP_UDP_LISTEN');
    expect(new Set(names).size).toBe(names.length);
  });

  it('accepts IPv6 listen addresses in brackets only', () => {
    expect(loadConfig({ env: { GATEHOUSE_SIP_UDP_LISTEN: '[::1]:5060' } }).ok).toBe(true);
    expect(problemsOf(loadConfig({ env: { GATEHOUSE_SIP_UDP_LISTEN: '::1:5060' } }))[0]).toMatch(/expected host:port/);
  });
});

describe('secret references (issue 2: secrets only from env or files)', () => {
  it('reads *_file (trimming one trailing newline) and *_env', () => {
    const pw = yamlFile('pw', 's3cret-value\n');
    const r = resolveSecrets({ state: { password_file: pw }, sip: { tls: { key_env: 'TLS_KEY' } } }, { env: { TLS_KEY: 'PEM...' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.secrets.get('state.password')).toBe('s3cret-value');
    expect(r.secrets.get('sip.tls.key')).toBe('PEM...');
    expect(r.secrets.values()).toHaveLength(2);
  });

  it('names the missing file, the unset variable, and a doubly-set secret', () => {
    const pw = yamlFile('pw2', 'x-secret\n');
    const r = resolveSecrets(
      { state: { password_file: '/nonexistent/redis-password' }, sip: { tls: { key_env: 'NOPE_KEY' }, wss: { key_file: pw, key_env: 'ALSO' } } },
      { env: { ALSO: 'y' } },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toContain('state.password_file: cannot read /nonexistent/redis-password (ENOENT)');
    expect(r.problems).toContain('sip.tls.key_env: environment variable NOPE_KEY is not set');
    expect(r.problems).toContain('sip.wss.key_file: set only one of key_file and key_env');
  });
});

describe('config/gatehouse.example.yaml documents every key', () => {
  it('mentions every scalar key of the schema (set or commented out) and is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const path = new URL('../../../config/gatehouse.example.yaml', import.meta.url);
    const text = readFileSync(path, 'utf8');
    const r = loadConfig({ file: path.pathname, env: {} });
    expect(r.ok).toBe(true);
    for (const leaf of schemaLeaves(configSchema)) {
      const key = leaf.path[leaf.path.length - 1] ?? '';
      expect(text, `example config lacks ${leaf.path.join('.')}`).toMatch(new RegExp(`^\\s*#?\\s*${key}:`, 'm'));
    }
  });
});
