/**
 * Builds the effective configuration: defaults < file < env (`GATEHOUSE_...`) < CLI flags,
 * validates it once against the schema, and reports every problem as `path: reason` (with the
 * source of the offending value) instead of stopping at the first.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { checkedConfigSchema, configSchema, type GatehouseConfig } from './schema.ts';
import { envNameFor, objectKeysAt, schemaLeaves, type LeafKind } from './schema-leaves.ts';
import { mergeRaw, setPath, sourcesOf, type Layer, type Raw } from './overlay.ts';
import { describeIssue } from './issues.ts';

export interface LoadInput {
  /** Path of the YAML file, if any. */
  readonly file?: string | undefined;
  /** The process environment (passed in: library code never reads process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values from CLI flags, keyed by dotted config path, already typed. */
  readonly flags?: ReadonlyMap<string, { readonly value: unknown; readonly flag: string }>;
}

export type LoadResult =
  | { readonly ok: true; readonly config: GatehouseConfig; readonly sources: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Env variables that configure how the config is found rather than a key in it. */
export const CONFIG_FILE_ENV = 'GATEHOUSE_CONFIG';

const leaves = schemaLeaves(configSchema);

export function loadConfig(input: LoadInput): LoadResult {
  const problems: string[] = [];
  const fileProblems: string[] = [];
  const fileLayer = input.file === undefined ? emptyLayer() : readFileLayer(input.file, fileProblems);
  const envLayer = readEnvLayer(input.env, fileLayer.values, problems);
  const flagLayer = readFlagLayer(input.flags);

  let raw: Raw = {};
  const sources = new Map<string, string>();
  for (const layer of [fileLayer, envLayer, flagLayer]) {
    raw = mergeRaw(raw, layer.values);
    for (const [k, v] of layer.sources) sources.set(k, v);
  }
  // an unreadable file would make every key look missing: report it alone
  if (fileProblems.length > 0) return { ok: false, problems: [...fileProblems, ...problems] };

  const parsed = checkedConfigSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, sources, (path) => objectKeysAt(configSchema, path))));
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, config: parsed.data, sources };
}

function emptyLayer(): Layer {
  return { values: {}, sources: new Map() };
}

function readFileLayer(file: string, problems: string[]): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return emptyLayer();
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      problems.push(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML error: ${e.message.split('\n')[0] ?? e.code}`);
    }
    return emptyLayer();
  }
  const values: unknown = doc.toJS();
  if (values === null || values === undefined) return emptyLayer();
  if (typeof values !== 'object' || Array.isArray(values)) {
    problems.push(`${file}: the top level must be a mapping of keys (log:, sip:, media:, ...)`);
    return emptyLayer();
  }
  return { values: values as Raw, sources: sourcesOf(values, `file ${file}`) };
}

function coerce(kind: LeafKind, text: string): unknown {
  if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text.trim());
  if (kind === 'boolean') {
    const t = text.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(t)) return true;
    if (['false', '0', 'no', 'off'].includes(t)) return false;
  }
  return text; // left as text: the schema then reports "expected number/boolean" with the source
}

function readEnvLayer(env: LoadInput['env'], fileValues: Raw, problems: string[]): Layer {
  let values: Raw = {};
  const sources = new Map<string, string>();
  const known = new Set<string>([CONFIG_FILE_ENV]);
  for (const leaf of leaves) {
    const name = envNameFor(leaf.path);
    known.add(name);
    const text = env[name];
    if (text === undefined) continue;
    values = setPath(values, leaf.path, coerce(leaf.kind, text));
    sources.set(leaf.path.join('.'), `env ${name}`);
  }
  // Secret references may legitimately name GATEHOUSE_* variables (e.g. password_env).
  for (const name of secretEnvNames(mergeRaw(fileValues, values))) known.add(name);
  for (const name of Object.keys(env)) {
    if (name.startsWith('GATEHOUSE_') && !known.has(name)) {
      problems.push(`env ${name}: unknown variable (GATEHOUSE_* variables map to config keys, e.g. GATEHOUSE_SIP_UDP_LISTEN for sip.udp.listen; see config/gatehouse.example.yaml)`);
    }
  }
  return { values, sources };
}

function secretEnvNames(values: unknown): string[] {
  if (typeof values !== 'object' || values === null) return [];
  return Object.entries(values).flatMap(([k, v]) =>
    k.endsWith('_env') && typeof v === 'string' ? [v] : secretEnvNames(v),
  );
}

function readFlagLayer(flags: LoadInput['flags']): Layer {
  let values: Raw = {};
  const sources = new Map<string, string>();
  for (const [path, { value, flag }] of flags ?? []) {
    values = setPath(values, path.split('.'), value);
    sources.set(path, `flag ${flag}`);
  }
  return { values, sources };
}
