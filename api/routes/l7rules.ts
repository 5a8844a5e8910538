/**
 * /v2/lbaas/l7policies/{l7policy_id}/rules (Octavia api-ref: L7 Rules), mounted with the policy id in
 * the path. A rule change moves the policy's load balancer through PENDING_UPDATE; Octavia also
 * refuses it while the policy itself is not ACTIVE (`L7Policy <id> is immutable ...`).
 */
import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import type { L7Policy, Prisma } from '../../generated/prisma/client';
import { toColumns, mergeView, type ColumnMap } from '../columns';
import { projectScope } from '../context';
import type { ApiDeps } from '../deps';
import { markChild, mutateChildren } from '../lifecycle';
import { FilterSpec, isUuid, listPage, selectOne, objectFilters } from '../listing';
import { enforceQuota } from '../../domain/quotas';
import { l7RuleCompareTypes, l7RuleCreateRoot, l7RuleTypes, l7RuleUpdateRoot, type L7RuleCompareTypeName, type L7RuleTypeName } from '../schemas/l7rule';
import { parseBody } from '../validation';
import { l7RuleView } from '../views-children';
import { ImmutableObject, L7RuleValidation, NotFound, TooManyRules } from '../../common/errors';

export const l7RuleColumns: ColumnMap = {
  type: 'type',
  compare_type: 'compareType',
  key: 'key',
  value: 'value',
  invert: 'invert',
  admin_state_up: 'enabled',
  tags: 'tags',
};

const filters: FilterSpec = {
  ...objectFilters,
  type: { column: 'type', kind: { enum: Object.fromEntries(l7RuleTypes.map((t) => [t, t])) } },
  compare_type: { column: 'compareType', kind: { enum: Object.fromEntries(l7RuleCompareTypes.map((t) => [t, t])) } },
  key: { column: 'key', kind: 'string' },
  value: { column: 'value', kind: 'string' },
  invert: { column: 'invert', kind: 'bool' },
};

/** Octavia's MAX_L7RULES_PER_L7POLICY. */
export const MAX_RULES_PER_POLICY = 50;

