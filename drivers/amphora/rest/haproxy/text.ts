/**
 * How values reach the text of Octavia's haproxy template. Octavia's jinja environment autoescapes
 * (markupsafe), so every interpolated value is HTML-escaped: an `&` in a redirect URL becomes `&amp;`
 * in the haproxy.cfg Octavia sends. We reproduce that rather than "fix" it, so an amphora gets from us
 * what it would get from Octavia.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/** markupsafe.escape of Python's str() of a value (None for null, as jinja prints it). */
export function esc(value: string | number | null): string {
  return (value === null ? 'None' : String(value)).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A Python float as str() prints it (1.0 stays "1.0"): health monitor http_version is a float column. */
export function pyFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Python's str.replace: every occurrence, with no `$` patterns in the replacement. */
export function replaceAll(text: string, search: string, replacement: string): string {
  return text.split(search).join(replacement);
}

/** Jinja's `"header"|lower == 'true'` on an insert_headers value. */
export function headerOn(headers: Record<string, string>, name: string): boolean {
  return (headers[name] ?? 'False').toLowerCase() === 'true';
}
