/**
 * Walks the config schema to list its scalar leaves, so env variable names
 * (`GATEHOUSE_SIP_UDP_LISTEN` for `sip.udp.listen`) are derived from the one schema instead of
 * a second hand-written list that could drift.
 */
import type { z } from 'zod';

export type LeafKind = 'string' | 'number' | 'boolean';

export interface SchemaLeaf {
  readonly path: readonly string[];
  readonly kind: LeafKind;
}

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

export function schemaLeaves(schema: z.ZodType, path: readonly string[] = []): SchemaLeaf[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
      return def.innerType ? schemaLeaves(def.innerType, path) : [];
    case 'pipe':
      return def.in ? schemaLeaves(def.in, path) : [];
    case 'object': {
      const shape = (schema as unknown as { shape: Record<string, z.ZodType> }).shape;
      return Object.entries(shape).flatMap(([k, v]) => schemaLeaves(v, [...path, k]));
    }
    case 'string':
    case 'enum':
      return [{ path, kind: 'string' }];
    case 'number':
      return [{ path, kind: 'number' }];
    case 'boolean':
      return [{ path, kind: 'boolean' }];
    default:
      // arrays and records cannot be set from a single env variable; they come from the file
      return [];
  }
}

export function envNameFor(path: readonly string[]): string {
  return `GATEHOUSE_${path.join('_').toUpperCase()}`;
}

/** The keys an object at `path` accepts (for "did you mean" hints). */
export function objectKeysAt(schema: z.ZodType, path: readonly string[]): string[] {
  const def = defOf(schema);
  if (def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'nullable') {
    return def.innerType ? objectKeysAt(def.innerType, path) : [];
  }
  if (def.type !== 'object') return [];
  const shape = (schema as unknown as { shape: Record<string, z.ZodType> }).shape;
  const [head, ...rest] = path;
  if (head === undefined) return Object.keys(shape);
  const child = shape[head];
  return child ? objectKeysAt(child, rest) : [];
}
