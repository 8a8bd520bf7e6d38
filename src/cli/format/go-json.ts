/**
 * JSON as Go's encoding/json writes it for Docker's API and CLI (HTML escaping off): strings escape
 * only quotes, backslashes, control characters and U+2028/U+2029; \b and \f become \u0008/\u000c.
 * Keys keep the object's order, which callers build to match Go's struct field order.
 */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function encode(value: unknown, indent: string, level: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const pad = indent ? '\n' + indent.repeat(level + 1) : '';
  const end = indent ? '\n' + indent.repeat(level) : '';
  const sep = indent ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return '[' + value.map((v) => pad + encode(v, indent, level + 1)).join(',') + end + ']';
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return (
    '{' + entries.map(([k, v]) => pad + quote(k) + sep + encode(v, indent, level + 1)).join(',') + end + '}'
  );
}

/** Compact, like json.Marshal with SetEscapeHTML(false). undefined members are omitted. */
export function goJSON(value: unknown): string {
  return encode(value, '', 0);
}

/** Indented, like json.Indent / MarshalIndent with the given indent (Docker's inspect uses 4 spaces). */
export function goJSONIndent(value: unknown, indent = '    '): string {
  return encode(value, indent, 0);
}
