/**
 * L7 policies as Octavia's template turns them into frontend lines: one `acl` per enabled rule, then
 * the policy's action `if` all its rules (a `!` before an inverted one). A policy is rendered only when
 * it is enabled and has at least one enabled rule that survives sanitising.
 */
import type { L7PolicyConfig } from '../../port';
import { esc } from './text';

type Rule = L7PolicyConfig['rules'][number];

/** validate.INVALID_CONFIG_CHARS_RE: a rule value with control characters is skipped (Octavia logs it). */
const INVALID_CONFIG_CHARS = /[\x00-\x1f\x7f-\x9f]/;
/** validate.INVALID_URL_CHARS_RE: such a redirect URL or prefix is cleared (and prints as None). */
const INVALID_URL_CHARS = /[\x00-\x20\x7f-\x9f]/;

const MATCH: Record<Rule['compareType'], string> = {
  REGEX: '-m reg',
  STARTS_WITH: '-m beg',
  ENDS_WITH: '-m end',
  CONTAINS: '-m sub',
  EQUAL_TO: '-m str',
};

/** The rules Octavia keeps: enabled ones whose value haproxy can parse. */
export function renderedRules(policy: L7PolicyConfig): Rule[] {
  return policy.rules.filter((r) => r.enabled && !INVALID_CONFIG_CHARS.test(r.value));
}

/** Backslashes, then spaces, escaped so haproxy reads the value as one word. */
function ruleValue(value: string): string {
  return esc(value.replace(/\\/g, '\\\\').replace(/ /g, '\\ '));
}

function acl(rule: Rule): string {
  const id = esc(rule.id);
  const m = MATCH[rule.compareType];
  const v = ruleValue(rule.value);
  const key = esc(rule.key);
  switch (rule.type) {
    case 'HOST_NAME':
      return `        acl ${id} req.hdr(host) -i ${m} ${v}\n`;
    case 'PATH':
      return `        acl ${id} path ${m} ${v}\n`;
    case 'FILE_TYPE':
      return `        acl ${id} path_end ${m} ${v}\n`;
    case 'HEADER':
      return `        acl ${id} req.hdr(${key}) ${m} ${v}\n`;
    case 'COOKIE':
      return `        acl ${id} req.cook(${key}) ${m} ${v}\n`;
    case 'SSL_CONN_HAS_CERT':
      return `        acl ${id} ssl_c_used\n`;
    case 'SSL_VERIFY_RESULT':
      return `        acl ${id} ssl_c_verify eq ${v}\n`;
    case 'SSL_DN_FIELD':
      return `        acl ${id} ssl_c_s_dn(${key}) ${m} ${v}\n`;
  }
}

function url(value: string | null): string {
  return esc(value !== null && INVALID_URL_CHARS.test(value) ? null : value);
}

/**
 * The policy's lines in a frontend. `redirectBackend` is the backend of its redirect pool when that
 * pool exists and is enabled; a REDIRECT_TO_POOL policy without one keeps its acls and gets no action.
 */
export function policyLines(policy: L7PolicyConfig, rules: Rule[], redirectBackend: string | null): string {
  const condition = `if${rules.map((r) => ` ${r.invert ? '!' : ''}${esc(r.id)}`).join('')}`;
  const redirects = policy.action === 'REDIRECT_TO_URL' || policy.action === 'REDIRECT_PREFIX';
  const code = redirects && policy.redirectHttpCode ? ` code ${policy.redirectHttpCode}` : '';
  let action = '';
  if (policy.action === 'REJECT') action = `    http-request deny ${condition}\n`;
  else if (policy.action === 'REDIRECT_TO_URL') action = `    redirect${code} location ${url(policy.redirectUrl)} ${condition}\n`;
  else if (policy.action === 'REDIRECT_TO_POOL' && redirectBackend !== null) action = `    use_backend ${redirectBackend} ${condition}\n`;
  else if (policy.action === 'REDIRECT_PREFIX') action = `    redirect${code} prefix ${url(policy.redirectPrefix)} ${condition}\n`;
  return rules.map(acl).join('') + action;
}
