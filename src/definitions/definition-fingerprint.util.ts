import { sha256 } from '../common/crypto/sha256.util';
import type { ModelDefinition } from './model-definition';

/**
 * sha256 of what a definition says about reading and transforming its data — delimiter, target, input fields and
 * columns — in canonical JSON (keys sorted). Two definitions with the same fingerprint validate the same rows and
 * build the same features from them; a description, candidate or schedule change leaves it as it is.
 */
export function definitionFingerprint(definition: ModelDefinition): string {
  const { delimiter, target, features, columns } = definition;
  return sha256(Buffer.from(canonicalJson({ delimiter, target, features, columns })));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