// Octavia's constants, verbatim (`+-.` is the range + , - .).
const HEADER_NAME = /^[a-zA-Z0-9!#$%&'*+-.^_`|~]+$/;
const HEADER_VALUE = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]+$/;
const QUOTED_HEADER_VALUE = /^"[a-zA-Z0-9 \t!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]*"$/;
const COOKIE_VALUE = /^[a-zA-Z0-9!#$%&'()*+-./:<=>?@[\]^_`{|}~]+$/;
const DN_FIELD = /^[a-zA-Z][A-Za-z0-9-]*$/;

class RuleInvalid extends Error {}
const invalidRule = (msg: string) => new RuleInvalid(`Invalid L7 Rule: ${msg}`);
const invalidChars = (what: string) => new RuleInvalid(`Invalid characters in ${what}`);

function checkRegex(value: string) {
  try {
    new RegExp(value);
  } catch (err) {
    throw new RuleInvalid(`Unable to parse regular expression: ${(err as Error).message}`);
  }
}
function checkHeaderValue(value: string, what: string) {
  if (!HEADER_VALUE.test(value) && !QUOTED_HEADER_VALUE.test(value)) throw invalidChars(what);
}

export interface RuleFields {
  type: L7RuleTypeName;
  compare_type: L7RuleCompareTypeName;
  key?: string | null;
  value: string;
}

/** Octavia's validate.l7rule_data, with its L7RuleValidation wrapper (`Error parsing L7Rule: ...`, 400). */
export function checkRule(rule: RuleFields): void {
  try {
    checkRuleData(rule);
  } catch (err) {
    if (err instanceof RuleInvalid) throw new L7RuleValidation(err.message);
    throw err;
  }
}

function checkRuleData({ type, compare_type: compare, key, value }: RuleFields): void {
  if (!value) throw invalidRule('L7 rule type requires a value');
  switch (type) {
    case 'HEADER':
    case 'COOKIE':
      if (!key) throw invalidRule('L7 rule type requires a key');
      if (!HEADER_NAME.test(key)) throw invalidChars('key');
      if (compare === 'REGEX') checkRegex(value);
      else if (type === 'HEADER') checkHeaderValue(value, 'header value');
      else if (!COOKIE_VALUE.test(value)) throw invalidChars('cookie value');
      return;
    case 'HOST_NAME':
    case 'PATH':
      if (compare === 'REGEX') checkRegex(value);
      else checkHeaderValue(value, 'comparison value');
      return;
    case 'FILE_TYPE':
      if (compare === 'REGEX') checkRegex(value);
      else if (compare === 'EQUAL_TO') checkHeaderValue(value, 'comparison value');
      else throw invalidRule('invalid comparison type for rule type');
      return;
    case 'SSL_CONN_HAS_CERT':
      if (key) throw invalidRule(`L7rule type ${type} does not use the "key" field.`);
      if (value.toLowerCase() !== 'true') throw invalidRule(`L7rule value ${value} is not a boolean True string.`);
      if (compare !== 'EQUAL_TO') throw invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
      return;
    case 'SSL_VERIFY_RESULT':
      if (key) throw invalidRule(`L7rule type ${type} does not use the "key" field.`);
      if (!/^\d+$/.test(value)) throw invalidRule(`L7rule type ${type} needs a int value, which is >= 0`);
      if (compare !== 'EQUAL_TO') throw invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
      return;
    case 'SSL_DN_FIELD':
      if (compare === 'REGEX') checkRegex(value);
      if (!key) throw invalidRule(`L7rule type ${type} needs to specify a key and a value.`);
      if (!DN_FIELD.test(key)) throw invalidRule('Invalid L7rule distinguished name field.');
      return;
    default:
      throw invalidRule('invalid rule type');
  }
}

const policyOf = (res: Response) => res.locals.l7policy as L7Policy & { listener: { loadBalancerId: string } };

/** Octavia refuses rule changes while the policy is not ACTIVE (PENDING_*, or ERROR). */
function checkPolicyMutable(policy: L7Policy) {
  if (policy.provisioningStatus !== ProvisioningStatus.ACTIVE) throw new ImmutableObject('L7Policy', policy.id);
}

export function l7RuleRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router({ mergeParams: true });

  // Every rule route needs its policy (Octavia's L7PolicyController._lookup: `L7Policy <id> not found.`).
  router.use(async (req, res, next) => {
    const policyId = String(req.params.l7policyId ?? '');
    const policy = isUuid(policyId)
      ? await db.l7Policy.findFirst({ where: { id: policyId, ...projectScope(req) }, include: { listener: { select: { loadBalancerId: true } } } })
      : null;
    if (!policy) throw new NotFound('L7Policy', policyId);
    res.locals.l7policy = policy;
    next();
  });

  const find = async (policy: L7Policy, id: string) => {
    const rule = isUuid(id) ? await db.l7Rule.findFirst({ where: { id, l7PolicyId: policy.id } }) : null;
    if (!rule) throw new NotFound('L7 Rule', id);
    return rule;
  };

  router.get('/', async (req, res) => {
    const policy = policyOf(res);
    const page = await listPage(req, filters, {
      base: { l7PolicyId: policy.id },
      findMany: (args) => db.l7Rule.findMany(args),
      findById: (id) => db.l7Rule.findFirst({ where: { id, l7PolicyId: policy.id } }),
      view: l7RuleView,
    });
    res.json({ rules: page.items, rules_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ rule: selectOne(req, l7RuleView(await find(policyOf(res), req.params.id))) });
  });

  router.post('/', async (req, res) => {
    const policy = policyOf(res);
    const body = parseBody(l7RuleCreateRoot, req.body, 'rule_').rule;
    checkRule(body);
    checkPolicyMutable(policy);
    const rule = await mutateChildren(deps, {
      loadBalancerId: policy.listener.loadBalancerId,
      write: async (tx) => {
        if ((await tx.l7Rule.count({ where: { l7PolicyId: policy.id } })) >= MAX_RULES_PER_POLICY) throw new TooManyRules(policy.id);
        await enforceQuota(tx, policy.projectId, 'l7rule');
        const row = await tx.l7Rule.create({
          data: {
            ...(toColumns(body, l7RuleColumns) as Partial<Prisma.L7RuleUncheckedCreateInput>),
            id: randomUUID(),
            projectId: policy.projectId,
            l7PolicyId: policy.id,
            type: body.type,
            compareType: body.compare_type,
            value: body.value,
            invert: body.invert ?? false,
            provisioningStatus: ProvisioningStatus.PENDING_CREATE,
            operatingStatus: OperatingStatus.OFFLINE,
          },
        });
        return { result: row, changes: [{ resource: 'l7rule', id: row.id, operation: 'create' }] };
      },
      revert: async (tx, row) => {
        await tx.l7Rule.delete({ where: { id: row.id } });
      },
    });
    res.status(201).json({ rule: l7RuleView(rule) });
  });

  router.put('/:id', async (req, res) => {
    const policy = policyOf(res);
    const current = await find(policy, req.params.id);
    const body = parseBody(l7RuleUpdateRoot, req.body, 'rule_').rule;
    // The rule as it will be, checked whole (Octavia merges the update into the stored rule).
    const values: Record<string, unknown> = { ...body, ...(body.invert === null ? { invert: false } : {}) };
    checkRule({
      type: body.type ?? current.type,
      compare_type: body.compare_type ?? current.compareType,
      key: body.key !== undefined ? body.key : current.key,
      value: body.value ?? current.value,
    });
    checkPolicyMutable(policy);
    const updated = await mutateChildren(deps, {
      loadBalancerId: policy.listener.loadBalancerId,
      ...markChild('l7rule', current, 'update', toColumns(values, l7RuleColumns)),
    });
    const shown: Record<string, unknown> = { ...values };
    if (body.tags !== undefined) shown.tags = [...(body.tags ?? [])].sort();
    res.json({ rule: mergeView(l7RuleView(updated), shown) });
  });

  router.delete('/:id', async (req, res) => {
    const policy = policyOf(res);
    const current = await find(policy, req.params.id);
    checkPolicyMutable(policy);
    await mutateChildren(deps, { loadBalancerId: policy.listener.loadBalancerId, ...markChild('l7rule', current, 'delete') });
    res.status(204).end();
  });

  return router;
}
