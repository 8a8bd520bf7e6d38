import { goJSON, goJSONString } from './gofmt.js';

export { goJSON };

/**
 * Indented JSON like Go's json.MarshalIndent / json.Indent (Docker's inspect uses four spaces), with
 * the same string and number encoding as the compact form. Keys keep the object's order, which callers
 * build to match Go's struct field order; undefined members are omitted like omitempty fields.
 */
export function goJSONIndent(value: unknown, indent = '    ', level = 0): string {
  if (value === null || typeof value !== 'object') return goJSON(value ?? null);
  const pad = '\n' + indent.repeat(level + 1);
  const end = '\n' + indent.repeat(level);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return '[' + value.map((v) => pad + goJSONIndent(v, indent, level + 1)).join(',') + end + ']';
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return (
    '{' +
    entries.map(([k, v]) => pad + goJSONString(k) + ': ' + goJSONIndent(v, indent, level + 1)).join(',') +
    end +
    '}'
  );
}
