/**
 * Layers of raw (unvalidated) configuration: file < env < flags. Each layer is a nested plain
 * object plus a record of where each leaf came from, so a validation problem can say
 * "sip.udp.listen (from env GATEHOUSE_SIP_UDP_LISTEN): ...".
 */
export type Raw = Record<string, unknown>;

export interface Layer {
  readonly values: Raw;
  /** dotted path -> human description of the source */
  readonly sources: ReadonlyMap<string, string>;
}

function isPlainObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge without mutating either input; `top` wins. Arrays are replaced, not merged. */
export function mergeRaw(base: Raw, top: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(top)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeRaw(b, v) : v;
  }
  return out;
}

export function setPath(target: Raw, path: readonly string[], value: unknown): Raw {
  const [head, ...rest] = path;
  if (head === undefined) return target;
  const child = target[head];
  return {
    ...target,
    [head]: rest.length === 0 ? value : setPath(isPlainObject(child) ? child : {}, rest, value),
  };
}

/** Records the source of every leaf in `values` (used for the file layer). */
export function sourcesOf(values: unknown, describe: string, prefix: readonly string[] = [], out = new Map<string, string>()): Map<string, string> {
  if (isPlainObject(values)) {
    for (const [k, v] of Object.entries(values)) sourcesOf(v, describe, [...prefix, k], out);
  } else if (prefix.length > 0) {
    out.set(prefix.join('.'), describe);
  }
  return out;
}
