/**
 * JSON as Python's json.dumps writes it by default (what `requests` sends for `json=`): ", " and ": "
 * separators, non-ASCII escaped. The agent parses either; writing it the same way keeps our requests
 * byte for byte (and Content-Length for Content-Length) what Octavia's driver sends.
 */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${asciiString(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return asciiString(value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('NaN and Infinity are not JSON.');
  return JSON.stringify(value ?? null);
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
